using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps;

/// <summary>
/// The skeleton of a worker app (pusher, appservice sender, user directory updater): follows the events
/// stream from its stored position, hands each batch of events to <see cref="HandleAsync"/>, and stores the
/// new position only after the batch was handled. A crash between the two replays the batch, so work is
/// at-least-once and never skipped; a failing batch is retried with back-off, never passed over.
/// </summary>
/// <remarks>
/// It reads up to the bus's events position, which is the safe position (every writer has persisted
/// everything below it), so an event committed late with a lower position is never missed. The bus wakes it
/// as the stream moves; a poll every <see cref="PollInterval"/> covers a missed wake.
/// </remarks>
public abstract class EventStreamFollower : BackgroundService
{
    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly WorkerAppPositions _positions;
    readonly TimeProvider _time;
    readonly SemaphoreSlim _wake = new(0, 1);

    protected EventStreamFollower(string app, string instance, MyelinDatabase db, IReplicationBus bus,
        WorkerAppPositions positions, TimeProvider time, ILogger log)
    {
        App = app;
        Instance = instance;
        _db = db;
        _bus = bus;
        _positions = positions;
        _time = time;
        Log = log;
    }

    /// <summary>The app's name in worker_app_positions, with its shard if any ("pusher", "appservice:irc").</summary>
    public string App { get; }
    /// <summary>This process's worker_name.</summary>
    public string Instance { get; }
    protected ILogger Log { get; }

    /// <summary>Events read per batch (by stream position range).</summary>
    protected virtual int BatchSize => 500;
    protected virtual TimeSpan PollInterval => TimeSpan.FromSeconds(5);
    protected virtual TimeSpan MaxBackoff => TimeSpan.FromMinutes(1);

    /// <summary>Where an app that has never run starts: by default the stream's current position (only new
    /// events). Return 0 to start from the beginning.</summary>
    protected virtual long StartingPosition(long current) => current;

    /// <summary>Does the app's work for these events (ascending stream order, possibly none of interest).
    /// Throwing makes the same batch come again after a back-off.</summary>
    protected abstract Task HandleAsync(IReadOnlyList<StoredEvent> events, CancellationToken ct);

    /// <summary>The last position whose events have been handled and stored.</summary>
    public long Position => _positions.Get(App, StreamNames.Events) ?? 0;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var sub = _bus.Subscribe(u =>
        {
            if (u.Stream == StreamNames.Events) Wake();
        });
        var position = await _db.WorkerAppPositions.GetAsync(App, Instance, StreamNames.Events)
            ?? StartingPosition(_bus.Position(StreamNames.Events));
        await _db.WorkerAppPositions.SetAsync(App, Instance, StreamNames.Events, position);
        _positions.Set(App, StreamNames.Events, position);
        Log.LogInformation("{App} following the events stream from {Position}", App, position);

        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var upTo = _bus.Position(StreamNames.Events);
            if (upTo <= position)
            {
                await WaitAsync(PollInterval, ct);
                continue;
            }
            var to = Math.Min(upTo, position + BatchSize);
            try
            {
                var events = await _db.Events.GetStreamRangeAsync(position, to);
                await HandleAsync(events, ct);
                await _db.WorkerAppPositions.SetAsync(App, Instance, StreamNames.Events, to);
                position = to;
                _positions.Set(App, StreamNames.Events, position);
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 16))));
                Log.LogWarning(e, "{App}: handling events ({From}, {To}] failed ({Failures} in a row); retrying in {Delay}",
                    App, position, to, failures, delay);
                await WaitAsync(delay, ct, wakeable: false);
            }
        }
    }

    /// <summary>Makes the loop look at the stream now (the bus does this as events arrive).</summary>
    public void Wake()
    {
        try { _wake.Release(); }
        catch (SemaphoreFullException) { }
    }

    async Task WaitAsync(TimeSpan delay, CancellationToken ct, bool wakeable = true)
    {
        try
        {
            if (wakeable) await _wake.WaitAsync(delay, ct);
            else await Task.Delay(delay, _time, ct);
        }
        catch (OperationCanceledException) { }
    }

    public override void Dispose()
    {
        base.Dispose();
        _wake.Dispose();
        GC.SuppressFinalize(this);
    }
}
