using Myelin.Grains.Presence;
using Myelin.Storage;

namespace Myelin.Silo.Configuration;

/// <summary>One HTTP (or metrics) listener, as Synapse's <c>listeners</c> entries.</summary>
public sealed record ListenerOptions(int Port, IReadOnlyList<string> BindAddresses, string Type, bool XForwarded);

/// <summary>Orleans settings (Myelin's own <c>orleans</c> section): ports and cluster identity.</summary>
public sealed record OrleansOptions(int SiloPort, int GatewayPort, string ClusterId, string ServiceId);

/// <summary>
/// The typed, validated configuration. Keys and defaults follow Synapse's homeserver.yaml; with no file at
/// all it is the single-process homeserver: server_name localhost, SQLite in ./data, port 8008.
/// </summary>
public sealed class HomeserverOptions
{
    public required string ServerName { get; init; }
    public required string PublicBaseUrl { get; init; }
    public required IReadOnlyList<ListenerOptions> Listeners { get; init; }
    public required DatabaseOptions Database { get; init; }
    public required string DataDirectory { get; init; }
    public required string SigningKeyPath { get; init; }
    public bool EnableRegistration { get; init; }
    public string? RegistrationSharedSecret { get; init; }
    public string DefaultRoomVersion { get; init; } = "10";
    public long MaxRequestBodySize { get; init; }
    /// <summary>bcrypt work factor for new password hashes (Synapse's <c>bcrypt_rounds</c>, default 12).</summary>
    public int BcryptRounds { get; init; } = 12;
    public required OrleansOptions Orleans { get; init; }
    public string WorkerName => Cluster.WorkerName;
    public ClusterOptions Cluster { get; init; } = new();
    public PresenceOptions Presence { get; init; } = new();
    public UserDirectoryOptions UserDirectory { get; init; } = new();
    /// <summary>The application services of <c>app_service_config_files</c>.</summary>
    public Myelin.Matrix.ApplicationServices Appservices { get; init; } = Myelin.Matrix.ApplicationServices.None;
    public Monitoring.DashboardSettings Dashboard { get; init; } = Monitoring.DashboardSettings.Disabled;
    public MediaOptions Media { get; init; } = new();
    public ConfigDocument? Source { get; init; }

    public static HomeserverOptions FromConfig(ConfigDocument c)
    {
        var serverName = c.String("server_name", "localhost")!;
        if (!Myelin.Matrix.MatrixIds.IsValidServerName(serverName))
            throw c.Error("server_name", $"'{serverName}' is not a valid server name");

        var dataDir = c.String("data_directory", "data")!;
        var listeners = ParseListeners(c);
        var firstHttp = listeners.FirstOrDefault(l => l.Type == "http");
        var defaultBase = firstHttp is null ? $"https://{serverName}/" : $"http://127.0.0.1:{firstHttp.Port}/";

        DatabaseOptions db;
        var dbName = c.String("database.name", "sqlite3")!;
        var args = c.Map("database.args") ?? new Dictionary<string, object?>();
        if (dbName == "sqlite3" && !args.ContainsKey("database"))
            args = new Dictionary<string, object?>(args) { ["database"] = Path.Combine(dataDir, "homeserver.db") };
        try { db = DatabaseOptions.FromSynapseConfig(dbName, args); }
        catch (ArgumentException e) { throw c.Error("database", e.Message); }

        var cluster = ClusterOptions.FromConfig(c);
        // SQLite is one process: no other silo could host the rooms.
        if (db.Engine == DatabaseEngine.Sqlite && !cluster.IsStreamWriter("events"))
            throw c.Error("stream_writers.events", $"with SQLite (one process) this process ('{cluster.WorkerName}') must write the events stream");

        var version = c.String("default_room_version", "10")!;
        if (Myelin.Matrix.RoomVersions.Get(version) is null)
            throw c.Error("default_room_version", $"room version '{version}' is not supported");

        return new HomeserverOptions
        {
            ServerName = serverName,
            PublicBaseUrl = EnsureSlash(c.String("public_baseurl", defaultBase)!),
            Listeners = listeners,
            Database = db,
            DataDirectory = dataDir,
            SigningKeyPath = c.String("signing_key_path", Path.Combine(dataDir, $"{serverName.Replace(':', '_')}.signing.key"))!,
            EnableRegistration = c.Bool("enable_registration", false),
            RegistrationSharedSecret = c.String("registration_shared_secret"),
            DefaultRoomVersion = version,
            MaxRequestBodySize = c.Size("max_request_body_size", 1024 * 1024),
            BcryptRounds = (int)Math.Clamp(c.Long("bcrypt_rounds", 12), 4, 31),
            Orleans = new OrleansOptions(
                (int)c.Long("orleans.silo_port", 11111),
                (int)c.Long("orleans.gateway_port", 30000),
                c.String("orleans.cluster_id", "myelin")!,
                c.String("orleans.service_id", "myelin")!),
            Cluster = cluster,
            Presence = ParsePresence(c),
            UserDirectory = UserDirectoryOptions.FromConfig(c),
            Appservices = AppserviceConfig.Load(c, serverName),
            Dashboard = Monitoring.DashboardSettings.FromConfig(c, listeners),
            Media = MediaOptions.FromConfig(c, dataDir),
            Source = c,
        };
    }

    static string EnsureSlash(string s) => s.EndsWith('/') ? s : s + "/";

    /// <summary>Synapse's <c>presence.enabled</c> (true, false or "untracked"; the older <c>use_presence</c> when absent).</summary>
    static PresenceOptions ParsePresence(ConfigDocument c) => c.Get("presence.enabled") switch
    {
        null => new PresenceOptions(c.Bool("use_presence", true), c.Bool("use_presence", true)),
        bool enabled => new PresenceOptions(enabled, enabled),
        "untracked" => new PresenceOptions(Enabled: true, Tracked: false),
        _ => throw c.Error("presence.enabled", "must be true, false or untracked"),
    };

    static IReadOnlyList<ListenerOptions> ParseListeners(ConfigDocument c)
    {
        // A worker's own listeners are its worker_listeners (Synapse); either key works here.
        var section = c.Has("worker_listeners") ? "worker_listeners" : "listeners";
        var raw = c.List(section);
        if (raw is null)
            return [new ListenerOptions(8008, ["127.0.0.1"], "http", false)];
        var result = new List<ListenerOptions>();
        for (var i = 0; i < raw.Count; i++)
        {
            var entry = $"{section}[{i}]";
            if (raw[i] is not Dictionary<string, object?> l)
                throw c.Error(section, $"{entry} must be a mapping");
            if (l.GetValueOrDefault("port") is not long port || port is < 0 or > 65535)
                throw c.Error(section, $"{entry}.port must be a port number");
            var type = l.GetValueOrDefault("type") as string ?? "http";
            if (type is not ("http" or "metrics" or "manhole" or "replication"))
                throw c.Error(section, $"{entry}.type '{type}' is not one of http, metrics");
            var binds = l.GetValueOrDefault("bind_addresses") switch
            {
                null => l.GetValueOrDefault("bind_address") is string one ? [one] : new List<string> { "127.0.0.1" },
                List<object?> list => list.Select(x => x as string ?? throw c.Error(section, $"{entry}.bind_addresses must be strings")).ToList(),
                _ => throw c.Error(section, $"{entry}.bind_addresses must be a list"),
            };
            result.Add(new ListenerOptions((int)port, binds, type, l.GetValueOrDefault("x_forwarded") is true));
        }
        return result;
    }
}
