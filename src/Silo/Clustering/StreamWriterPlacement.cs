using Myelin.Grains.Presence;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime;

namespace Myelin.Silo.Clustering;

/// <summary>
/// Which grain types write which stream, and so may only live on that stream's writers: the room grain
/// is its room's event persister (Synapse's <c>stream_writers.events</c>). Stream-writer grains of other
/// streams join this table as they arrive. Kept here rather than as attributes on the grains so that
/// the grains stay hostable by a bare test cluster, which has no silo metadata.
/// </summary>
public static class StreamWriterGrains
{
    public static readonly IReadOnlyDictionary<Type, string> Streams = new Dictionary<Type, string>
    {
        [typeof(RoomGrain)] = StreamNames.Events,
        [typeof(AccountDataGrain)] = StreamNames.AccountData,
        [typeof(PushRulesGrain)] = StreamNames.PushRules,
        [typeof(ToDeviceGrain)] = StreamNames.ToDevice,
        [typeof(TypingGrain)] = StreamNames.Typing,
        [typeof(ReceiptsGrain)] = StreamNames.Receipts,
        [typeof(PresenceGrain)] = StreamNames.Presence,
    };
}

/// <summary>
/// Places activations only on silos that write the strategy's stream: those <c>stream_writers</c> names
/// for it, or every silo when the key is absent (Synapse's rule). Each silo advertises the streams it
/// writes in its silo metadata (<see cref="SiloRoles"/>); <see cref="StreamWriterPlacementFilterDirector"/>
/// reads it. A silo that does not write the stream still calls such grains: they activate on a writer.
/// </summary>
public sealed class StreamWriterPlacementFilterStrategy : PlacementFilterStrategy
{
    const string StreamProperty = "stream";

    public StreamWriterPlacementFilterStrategy() : base(0) { }

    public StreamWriterPlacementFilterStrategy(string stream) : base(0) => Stream = stream;

    /// <summary>The replication stream whose writers may host the grain, e.g. <c>events</c>.</summary>
    public string Stream { get; private set; } = "";

    public override void AdditionalInitialize(GrainProperties properties) =>
        Stream = GetPlacementFilterGrainProperty(StreamProperty, properties) ?? "";

    protected override IEnumerable<KeyValuePair<string, string>> GetAdditionalGrainProperties(
        IServiceProvider services, Type grainClass, GrainType grainType, IReadOnlyDictionary<string, string> existingProperties)
    {
        yield return new(StreamProperty, Stream);
    }
}

/// <summary>Puts the stream-writer filter into the grain properties of the types
/// <see cref="StreamWriterGrains"/> lists, as a placement filter attribute on the class would.</summary>
internal sealed class StreamWriterGrainPropertiesProvider(IServiceProvider services) : IGrainPropertiesProvider
{
    public void Populate(Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        if (StreamWriterGrains.Streams.TryGetValue(grainClass, out var stream))
            new StreamWriterPlacementAttribute(stream).Populate(services, grainClass, grainType, properties);
    }

    // Orleans writes a filter's properties through its attribute; this one is only instantiated here.
    sealed class StreamWriterPlacementAttribute(string stream)
        : PlacementFilterAttribute(new StreamWriterPlacementFilterStrategy(stream));
}
