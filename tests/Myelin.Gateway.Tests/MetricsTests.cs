using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>A gateway with a metrics listener, and the Orleans dashboard, on ports of their own.</summary>
public sealed class MetricsGatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;
    public Uri MetricsUrl { get; private set; } = null!;
    public Uri DashboardUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        int metrics = GatewayProcess.FreePort(), dashboard = GatewayProcess.FreePort();
        Gateway = await GatewayProcess.StartAsync(
            extraListeners: $"""
                  - port: {metrics}
                    bind_addresses: ['127.0.0.1']
                    type: metrics
                """,
            overlayYaml: $"""
                orleans:
                  dashboard:
                    enabled: true
                    port: {dashboard}
                """);
        MetricsUrl = new Uri($"http://127.0.0.1:{metrics}");
        DashboardUrl = new Uri($"http://127.0.0.1:{dashboard}");
    }

    public async Task DisposeAsync() => await Gateway.DisposeAsync();
}

/// <summary>The metrics listener (Synapse's <c>type: metrics</c>), health and readiness, and the dashboard,
/// scraped and probed over HTTP as Prometheus and an orchestrator do.</summary>
public sealed class MetricsTests(MetricsGatewayFixture fx) : IClassFixture<MetricsGatewayFixture>
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    static string E(string s) => Uri.EscapeDataString(s);

    async Task<PrometheusText> ScrapeAsync(string path = "/_synapse/metrics")
    {
        var r = await Http.GetAsync(new Uri(fx.MetricsUrl, path));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.StartsWith("text/plain", r.Content.Headers.ContentType!.ToString());
        return PrometheusText.Parse(await r.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/_synapse/metrics")]
    [InlineData("/metrics")]
    public async Task Scrape_ParsesAsPrometheusText_WithEveryFamily(string path)
    {
        var m = await ScrapeAsync(path);
        string[] families =
        [
            "synapse_http_server_requests_received_total", "synapse_http_server_responses_total",
            "synapse_http_server_response_time_seconds", "synapse_http_server_in_flight_requests_count",
            "synapse_storage_events_persisted_events_total", "myelin_stream_position", "myelin_events_stream_persisted_upto",
            "myelin_events_stream_safe_position", "myelin_events_stream_writer_position", "myelin_events_stream_replication_lag",
            "myelin_events_stream_gaps_total", "myelin_worker_app_position", "myelin_worker_app_lag", "myelin_grain_activations",
            "myelin_database_up", "myelin_db_pool_connections", "myelin_ready", "myelin_silo_active", "myelin_build_info",
            "synapse_notifier_listeners", "process_cpu_seconds_total", "process_working_set_bytes", "process_start_time_seconds", "dotnet_collection_count_total",
            "myelin_gc_pause_seconds_total", "myelin_gc_allocated_bytes_total", "myelin_gc_heap_bytes",
        ];
        foreach (var f in families) Assert.True(m.Types.ContainsKey(f), $"no {f} family");
        Assert.Equal("histogram", m.Types["synapse_http_server_response_time_seconds"]);
        Assert.Equal("counter", m.Types["synapse_storage_events_persisted_events_total"]);
        foreach (var stream in new[] { "events", "typing", "to_device", "account_data", "receipts", "presence", "push_rules" })
            Assert.NotNull(m.Value("myelin_stream_position", ("stream", stream)));
        Assert.Equal(1, m.Value("myelin_database_up", ("engine", "sqlite")));
        // SQLite has no connection pool to report.
        Assert.Null(m.Value("myelin_db_pool_max_connections"));
        Assert.Null(m.Value("myelin_db_pool_connections", ("state", "idle")));
        Assert.Equal(1, m.Value("myelin_build_info", ("worker_name", "master")));
    }

    [Fact]
    public async Task Request_CountedUnderItsRoutePattern_NeverTheRawPath()
    {
        using var a = await new MatrixClient(fx.Gateway.BaseUrl).RegisterAsync();
        var room = await a.CreateRoomAsync();
        const string Servlet = "/_matrix/client/v3/rooms/{roomId}/state";
        var before = (await ScrapeAsync()).Value("synapse_http_server_requests_received_total", ("method", "GET"), ("servlet", Servlet)) ?? 0;

        Assert.Equal(200, (await a.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state")).Status);
        Assert.Equal(403, (await a.GetAsync($"/_matrix/client/v3/rooms/{E("!other:localhost")}/state")).Status);

        var m = await ScrapeAsync();
        Assert.Equal(before + 2, m.Value("synapse_http_server_requests_received_total", ("method", "GET"), ("servlet", Servlet)));
        Assert.True(m.Value("synapse_http_server_response_time_seconds_count", ("method", "GET"), ("servlet", Servlet), ("code", "200")) >= 1);
        Assert.True(m.Value("synapse_http_server_response_time_seconds_count", ("method", "GET"), ("servlet", Servlet), ("code", "403")) >= 1);
        Assert.True(m.Value("synapse_http_server_responses_total", ("method", "GET"), ("code", "403")) >= 1);
        Assert.DoesNotContain(m.Samples, s => s.Labels.Values.Any(v => v.Contains(room) || v.Contains("!other")));
    }

    [Fact]
    public async Task UnknownPath_CountedAsUnrecognized()
    {
        using var a = await new MatrixClient(fx.Gateway.BaseUrl).RegisterAsync();
        Assert.Equal(404, (await a.GetAsync($"/_matrix/client/v3/no/such/{Guid.NewGuid():N}")).Status);
        var m = await ScrapeAsync();
        Assert.True(m.Value("synapse_http_server_response_time_seconds_count", ("method", "GET"), ("servlet", "unrecognized"), ("code", "404")) >= 1);
    }

    [Fact]
    public async Task Send_MovesEventsPersistedAndTheEventsStreamPosition()
    {
        using var a = await new MatrixClient(fx.Gateway.BaseUrl).RegisterAsync();
        var room = await a.CreateRoomAsync();
        var before = await ScrapeAsync();
        await a.SendMessageAsync(room, "counted");
        var after = await ScrapeAsync();

        Assert.True(after.Value("synapse_storage_events_persisted_events_total") > before.Value("synapse_storage_events_persisted_events_total"));
        Assert.True(after.Value("myelin_stream_position", ("stream", "events")) > before.Value("myelin_stream_position", ("stream", "events")));
        Assert.Equal(after.Value("myelin_stream_position", ("stream", "events")), after.Value("myelin_events_stream_writer_position", ("instance", "master")));
        Assert.Equal(0, after.Value("myelin_events_stream_replication_lag", ("instance", "master")));
        Assert.True(after.Value("myelin_grain_activations", ("type", "room")) >= 1);
    }

    [Fact]
    public async Task ParkedSync_CountedAsNotifierListener()
    {
        using var a = await new MatrixClient(fx.Gateway.BaseUrl).RegisterAsync();
        var since = (await a.SyncAsync())["next_batch"]!.GetValue<string>();
        var parked = a.SyncAsync(since, timeoutMs: 5000);
        double? listeners = 0;
        for (var i = 0; i < 40 && listeners < 1; i++)
        {
            await Task.Delay(100);
            listeners = (await ScrapeAsync()).Value("synapse_notifier_listeners");
        }
        Assert.True(listeners >= 1, "the parked /sync was not counted");
        Assert.True((await ScrapeAsync()).Value("synapse_http_server_in_flight_requests_count", ("method", "GET"), ("servlet", "/_matrix/client/v3/sync")) >= 1);
        await parked;
    }

    [Theory]
    [InlineData("/_matrix/client/versions")]
    [InlineData("/_matrix/client/v3/sync")]
    [InlineData("/_myelin/openapi/v1.json")]
    public async Task MetricsPort_DoesNotServeTheClientApi(string path)
    {
        var r = await Http.GetAsync(new Uri(fx.MetricsUrl, path));
        Assert.Equal(404, (int)r.StatusCode);
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/_synapse/metrics")]
    public async Task ClientPort_DoesNotServeMetrics(string path)
    {
        var r = await new MatrixClient(fx.Gateway.BaseUrl).SendAsync(HttpMethod.Get, path, auth: false);
        Assert.Equal(404, r.Status);
        Assert.Equal("M_UNRECOGNIZED", r.ErrCode);
    }

    [Fact]
    public async Task Health_AnswersOkOnBothListeners()
    {
        foreach (var baseUrl in new[] { fx.Gateway.BaseUrl, fx.MetricsUrl })
            foreach (var path in new[] { "/health", "/_myelin/health/live" })
            {
                var r = await Http.GetAsync(new Uri(baseUrl, path));
                Assert.Equal(200, (int)r.StatusCode);
                Assert.Equal("OK", await r.Content.ReadAsStringAsync());
            }
    }

    [Fact]
    public async Task Readiness_ReadyOnceTheSiloIsActiveAndTheDatabaseAnswers()
    {
        foreach (var baseUrl in new[] { fx.Gateway.BaseUrl, fx.MetricsUrl })
        {
            var r = await Http.GetAsync(new Uri(baseUrl, "/_myelin/health/ready"));
            var body = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
            Assert.Equal(200, (int)r.StatusCode);
            Assert.True(body["ready"]!.GetValue<bool>());
            Assert.Equal("Active", body["silo"]!.GetValue<string>());
            Assert.True(body["database"]!.GetValue<bool>());
        }
        var m = await ScrapeAsync();
        Assert.Equal(1, m.Value("myelin_ready"));
        Assert.Equal(1, m.Value("myelin_silo_active"));
    }

    [Fact]
    public async Task Health_WrongMethod_IsNotAnswered()
    {
        var r = await Http.PostAsync(new Uri(fx.MetricsUrl, "/_myelin/health/ready"), null);
        Assert.Equal(404, (int)r.StatusCode);
    }

    [Fact]
    public async Task Dashboard_AnswersOnItsPortOnly()
    {
        var page = await Http.GetAsync(fx.DashboardUrl);
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var version = await Http.GetAsync(new Uri(fx.DashboardUrl, "/version"));
        Assert.Equal(200, (int)version.StatusCode);
        Assert.NotNull(JsonNode.Parse(await version.Content.ReadAsStringAsync())!["version"]);

        Assert.Equal(404, (int)(await Http.GetAsync(new Uri(fx.DashboardUrl, "/_matrix/client/versions"))).StatusCode);
        Assert.Equal(404, (int)(await Http.GetAsync(new Uri(fx.DashboardUrl, "/metrics"))).StatusCode);
        var onClientPort = await new MatrixClient(fx.Gateway.BaseUrl).SendAsync(HttpMethod.Get, "/version", auth: false);
        Assert.Equal(404, onClientPort.Status);
        Assert.Equal("M_UNRECOGNIZED", onClientPort.ErrCode);
    }

    [Fact]
    public async Task Dashboard_ReportsTheCluster()
    {
        // The dashboard's own grain gathers the silos' statistics; the first answer can take a moment.
        HttpResponseMessage? r = null;
        for (var i = 0; i < 50; i++)
        {
            r = await Http.GetAsync(new Uri(fx.DashboardUrl, "/DashboardCounters"));
            if ((int)r.StatusCode == 200) break;
            await Task.Delay(200);
        }
        Assert.Equal(200, (int)r!.StatusCode);
        var counters = JsonNode.Parse(await r.Content.ReadAsStringAsync())!;
        Assert.True(counters["totalActiveHostCount"]!.GetValue<int>() >= 1, counters.ToJsonString());
    }
}
