using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Xunit.Sdk;

namespace Myelin.Cluster.Tests.Infrastructure;

/// <summary>Where the cluster tests run: <c>MYELIN_TEST_POSTGRES</c>, a server on which they may create databases.</summary>
public static class TestEnvironment
{
    public const string PostgresVariable = "MYELIN_TEST_POSTGRES";

    public static string? PostgresConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs ? cs : null;

    public const string RedisVariable = "MYELIN_TEST_REDIS";

    /// <summary>MYELIN_TEST_REDIS: host:port of a Redis server the tests may publish on.</summary>
    public static string? Redis =>
        Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } r ? r : null;

    public static string RequireRedis() =>
        Redis ?? throw new InvalidOperationException($"{RedisVariable} must be set when CI=true");

    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A fact that needs PostgreSQL: skipped locally when none is configured, never under CI=true.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestEnvironment.PostgresConnectionString is null && !TestEnvironment.IsCi)
            Skip = $"{TestEnvironment.PostgresVariable} is not set (run: eval \"$(bash scripts/services.sh start)\")";
    }
}

/// <summary>A fact that needs PostgreSQL and Redis: skipped locally when either is not configured, never under CI=true.</summary>
public sealed class RedisClusterFactAttribute : FactAttribute
{
    public RedisClusterFactAttribute()
    {
        if ((TestEnvironment.PostgresConnectionString is null || TestEnvironment.Redis is null) && !TestEnvironment.IsCi)
            Skip = $"{TestEnvironment.PostgresVariable} / {TestEnvironment.RedisVariable} not set (run: eval \"$(bash scripts/services.sh start)\")";
    }
}

