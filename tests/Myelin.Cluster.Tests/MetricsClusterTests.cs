using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Cluster.Tests;

/// <summary>
/// A plain silo (no client API) with a metrics listener in a PostgreSQL + Redis cluster: it serves its own
/// metrics, health and readiness on that port, and nothing else; what it persists for a gateway's client
/// shows in its own counters.
/// </summary>
public sealed class MetricsClusterTests
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    static async Task<PrometheusText> ScrapeAsync(Uri metrics)
    {
        var r = await Http.GetAsync(new Uri(metrics, "/_synapse/metrics"));
        Assert.Equal(200, (int)r.StatusCode);
        return PrometheusText.Parse(await r.Content.ReadAsStringAsync());
    }

    [RedisClusterFact]
    public async Task PlainSilo_MetricsListener_ServesItsMetricsAndHealthOnly()
    {
        await using var cluster = await TestCluster.CreateAsync(["persister1"], TestEnvironment.RequireRedis());
        var port = NodeProcess.FreePort();
        await cluster.StartSiloAsync("persister1", $"""
            worker_listeners:
              - port: {port}
                bind_addresses: ['127.0.0.1']
                type: metrics
            """);
        var gateway = await cluster.StartGatewayAsync("gateway1");
        var metrics = new Uri($"http://127.0.0.1:{port}");

        var health = await Http.GetAsync(new Uri(metrics, "/health"));
        Assert.Equal(200, (int)health.StatusCode);
        Assert.Equal("OK", await health.Content.ReadAsStringAsync());
        var ready = await Http.GetAsync(new Uri(metrics, "/_myelin/health/ready"));
        Assert.Equal(200, (int)ready.StatusCode);
        var report = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("Active", report["silo"]!.GetValue<string>());
        Assert.True(report["database"]!.GetValue<bool>());
        Assert.Equal(404, (int)(await Http.GetAsync(new Uri(metrics, "/_matrix/client/versions"))).StatusCode);

        var before = await ScrapeAsync(metrics);
        Assert.Equal(1, before.Value("myelin_build_info", ("worker_name", "persister1"), ("worker_app", "synapse.app.generic_worker")));
        Assert.Equal(1, before.Value("myelin_ready"));
        Assert.Equal(1, before.Value("myelin_database_up", ("engine", "postgres")));
        Assert.NotNull(before.Value("myelin_db_pool_connections", ("state", "idle")));
        Assert.True(before.Value("myelin_db_pool_max_connections") > 0);

        // The room lives on the only event persister: its events are persisted, and counted, there.
        using var alice = await new MatrixClient(gateway.BaseUrl!).RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await alice.SendMessageAsync(room, "counted on the persister");

        var after = await ScrapeAsync(metrics);
        Assert.True(after.Value("synapse_storage_events_persisted_events_total") > (before.Value("synapse_storage_events_persisted_events_total") ?? 0));
        Assert.True(after.Value("myelin_grain_activations", ("type", "room")) >= 1);
        var written = after.Value("myelin_events_stream_writer_position", ("instance", "persister1"));
        Assert.True(written > 0);
        Assert.Equal(written, after.Value("myelin_events_stream_persisted_upto"));
        Assert.True(after.Value("myelin_stream_position", ("stream", "events")) >= before.Value("myelin_stream_position", ("stream", "events")));
    }
}
