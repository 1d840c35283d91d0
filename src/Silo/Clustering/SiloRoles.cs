using Myelin.Silo.Configuration;

namespace Myelin.Silo.Clustering;

/// <summary>
/// What this silo is, as its peers see it through Orleans' silo metadata: its <c>worker_name</c>,
/// <c>worker_app</c>, and for every stream whether <c>stream_writers</c> lets it write that stream.
/// </summary>
public sealed class SiloRoles(ClusterOptions cluster)
{
    /// <summary>Metadata key of the silo's <c>worker_name</c>.</summary>
    public const string WorkerNameKey = "myelin.worker_name";

    /// <summary>Metadata key of the silo's <c>worker_app</c>.</summary>
    public const string WorkerAppKey = "myelin.worker_app";

    /// <summary>Metadata key saying ("true"/"false") whether the silo writes <paramref name="stream"/>.</summary>
    public static string WritesKey(string stream) => "myelin.writes." + stream;

    public string WorkerName => cluster.WorkerName;

    public bool Writes(string stream) => cluster.IsStreamWriter(stream);

    /// <summary>The metadata entries to advertise.</summary>
    public Dictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>
        {
            [WorkerNameKey] = cluster.WorkerName,
            [WorkerAppKey] = cluster.WorkerApp,
        };
        foreach (var stream in ClusterOptions.KnownStreams)
            metadata[WritesKey(stream)] = Writes(stream) ? "true" : "false";
        return metadata;
    }
}
