using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Scenarios;

/// <summary>
/// initial-sync: users joined to every room (each with --history messages) log in on a new device and do a
/// full, unfiltered initial /sync, round after round until the duration or --messages is used up.
/// "sync" latency is the initial /sync; "login" the login before it; throughput is initial syncs per second.
/// </summary>
public sealed class InitialSyncScenario : IScenario
{
    public const string Login = "login";

    public string Name => "initial-sync";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext ctx, CancellationToken ct)
    {
        var o = ctx.Options;
        var metrics = ctx.Metrics;
        var world = await ctx.BuildWorldAsync(RoomLayout.Full(o.Users, o.Rooms), o.HistoryPerRoom, ct);
        ctx.Log($"world ready: {world.Users.Count} users each in {world.Rooms.Count} rooms with {o.HistoryPerRoom} messages of history");

        metrics.StartPhase();
        var phaseStart = metrics.NowMicros;
        var budget = new OperationBudget(o.MaxOperations, phaseStart + (long)o.Duration.TotalMicroseconds, metrics);
        long next = -1;
        var workers = Enumerable.Range(0, Math.Min(o.Concurrency, world.Users.Count)).Select(async _ =>
        {
            while (!ct.IsCancellationRequested && budget.TryTake())
            {
                var user = world.Users[(int)(Interlocked.Increment(ref next) % world.Users.Count)];
                var login = await ctx.Client.LoginAsync(user.Username, user.Password, ct);
                if (!login.IsSuccess)
                {
                    metrics.CountFailed();
                    continue;
                }
                metrics.RecordLatency(Login, (long)login.Elapsed.TotalMicroseconds);
                var sync = await ctx.Client.SyncAsync(login.Value!.AccessToken, since: null, timeoutMs: 0, filter: null, ct);
                if (sync.IsSuccess)
                    metrics.CountSent((long)sync.Elapsed.TotalMicroseconds, RunMetrics.Sync);
                else
                    metrics.CountFailed();
            }
        }).ToList();
        await Task.WhenAll(workers);
        var seconds = (metrics.NowMicros - phaseStart) / 1e6;

        return new ScenarioOutcome(world.Users.Count, world.Rooms.Count, seconds, null, null,
            [$"{Math.Min(o.Concurrency, world.Users.Count)} concurrent clients; each login makes a new device; sent counts completed initial syncs"]);
    }
}