/// <summary>
/// A cluster of Myelin processes on its own fresh PostgreSQL database (random name, dropped at the
/// end), sharing one YAML file (server name, database, signing key, stream_writers) as Synapse's
/// workers share theirs. An Orleans client on the same membership table answers where grains live.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "myelin-cluster-" + Guid.NewGuid().ToString("N")[..12]);
    readonly string _database = "myelin_cluster_" + Guid.NewGuid().ToString("N")[..16];
    readonly string _admin;
    readonly List<NodeProcess> _nodes = [];
    IHost? _client;

    public string ConnectionString { get; }
    public string SharedConfigPath { get; }
    public IReadOnlyList<NodeProcess> Nodes => _nodes;

    TestCluster(string admin)
    {
        _admin = admin;
        ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = _database, Pooling = false }.ToString();
        SharedConfigPath = Path.Combine(_dir, "shared.yaml");
    }

    /// <summary>The cluster's server_name, unique per cluster: it is also the Redis channel, so tests
    /// running side by side on one Redis never hear each other.</summary>
    public string ServerName { get; } = "c" + Guid.NewGuid().ToString("N")[..12] + ".test";

    /// <summary>A new database and shared config; <paramref name="eventWriters"/> becomes stream_writers.events.
    /// With <paramref name="redis"/> (host:port) the processes replicate over that Redis. <paramref name="sharedYaml"/>
    /// is appended to the shared file (top-level keys such as <c>pusher_instances</c>).</summary>
    public static async Task<TestCluster> CreateAsync(IReadOnlyList<string> eventWriters, string? redis = null, string? sharedYaml = null)
    {
        var admin = TestEnvironment.PostgresConnectionString
            ?? throw new InvalidOperationException($"{TestEnvironment.PostgresVariable} must be set when CI=true");
        var cluster = new TestCluster(admin);
        Directory.CreateDirectory(cluster._dir);
        await using (var c = new NpgsqlConnection(admin))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {cluster._database}", c);
            await cmd.ExecuteNonQueryAsync();
        }
        var b = new NpgsqlConnectionStringBuilder(admin);
        var redisSection = "";
        if (redis is not null)
        {
            var colon = redis.LastIndexOf(':');
            redisSection = $"""
                redis:
                  enabled: true
                  host: {redis[..colon]}
                  port: {redis[(colon + 1)..]}

                """;
        }
        await File.WriteAllTextAsync(cluster.SharedConfigPath, $"""
            server_name: {cluster.ServerName}
            enable_registration: true
            bcrypt_rounds: 4
            signing_key_path: {Path.Combine(cluster._dir, "signing.key")}
            database:
              name: psycopg2
              args:
                host: {b.Host}
                port: {b.Port}
                user: {b.Username}
                database: {cluster._database}
            {(b.Password is null ? "" : $"    password: {b.Password}")}
            stream_writers:
              events: [{string.Join(", ", eventWriters)}]

            """ + redisSection + (sharedYaml is null ? "" : "\n" + sharedYaml.TrimEnd() + "\n"));
        return cluster;
    }

    /// <summary>How long a process may take to join. Not a bound of the issue: starting takes about 7 s of
    /// CPU per process, and a 2-core runner shared with other test assemblies can stretch three concurrent
    /// starts well past 45 s; the tests' own bounds are measured only once everything runs.</summary>
    static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Starts a plain silo (<c>src/Silo</c>) and waits until it is an active cluster member.</summary>
    public async Task<NodeProcess> StartSiloAsync(string workerName, string? extraYaml = null)
    {
        var node = await NodeProcess.StartAsync("Myelin.Silo", workerName, _dir, SharedConfigPath, http: false, clientGateway: false, extraYaml);
        lock (_nodes) _nodes.Add(node);
        await WaitActiveAsync(node, JoinTimeout);
        return node;
    }

    /// <summary>Starts a gateway silo (<c>src/Gateway</c>), which also accepts the test's Orleans client.</summary>
    public async Task<NodeProcess> StartGatewayAsync(string workerName, string? extraYaml = null)
    {
        var node = await NodeProcess.StartAsync("Myelin.Gateway", workerName, _dir, SharedConfigPath, http: true, clientGateway: true, extraYaml);
        lock (_nodes) _nodes.Add(node);
        await WaitActiveAsync(node, JoinTimeout);
        await node.WaitForHttpAsync(JoinTimeout);
        return node;
    }

    async Task WaitActiveAsync(NodeProcess node, TimeSpan timeout)
    {
        const string Sql = "SELECT status FROM OrleansMembershipTable WHERE port = @port ORDER BY generation DESC LIMIT 1";
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (node.HasExited) throw new InvalidOperationException($"{node.WorkerName} exited at start:\n{node.Log}");
            try
            {
                await using var c = new NpgsqlConnection(ConnectionString);
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand(Sql, c);
                cmd.Parameters.AddWithValue("port", node.SiloPort);
                if (await cmd.ExecuteScalarAsync() is int status && status == (int)SiloStatus.Active) return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{node.WorkerName} did not join the cluster:\n{node.Log}");
    }

    /// <summary>An Orleans client of the cluster (connected through the gateway silos), made on first use.</summary>
    public async Task<IClusterClient> ClientAsync()
    {
        if (_client is null)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.UseOrleansClient(c =>
            {
                c.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = ConnectionString; });
                c.Configure<ClusterOptions>(o => { o.ClusterId = "myelin"; o.ServiceId = "myelin"; });
            });
            _client = builder.Build();
            await _client.StartAsync();
        }
        return _client.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The worker_name of the silo where the grain is active, or null when it is not active.</summary>
    public async Task<string?> WhereIsAsync(IAddressable grain)
    {
        var client = await ClientAsync();
        var management = client.GetGrain<IManagementGrain>(0);
        var silo = await management.GetActivationAddress(grain);
        if (silo is null) return null;
        var hosts = await management.GetDetailedHosts(onlyActive: false);
        return hosts.FirstOrDefault(h => h.SiloAddress.Equals(silo))?.SiloName;
    }

    /// <summary>The worker names of the active members.</summary>
    public async Task<IReadOnlyList<string>> ActiveMembersAsync()
    {
        var management = (await ClientAsync()).GetGrain<IManagementGrain>(0);
        return (await management.GetDetailedHosts(onlyActive: true)).Select(h => h.SiloName).Order().ToList();
    }

    /// <summary>Every row of the membership table: one per silo incarnation, so a process that restarted
    /// (or was declared dead and came back) shows up as a second generation on its name.</summary>
    public async Task<IReadOnlyList<(string SiloName, int Generation, SiloStatus Status)>> MembershipRowsAsync()
    {
        await using var c = new NpgsqlConnection(ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT siloname, generation, status FROM OrleansMembershipTable ORDER BY siloname, generation", c);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, int, SiloStatus)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt32(1), (SiloStatus)reader.GetInt32(2)));
        return rows;
    }

    /// <summary>One line per node with the CPU time it used, for the tests' output.</summary>
    public string CpuReport => string.Join(", ", _nodes.Select(n => $"{n.WorkerName} {n.CpuTime.TotalSeconds:F1}s"));

    /// <summary>Every node's log, for assertion messages.</summary>
    public string Logs => string.Join("\n", _nodes.Select(n => $"===== {n.WorkerName}\n{n.Log}"));

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            try { await _client.StopAsync(TimeSpan.FromSeconds(2)); } catch (Exception) { }
            _client.Dispose();
        }
        foreach (var node in _nodes) await node.DisposeAsync();
        try
        {
            await using var c = new NpgsqlConnection(_admin);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException) { }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
