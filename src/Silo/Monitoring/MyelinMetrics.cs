using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Configuration;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;
using Prometheus;

namespace Myelin.Silo.Monitoring;

/// <summary>Something a process adds to the metrics, brought up to date just before each scrape (the gateway's
/// parked /sync requests, for instance).</summary>
public interface IMetricsSource
{
    void Register(MetricFactory metrics);
    void Update();
}

/// <summary>
/// This process's Prometheus metrics (docs/operating/metrics.md lists them): HTTP requests by route, events
/// persisted, stream positions and replication lag, worker-app positions, grain activations, the database
/// pool, readiness, and prometheus-net's process metrics. Names follow Synapse's where Synapse has the
/// metric. Gauges are read from the objects that hold the values, just before each scrape; the only
/// work done per request is the HTTP timing.
/// </summary>
public sealed class MyelinMetrics
{
    /// <summary>Response-time buckets: API calls take milliseconds; /sync long-polls up to 30 s and more.</summary>
    static readonly double[] ResponseBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    readonly IReplicationBus _bus;
    readonly EventsStream _events;
    readonly EventPersister _persister;
    readonly WorkerAppPositions _workerApps;
    readonly RuntimeMeters _meters;
    readonly Readiness _readiness;
    readonly IReadOnlyList<IMetricsSource> _sources;
    readonly HomeserverOptions _options;

