using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Myelin.Silo.Clustering;

/// <summary>
/// Keeps the candidate silos that advertise themselves as writers of the strategy's stream. A silo
/// whose metadata is not known yet (it joined a moment ago) is left out until it is; the local silo is
/// judged by its own configuration. With no writer alive the placement fails with a message naming the
/// stream, rather than putting the grain on a silo that must not write it.
/// </summary>
internal sealed class StreamWriterPlacementFilterDirector(
    ILocalSiloDetails local, ISiloMetadataCache metadata, SiloRoles roles) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var stream = ((StreamWriterPlacementFilterStrategy)filterStrategy).Stream;
        var key = SiloRoles.WritesKey(stream);
        var writers = new List<SiloAddress>();
        foreach (var silo in silos)
        {
            var writes = silo.Equals(local.SiloAddress)
                ? roles.Writes(stream)
                : metadata.GetSiloMetadata(silo).Metadata.TryGetValue(key, out var v) && v == "true";
            if (writes) writers.Add(silo);
        }
        if (writers.Count == 0)
            throw new OrleansException(
                $"No live silo writes the '{stream}' stream (stream_writers.{stream}), so {target.GrainIdentity} cannot be placed");
        return writers;
    }
}
