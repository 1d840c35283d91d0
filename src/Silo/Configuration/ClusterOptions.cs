namespace Myelin.Silo.Configuration;

/// <summary>Synapse's <c>redis</c> section: the replication bus between processes.</summary>
public sealed record RedisOptions(bool Enabled, string Host, int Port, string? Password, int DbIndex)
{
    public string ConnectionString =>
        $"{Host}:{Port},defaultDatabase={DbIndex},abortConnect=false" + (Password is null ? "" : $",password={Password}");
}

/// <summary>An entry of Synapse's <c>instance_map</c>: where a named worker's replication listener is.</summary>
public sealed record InstanceLocation(string Host, int Port, bool Tls);

/// <summary>
/// What a process is in a cluster, from Synapse's worker keys: its app and name, which instances write
/// which stream, and where background work runs. In a single process all of it defaults to "this one".
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Worker apps Synapse has had; every one is a silo here, with the roles the other keys give it.</summary>
    public static readonly IReadOnlySet<string> KnownWorkerApps = new HashSet<string>
    {
        "synapse.app.homeserver", "synapse.app.generic_worker", "synapse.app.client_reader",
        "synapse.app.event_creator", "synapse.app.federation_reader", "synapse.app.federation_sender",
        "synapse.app.frontend_proxy", "synapse.app.pusher", "synapse.app.synchrotron",
        "synapse.app.appservice", "synapse.app.media_repository", "synapse.app.user_dir",
    };

    /// <summary>The streams <c>stream_writers</c> may assign.</summary>
    public static readonly IReadOnlySet<string> KnownStreams = new HashSet<string>
    {
        "events", "typing", "to_device", "account_data", "receipts", "presence", "push_rules",
    };

    public string WorkerApp { get; init; } = "synapse.app.homeserver";
    public string WorkerName { get; init; } = "master";
    public IReadOnlyDictionary<string, InstanceLocation> InstanceMap { get; init; } = new Dictionary<string, InstanceLocation>();
    /// <summary>Stream name → the instances allowed to write it; a stream not listed may be written anywhere.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> StreamWriters { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public string? ReplicationSecret { get; init; }
    public string RunBackgroundTasksOn { get; init; } = "master";
    public RedisOptions Redis { get; init; } = new(false, "localhost", 6379, null, 0);
    /// <summary>Which worker apps run where (pusher_instances, notify_appservices_from_worker, ...).</summary>
    public WorkerAppOptions WorkerApps { get; init; } = new();

    public bool IsStreamWriter(string stream) =>
        !StreamWriters.TryGetValue(stream, out var writers) || writers.Contains(WorkerName);

    public static ClusterOptions FromConfig(ConfigDocument c)
    {
        var app = c.String("worker_app", "synapse.app.homeserver")!;
        if (!KnownWorkerApps.Contains(app))
            throw c.Error("worker_app", $"unknown worker app '{app}'");
        var name = c.String("worker_name", app == "synapse.app.homeserver" ? "master" : null)
            ?? throw c.Error("worker_name", "a worker needs a worker_name");

        var instances = new Dictionary<string, InstanceLocation>();
        foreach (var (key, value) in c.Map("instance_map") ?? [])
        {
            if (value is not Dictionary<string, object?> m)
                throw c.Error($"instance_map.{key}", "must be a mapping with host and port");
            var host = m.GetValueOrDefault("host") as string ?? throw c.Error($"instance_map.{key}.host", "missing");
            if (m.GetValueOrDefault("port") is not long port || port is <= 0 or > 65535)
                throw c.Error($"instance_map.{key}.port", "must be a port number");
            instances[key] = new InstanceLocation(host, (int)port, m.GetValueOrDefault("tls") is true);
        }

        var writers = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var (stream, value) in c.Map("stream_writers") ?? [])
        {
            if (!KnownStreams.Contains(stream))
                throw c.Error($"stream_writers.{stream}", $"unknown stream; one of {string.Join(", ", KnownStreams)}");
            var names = value switch
            {
                string one => [one],
                List<object?> list => list.Select(x => x as string ?? throw c.Error($"stream_writers.{stream}", "must be instance names")).ToList(),
                _ => throw c.Error($"stream_writers.{stream}", "must be an instance name or a list of them"),
            };
            if (names.Count == 0) throw c.Error($"stream_writers.{stream}", "needs at least one instance");
            writers[stream] = names;
        }

        var redis = new RedisOptions(
            c.Bool("redis.enabled", false),
            c.String("redis.host", "localhost")!,
            (int)c.Long("redis.port", 6379),
            c.String("redis.password"),
            (int)c.Long("redis.dbid", 0));

        return new ClusterOptions
        {
            WorkerApp = app,
            WorkerName = name,
            InstanceMap = instances,
            StreamWriters = writers,
            ReplicationSecret = c.String("worker_replication_secret"),
            RunBackgroundTasksOn = c.String("run_background_tasks_on", "master")!,
            Redis = redis,
            WorkerApps = WorkerAppOptions.FromConfig(c, app, name, c.String("run_background_tasks_on", "master")!),
        };
    }
}