    readonly Counter _requestsReceived, _responses, _eventsPersisted, _gaps, _rangeReads, _poolTimeouts, _gcPause, _gcAllocated;
    readonly Histogram _responseTime;
    readonly Gauge _inFlight, _streamPosition, _persistedUpto, _safePosition, _writerPosition, _replicationLag,
        _workerAppPosition, _workerAppLag, _grains, _databaseUp, _poolConnections, _poolMax, _poolPending,
        _commandsExecuting, _ready, _siloActive, _info, _gcHeap;

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    public MyelinMetrics(HomeserverOptions options, IReplicationBus bus, EventsStream events, EventPersister persister,
        WorkerAppPositions workerApps, RuntimeMeters meters, Readiness readiness, IEnumerable<IMetricsSource> sources)
    {
        _options = options;
        _bus = bus;
        _events = events;
        _persister = persister;
        _workerApps = workerApps;
        _meters = meters;
        _readiness = readiness;
        _sources = sources.ToList();

        var f = Metrics.WithCustomRegistry(Registry);
        _requestsReceived = f.CreateCounter("synapse_http_server_requests_received_total",
            "HTTP requests received, by method and route (servlet).", "method", "servlet");
        _responses = f.CreateCounter("synapse_http_server_responses_total",
            "HTTP responses sent, by method and status code.", "method", "code");
        _responseTime = f.CreateHistogram("synapse_http_server_response_time_seconds",
            "Time from request to response, by method, route (servlet) and status code.",
            new HistogramConfiguration { LabelNames = ["method", "servlet", "code"], Buckets = ResponseBuckets });
        _inFlight = f.CreateGauge("synapse_http_server_in_flight_requests_count",
            "HTTP requests being handled now (a parked /sync counts), by method and route.", "method", "servlet");

        _eventsPersisted = f.CreateCounter("synapse_storage_events_persisted_events_total",
            "Events this process persisted (it is an event persister: stream_writers.events).");
        _streamPosition = f.CreateGauge("myelin_stream_position",
            "Position of each stream that readers in this process have reached (what /sync reads up to).", "stream");
        _persistedUpto = f.CreateGauge("myelin_events_stream_persisted_upto",
            "Events-stream position below which this process has persisted everything it wrote.");
        _safePosition = f.CreateGauge("myelin_events_stream_safe_position",
            "Events-stream position below which every writer has persisted everything (the minimum over live writers).");
        _writerPosition = f.CreateGauge("myelin_events_stream_writer_position",
            "Events-stream position each writer last announced (this process's own: its persisted-up-to).", "instance");
        _replicationLag = f.CreateGauge("myelin_events_stream_replication_lag",
            "Positions a writer has announced that this process has not yet published to its readers.", "instance");
        _gaps = f.CreateCounter("myelin_events_stream_gaps_total",
            "Replication lines missed from another writer (caught up from the database).");
        _rangeReads = f.CreateCounter("myelin_events_stream_range_reads_total",
            "Advances that read another writer's events from the database because they did not all arrive on the wire.");

        _workerAppPosition = f.CreateGauge("myelin_worker_app_position",
            "Stream position each worker app of this process has processed (stored in worker_app_positions).", "app", "stream");
        _workerAppLag = f.CreateGauge("myelin_worker_app_lag",
            "Stream positions a worker app has still to process (the stream's position minus the app's).", "app", "stream");

        _grains = f.CreateGauge("myelin_grain_activations",
            "Grain activations on this silo, by grain type (Orleans' orleans-grains).", "type");

        _databaseUp = f.CreateGauge("myelin_database_up",
            "1 when the database answered the last readiness query (kept 2 s), else 0.", "engine");
        // Npgsql's pool: absent on SQLite, which has none.
        var pool = new GaugeConfiguration { SuppressInitialValue = true };
        _poolConnections = f.CreateGauge("myelin_db_pool_connections",
            "PostgreSQL connections in Npgsql's pools, by state (idle, used).", "state");
        _poolMax = f.CreateGauge("myelin_db_pool_max_connections", "Maximum size of Npgsql's pools (summed).", pool);
        _poolPending = f.CreateGauge("myelin_db_pool_pending_requests", "Requests waiting for a PostgreSQL connection.", pool);
        _poolTimeouts = f.CreateCounter("myelin_db_pool_timeouts_total", "Requests that timed out waiting for a PostgreSQL connection.",
            new CounterConfiguration { SuppressInitialValue = true });
        _commandsExecuting = f.CreateGauge("myelin_db_commands_executing", "PostgreSQL commands executing now.", pool);
        if (options.Database.Engine == DatabaseEngine.Postgres)
        {
            _poolMax.Publish();
            _poolPending.Publish();
            _poolTimeouts.Publish();
            _commandsExecuting.Publish();
        }

        _ready = f.CreateGauge("myelin_ready", "1 when this process is ready (/_myelin/health/ready answers 200), else 0.");
        _siloActive = f.CreateGauge("myelin_silo_active", "1 when this silo is an active member of the cluster, else 0.");
        _info = f.CreateGauge("myelin_build_info", "Always 1; labels say which worker this process is.",
            "version", "worker_name", "worker_app");
        _info.WithLabels(typeof(MyelinMetrics).Assembly.GetName().Version?.ToString() ?? "", options.WorkerName,
            options.Cluster.WorkerApp).Set(1);

        // Pauses are what a GC adds to request latency; prometheus-net's dotnet_* metrics count collections only.
        _gcPause = f.CreateCounter("myelin_gc_pause_seconds_total", "Time the .NET GC has paused this process's threads.");
        _gcAllocated = f.CreateCounter("myelin_gc_allocated_bytes_total", "Bytes this process has allocated on the .NET GC heap.");
        _gcHeap = f.CreateGauge("myelin_gc_heap_bytes", "Size of the .NET GC heap after the last collection.");

        foreach (var s in _sources) s.Register(f);
        DotNetStats.Register(Registry);
        Registry.AddBeforeCollectCallback(UpdateAsync);
    }

