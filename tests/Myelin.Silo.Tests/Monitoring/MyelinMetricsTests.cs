using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Configuration;
using Myelin.Silo.Monitoring;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;

namespace Myelin.Silo.Tests.Monitoring;

/// <summary>The gauges read at scrape time from the objects that hold the values.</summary>
public sealed class MyelinMetricsTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-metrics-").FullName;
    MyelinDatabase _db = null!;
    readonly InMemoryReplicationBus _bus = new();
    EventsStream _stream = null!;
    EventPersister _persister = null!;
    readonly WorkerAppPositions _positions = new();
    readonly RuntimeMeters _meters = new();
    MyelinMetrics _metrics = null!;

    public async Task InitializeAsync()
    {
        var options = HomeserverOptions.FromConfig(ConfigLoader.FromYaml($"data_directory: {_dir}\n"));
        _db = await MyelinDatabase.OpenAsync(options.Database);
        var cache = new RecentEventsCache();
        _stream = new EventsStream(_db, _bus, cache, null, TimeProvider.System, NullLogger<EventsStream>.Instance);
        await _stream.StartAsync();
        _persister = new EventPersister(_db.Events, _db.StreamIds, _stream, cache, NullLogger<EventPersister>.Instance);
        var readiness = new Readiness(new ServiceCollection().BuildServiceProvider(), _db, TimeProvider.System);
        _metrics = new MyelinMetrics(options, _bus, _stream, _persister, _positions, _meters, readiness, []);
    }

    public async Task DisposeAsync()
    {
        _meters.Dispose();
        await _persister.DisposeAsync();
        await _stream.DisposeAsync();
        await _db.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    async Task<string[]> ScrapeAsync()
    {
        using var body = new MemoryStream();
        await _metrics.Registry.CollectAndExportAsTextAsync(body);
        return System.Text.Encoding.UTF8.GetString(body.ToArray()).Split('\n');
    }

    [Fact]
    public async Task Scrape_WorkerApp_PositionAndLagBehindTheStream()
    {
        _bus.Publish(new StreamUpdate(StreamNames.Events, 10, [], []));
        _positions.Set("pusher", StreamNames.Events, 3);

        var lines = await ScrapeAsync();
        Assert.Contains("""myelin_worker_app_position{app="pusher",stream="events"} 3""", lines);
        Assert.Contains("""myelin_worker_app_lag{app="pusher",stream="events"} 7""", lines);
        Assert.Contains("""myelin_stream_position{stream="events"} 10""", lines);

        _positions.Set("pusher", StreamNames.Events, 10);
        Assert.Contains("""myelin_worker_app_lag{app="pusher",stream="events"} 0""", await ScrapeAsync());
    }

    [Fact]
    public async Task Scrape_NoSilo_NotReadyButTheDatabaseIsUp()
    {
        var lines = await ScrapeAsync();
        Assert.Contains("myelin_ready 0", lines);
        Assert.Contains("myelin_silo_active 0", lines);
        Assert.Contains("""myelin_database_up{engine="sqlite"} 1""", lines);
    }
}
