using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps;

/// <summary>
/// The periodic housekeeping of the process <c>run_background_tasks_on</c> names (only there): each task on
/// its own period, checked every <see cref="Tick"/> of the injected <see cref="TimeProvider"/>. Every task
/// is idempotent (it deletes what is due, or wakes who is due), so two runs, a run cut short or a run on
/// another process after a move leave the same result.
/// </summary>
public sealed class BackgroundTasks : BackgroundService
{
    /// <summary>How often due tasks are looked for.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMinutes(1);

    /// <summary>Synapse keeps client transaction IDs (event_txn_id) a day.</summary>
    public static readonly TimeSpan TransactionIdLifetime = TimeSpan.FromDays(1);
    /// <summary>Read push actions are kept about a month (Synapse deletes read highlights older than its
    /// stream_ordering_month_ago), for GET /notifications.</summary>
    public static readonly TimeSpan ReadPushActionLifetime = TimeSpan.FromDays(30);
    /// <summary>A user stored present but unseen this long is woken to time out: the sync timeout plus room
    /// for the presence grain's lazily stored sync times.</summary>
    public static readonly TimeSpan StalePresenceAfter = TimeSpan.FromMilliseconds(PresenceTracker.SyncOnlineTimeoutMs) + TimeSpan.FromMinutes(5);

    const int PresencePage = 500;
    const int PresenceConcurrency = 16;

    /// <summary>One housekeeping task: its name (in logs), its period, and the work, returning how much it did.</summary>
    public sealed record HousekeepingTask(string Name, TimeSpan Every, Func<CancellationToken, Task<int>> RunAsync);

    readonly MyelinDatabase _db;
    readonly HomeserverOptions _options;
    readonly TimeProvider _time;
    readonly ILogger _log;
    readonly Func<string, Task> _resumePresence;
    // Made with the service, so the first tick is a Tick after construction whenever the host starts the
    // loop; a tick that comes while tasks run is kept for the next wait, never lost.
    readonly PeriodicTimer _timer;
    readonly Dictionary<HousekeepingTask, DateTimeOffset> _due;

    /// <param name="resumePresence">Wakes a user's presence writer (an idle one restores the stored state and
    /// times out, announcing offline to every process).</param>
    public BackgroundTasks(MyelinDatabase db, HomeserverOptions options, TimeProvider time, ILogger<BackgroundTasks> log,
        Func<string, Task> resumePresence)
    {
        _db = db;
        _options = options;
        _time = time;
        _log = log;
        _resumePresence = resumePresence;
        Tasks =
        [
            new("expire transaction IDs", TimeSpan.FromHours(1), _ => DeleteExpiredTransactionIdsAsync()),
            new("expire to-device transaction IDs", TimeSpan.FromHours(1), _ => DeleteExpiredToDeviceTransactionIdsAsync()),
            new("delete to-device messages of deleted devices", TimeSpan.FromHours(1), _ => DeleteOrphanedToDeviceMessagesAsync()),
            new("prune read push actions", TimeSpan.FromHours(1), _ => PruneReadPushActionsAsync()),
            new("time out stale presence", TimeSpan.FromMinutes(5), TimeOutStalePresenceAsync),
        ];
        _timer = new PeriodicTimer(Tick, time);
        // Everything is due at the first tick: by then the process is up.
        _due = Tasks.ToDictionary(t => t, _ => time.GetUtcNow() + Tick);
    }

    /// <summary>The service as the process hosts it: presence is woken through the user's presence grain.</summary>
    public static BackgroundTasks Create(IServiceProvider sp) => new(
        sp.GetRequiredService<MyelinDatabase>(), sp.GetRequiredService<HomeserverOptions>(), sp.GetRequiredService<TimeProvider>(),
        sp.GetRequiredService<ILogger<BackgroundTasks>>(), user => sp.GetRequiredService<IGrainFactory>().Presence(user).Resume());

    public IReadOnlyList<HousekeepingTask> Tasks { get; }

    /// <summary>Task runs completed, and ticks handled (for tests).</summary>
    public int Runs { get; private set; }
    public int Ticks { get; private set; }

    long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        _log.LogInformation("Background tasks run on this process ({Instance})", _options.WorkerName);
        try
        {
            while (await _timer.WaitForNextTickAsync(ct))
            {
                var now = _time.GetUtcNow();
                foreach (var task in Tasks)
                {
                    if (_due[task] > now || ct.IsCancellationRequested) continue;
                    _due[task] = now + task.Every;
                    await RunAsync(task, ct);
                }
                Ticks++;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _timer.Dispose();
        base.Dispose();
    }

    /// <summary>Runs one task; a failure is logged and the task tried again at its next period.</summary>
    public async Task RunAsync(HousekeepingTask task, CancellationToken ct = default)
    {
        try
        {
            var done = await task.RunAsync(ct);
            Runs++;
            if (done > 0) _log.LogInformation("Background task '{Task}': {Count} done", task.Name, done);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Background task '{Task}' failed; it runs again in {Every}", task.Name, task.Every);
        }
    }

    /// <summary>Client transaction IDs (event_txn_id) older than a day: a retry after that sends again.</summary>
    public Task<int> DeleteExpiredTransactionIdsAsync() =>
        _db.Transactions.DeleteOlderThanAsync(Now - (long)TransactionIdLifetime.TotalMilliseconds);

    /// <summary>To-device transaction IDs older than a day, of every device (a device's own writer only
    /// expires them now and then while it is in use).</summary>
    public Task<int> DeleteExpiredToDeviceTransactionIdsAsync() =>
        _db.Housekeeping.DeleteToDeviceTxnsOlderThanAsync(Now - (long)TransactionIdLifetime.TotalMilliseconds);

    /// <summary>Messages waiting for devices that no longer exist (sent while the device was being deleted):
    /// no sync will ever acknowledge them.</summary>
    public Task<int> DeleteOrphanedToDeviceMessagesAsync() => _db.Housekeeping.DeleteInboxOfMissingDevicesAsync();

    /// <summary>Push actions read more than a month ago (by the event's age): unread counts no longer need them,
    /// and event_push_actions otherwise grows with every notifying event forever.</summary>
    public async Task<int> PruneReadPushActionsAsync()
    {
        var upTo = await _db.Housekeeping.GetStreamOrderingBeforeAsync(Now - (long)ReadPushActionLifetime.TotalMilliseconds);
        return upTo <= 0 ? 0 : await _db.Housekeeping.DeleteReadPushActionsAsync(upTo);
    }

    /// <summary>
    /// Users stored as present whose presence should have timed out while no process held their presence
    /// writer (the process died, or the writer moved): each is woken, restores the stored state, and times
    /// out to offline if no client comes back. A writer that is active already ignores the wake.
    /// </summary>
    public async Task<int> TimeOutStalePresenceAsync(CancellationToken ct)
    {
        if (!_options.Presence.Enabled || !_options.Presence.Tracked) return 0;
        var before = Now - (long)StalePresenceAfter.TotalMilliseconds;
        var woken = 0;
        var after = "";
        while (!ct.IsCancellationRequested)
        {
            var page = await _db.Housekeeping.GetStalePresenceAsync(before, after, PresencePage);
            if (page.Count == 0) break;
            await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = PresenceConcurrency, CancellationToken = ct },
                async (user, _) => await _resumePresence(user));
            woken += page.Count;
            after = page[^1];
        }
        return woken;
    }
}
