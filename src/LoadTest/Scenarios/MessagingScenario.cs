using Myelin.LoadTest.Client;
using Myelin.LoadTest.Delivery;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Scenarios;

/// <summary>
/// chat: every user keeps a /sync loop and sends messages at its share of --rate into its rooms.
/// burst: the same, but each user sends its next message as soon as the last is acknowledged.
/// Every acknowledged message is then checked to reach every member's /sync once and in order.
/// </summary>
public sealed class MessagingScenario(bool burst) : IScenario
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public string Name => burst ? "burst" : "chat";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext ctx, CancellationToken ct)
    {
        var o = ctx.Options;
        var metrics = ctx.Metrics;
        var notes = new List<string>();
        var layout = RoomLayout.PowerLaw(o.Users, o.Rooms, o.RoomSizeExponent, o.Seed);
        var world = await ctx.BuildWorldAsync(layout, 0, ct);
        ctx.Log($"world ready: {world.Users.Count} users, {world.Rooms.Count} rooms (sizes {string.Join(",", world.Rooms.Select(r => r.Members.Count))})");

        var checker = new DeliveryChecker();
        foreach (var room in world.Rooms)
            checker.SetRoomMembers(room.RoomId, room.Members.Select(u => world.Users[u].UserId).ToList());

        void OnUpdate(LoadUser receiver, JoinedRoomUpdate room, long nowMicros)
        {
            foreach (var ev in room.Timeline)
            {
                if (ev.Type != "m.room.message" || MessageMarker.TryRead(ev.Content) is not { } marker || marker.RunId != ctx.RunId)
                    continue;
                if (checker.Observed(receiver.UserId, room.RoomId, marker.MessageId, nowMicros) is not { } latency)
                    continue;
                metrics.CountDelivered();
                if (ev.Sender != receiver.UserId)
                    metrics.RecordLatency(RunMetrics.Delivery, latency);
            }
        }

        using var syncCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = world.Users.Select(u => new SyncLoop(ctx.Client, u, metrics, SyncFilters.Messages(1), SyncFilters.Messages(200), OnUpdate, o.InlineFilters, ctx.NewLongPoll())).ToList();
        var loopTasks = loops.Select(l => l.RunAsync(syncCts.Token)).ToList();
        try
        {
            ctx.Status = "initial syncs";
            try
            {
                await Task.WhenAll(loops.Select(l => l.Ready)).WaitAsync(ReadyTimeout, ct);
            }
            catch (TimeoutException)
            {
                notes.Add($"not every user finished its first /sync within {ReadyTimeout.TotalSeconds:0} s; their deliveries may count as lost");
            }
            ctx.Status = null;

            metrics.StartPhase();
            var phaseStart = metrics.NowMicros;
            var budget = new OperationBudget(o.MaxOperations, phaseStart + (long)o.Duration.TotalMicroseconds, metrics);
            var roomsOfUsers = layout.RoomsOfUsers();
            var senders = world.Users.Select(u => SendLoopAsync(ctx, world, u, roomsOfUsers[u.Index], checker, budget, phaseStart, ct)).ToList();
            await Task.WhenAll(senders);
            var phaseSeconds = (metrics.NowMicros - phaseStart) / 1e6;

            // Let deliveries still in flight arrive before counting anything lost.
            var drainUntil = metrics.NowMicros + (long)o.Drain.TotalMicroseconds;
            while (checker.Outstanding > 0 && metrics.NowMicros < drainUntil)
            {
                ctx.Status = $"draining {checker.Outstanding} deliveries";
                await Task.Delay(100, ct);
            }
            ctx.Status = null;

            if (loops.Any(l => l.FiltersRejected))
                notes.Add("the server rejected the inline /sync filter; unfiltered syncs were used");
            notes.Add("lost, duplicated and reordered count (message, member) deliveries; the sender's own /sync counts as a member");
            return new ScenarioOutcome(world.Users.Count, world.Rooms.Count, phaseSeconds, burst ? null : o.Rate, checker.Report(), notes);
        }
        finally
        {
            await syncCts.CancelAsync();
            await Task.WhenAll(loopTasks);
        }
    }

    private async Task SendLoopAsync(
        ScenarioContext ctx, LoadWorld world, LoadUser user, IReadOnlyList<int> rooms,
        DeliveryChecker checker, OperationBudget budget, long phaseStart, CancellationToken ct)
    {
        if (rooms.Count == 0)
            return;
        var metrics = ctx.Metrics;
        var random = new Random(HashCode.Combine(ctx.Options.Seed, user.Index));
        // Each user sends its share of the total rate; start offsets are spread so users do not send in lockstep.
        var intervalMicros = burst ? 0 : (long)(1e6 * world.Users.Count / ctx.Options.Rate);
        var due = phaseStart + (long)(random.NextDouble() * intervalMicros);
        long sequence = 0;

        while (!ct.IsCancellationRequested)
        {
            if (!burst)
            {
                if (!await budget.WaitUntilAsync(due, ct))
                    return;
                due += intervalMicros;
                // After a stall, do not fire the missed sends back to back: the rate is a target, not a debt.
                if (due < metrics.NowMicros - intervalMicros)
                    due = metrics.NowMicros;
            }
            if (!budget.TryTake())
                return;

            var room = world.Rooms[rooms[random.Next(rooms.Count)]];
            sequence++;
            var marker = new MessageMarker(ctx.RunId, $"{user.Index}.{sequence}", sequence);
            var started = metrics.NowMicros;
            checker.SendStarted(marker.MessageId, room.RoomId, user.UserId, started);
            var result = await ctx.Client.SendMessageAsync(user.Token, room.RoomId, $"{ctx.RunId}.{marker.MessageId}",
                marker.ToContent($"load test message {sequence} from {user.Username}"), ct);
            var ended = metrics.NowMicros;
            if (result.IsSuccess)
            {
                checker.Acknowledged(marker.MessageId, ended);
                metrics.CountSent(ended - started);
            }
            else
            {
                metrics.CountFailed();
                if (result.Status == 0)
                    await Task.Delay(100, ct); // the server is gone or stuck; don't spin
            }
        }
    }
}