    async Task UpdateAsync(CancellationToken ct)
    {
        foreach (var stream in ClusterOptions.KnownStreams) _streamPosition.WithLabels(stream).Set(_bus.Position(stream));
        _gcPause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
        _gcAllocated.IncTo(GC.GetTotalAllocatedBytes());
        _gcHeap.Set(GC.GetGCMemoryInfo().HeapSizeBytes);

        _eventsPersisted.IncTo(_persister.Persisted);
        var published = _bus.Position(StreamNames.Events);
        _persistedUpto.Set(_events.PersistedUpto);
        _safePosition.Set(_events.SafePosition);
        var writers = new Dictionary<string, long> { [_events.InstanceName] = _events.PersistedUpto };
        foreach (var w in _events.Writers)
            if (w != _events.InstanceName && _events.WriterPosition(w) is { } p) writers[w] = p;
        foreach (var (instance, position) in writers)
        {
            _writerPosition.WithLabels(instance).Set(position);
            _replicationLag.WithLabels(instance).Set(Math.Max(0, position - published));
        }
        _gaps.IncTo(_events.GapsDetected);
        _rangeReads.IncTo(_events.RangeReads);

        foreach (var (app, stream, position) in _workerApps.All())
        {
            _workerAppPosition.WithLabels(app, stream).Set(position);
            _workerAppLag.WithLabels(app, stream).Set(Math.Max(0, _bus.Position(stream) - position));
        }

        foreach (var ((instrument, label), value) in _meters.Read())
        {
            switch (instrument)
            {
                case "orleans-grains": _grains.WithLabels(label).Set(value); break;
                case "db.client.connection.count": _poolConnections.WithLabels(label).Set(value); break;
                case "db.client.connection.max": _poolMax.Set(value); break;
                case "db.client.connection.npgsql.pending_requests": _poolPending.Set(value); break;
                case "db.client.connection.npgsql.timeouts": _poolTimeouts.IncTo(value); break;
                case "db.client.operation.npgsql.executing": _commandsExecuting.Set(value); break;
            }
        }

        var ready = await _readiness.CheckAsync();
        _ready.Set(ready.Ready ? 1 : 0);
        _siloActive.Set(ready.Silo == nameof(Orleans.Runtime.SiloStatus.Active) ? 1 : 0);
        _databaseUp.WithLabels(_options.Database.Engine.ToString().ToLowerInvariant()).Set(ready.Database ? 1 : 0);

        foreach (var s in _sources) s.Update();
    }

    /// <summary>Counts and times one HTTP request under its route pattern (never the raw path, whose IDs
    /// would make a series per room).</summary>
    public async Task TimeRequestAsync(HttpContext ctx, RequestDelegate next)
    {
        var series = RouteSeriesFor(ctx);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        series.Received.Inc();
        series.InFlight.Inc();
        var code = 500;
        try
        {
            await next(ctx);
            code = ctx.Response.StatusCode;
        }
        finally
        {
            series.InFlight.Dec();
            var (responses, responseTime) = series.ForStatus(code);
            responses.Inc();
            responseTime.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>A route's labelled series, looked up once per (method, route) rather than by label values
    /// on every request (each lookup by labels hashes them and allocates their array).</summary>
    sealed class RouteSeries(MyelinMetrics metrics, string method, string servlet)
    {
        public readonly Counter.Child Received = metrics._requestsReceived.WithLabels(method, servlet);
        public readonly Gauge.Child InFlight = metrics._inFlight.WithLabels(method, servlet);
        readonly System.Collections.Concurrent.ConcurrentDictionary<int, (Counter.Child, Histogram.Child)> _byStatus = new();

        public (Counter.Child Responses, Histogram.Child ResponseTime) ForStatus(int code) =>
            _byStatus.TryGetValue(code, out var known) ? known : _byStatus.GetOrAdd(code, c =>
            {
                var text = c.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return (metrics._responses.WithLabels(method, text), metrics._responseTime.WithLabels(method, servlet, text));
            });
    }

    readonly System.Collections.Concurrent.ConcurrentDictionary<(string Method, string Servlet), RouteSeries> _routeSeries = new();

    RouteSeries RouteSeriesFor(HttpContext ctx)
    {
        var key = (KnownMethods.Contains(ctx.Request.Method) ? ctx.Request.Method : "OTHER", Servlet(ctx));
        return _routeSeries.TryGetValue(key, out var known) ? known
            : _routeSeries.GetOrAdd(key, k => new RouteSeries(this, k.Method, k.Servlet));
    }

    static readonly HashSet<string> KnownMethods = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"];

    /// <summary>The matched endpoint's route template; "unrecognized" for what only the fallback matched.</summary>
    static string Servlet(HttpContext ctx) => ctx.GetEndpoint() switch
    {
        RouteEndpoint { RoutePattern.RawText: { } raw } when !raw.StartsWith("{*", StringComparison.Ordinal) => raw,
        _ => "unrecognized",
    };
}
