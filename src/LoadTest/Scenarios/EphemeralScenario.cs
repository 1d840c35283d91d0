using System.Collections.Concurrent;
using System.Text.Json;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Delivery;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Scenarios;

/// <summary>
/// ephemeral: all users in one large room, each cycling (from a random first step) typing on, a message
/// (at most one per second in the room; otherwise typing off), and a read receipt on the newest message it
/// has seen, at its share of --rate operations per second, while every user syncs.
/// Measures request latency ("typing", "receipt", "send") and how long other members take to see typing and
/// receipts ("typing_delivery", "receipt_delivery", both also in "delivery").
/// </summary>
public sealed class EphemeralScenario : IScenario
{
    public const string Typing = "typing";
    public const string Receipt = "receipt";
    public const string TypingDelivery = "typing_delivery";
    public const string ReceiptDelivery = "receipt_delivery";

    public string Name => "ephemeral";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext ctx, CancellationToken ct)
    {
        var o = ctx.Options;
        var metrics = ctx.Metrics;
        var world = await ctx.BuildWorldAsync(RoomLayout.PowerLaw(o.Users, 1, o.RoomSizeExponent, o.Seed), 1, ct);
        var room = world.Rooms[0];
        ctx.Log($"world ready: one room with {room.Members.Count} members");

        var tracker = new EphemeralTracker();
        var newestSeen = new ConcurrentDictionary<int, string>();
        var audience = room.Members.Count - 1;

        void OnUpdate(LoadUser receiver, JoinedRoomUpdate update, long now)
        {
            if (update.RoomId != room.RoomId)
                return;
            foreach (var ev in update.Timeline)
                if (ev.EventId is not null && ev.Sender != receiver.UserId)
                    newestSeen[receiver.Index] = ev.EventId;
            foreach (var ev in update.Ephemeral)
            {
                foreach (var (key, metric) in EphemeralKeys(ev))
                {
                    if (tracker.Observed(receiver.UserId, key, now) is { } latency)
                    {
                        metrics.CountDelivered();
                        metrics.RecordLatency(metric, latency);
                        metrics.RecordLatency(RunMetrics.Delivery, latency);
                    }
                }
            }
        }

        using var syncCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var loops = world.Users.Select(u => new SyncLoop(ctx.Client, u, metrics, SyncFilters.Ephemeral(1), SyncFilters.Ephemeral(20), OnUpdate, o.InlineFilters, ctx.NewLongPoll())).ToList();
        var loopTasks = loops.Select(l => l.RunAsync(syncCts.Token)).ToList();
        try
        {
            ctx.Status = "initial syncs";
            var notes = new List<string>();
            try
            {
                await Task.WhenAll(loops.Select(l => l.Ready)).WaitAsync(TimeSpan.FromSeconds(60), ct);
            }
            catch (TimeoutException)
            {
                notes.Add("not every user finished its first /sync within 60 s");
            }
            ctx.Status = null;

            metrics.StartPhase();
            var phaseStart = metrics.NowMicros;
            var budget = new OperationBudget(o.MaxOperations, phaseStart + (long)o.Duration.TotalMicroseconds, metrics);
            var intervalMicros = (long)(1e6 * world.Users.Count / o.Rate);
            var lastMessageAt = long.MinValue / 2;
            var workers = world.Users.Select(async user =>
            {
                var random = new Random(HashCode.Combine(o.Seed, user.Index));
                var due = phaseStart + (long)(random.NextDouble() * intervalMicros);
                string? lastReceipt = null;
                // Each user starts the cycle at a random step, so that a short run of a large room (fewer
                // operations than three per user) still mixes typing, messages and receipts.
                for (var step = random.Next(3); !ct.IsCancellationRequested; step++)
                {
                    if (!await budget.WaitUntilAsync(due, ct) || !budget.TryTake())
                        return;
                    due = Math.Max(due + intervalMicros, metrics.NowMicros - intervalMicros);
                    var started = metrics.NowMicros;
                    switch (step % 3)
                    {
                        case 0:
                            tracker.Started($"typing:{user.UserId}", user.UserId, audience, started);
                            Count(await ctx.Client.SetTypingAsync(user.Token, room.RoomId, user.UserId, true, 10_000, ct), Typing);
                            break;
                        case 1:
                            // Messages only give receipts something to point at: at most one per second in the
                            // whole room, so the run measures typing and receipt fan-out, not message fan-out.
                            var last = Interlocked.Read(ref lastMessageAt);
                            if (started - last < 1_000_000 || Interlocked.CompareExchange(ref lastMessageAt, started, last) != last)
                            {
                                Count(await ctx.Client.SetTypingAsync(user.Token, room.RoomId, user.UserId, false, 0, ct), Typing);
                                break;
                            }
                            var marker = new MessageMarker(ctx.RunId, $"{user.Index}.{step}", step);
                            Count(await ctx.Client.SendMessageAsync(user.Token, room.RoomId, $"{ctx.RunId}.e{user.Index}.{step}",
                                marker.ToContent("ephemeral scenario message"), ct), RunMetrics.Send);
                            break;
                        default:
                            if (newestSeen.TryGetValue(user.Index, out var eventId) && eventId != lastReceipt)
                            {
                                lastReceipt = eventId;
                                tracker.Started($"receipt:{user.UserId}:{eventId}", user.UserId, audience, started);
                                Count(await ctx.Client.SendReadReceiptAsync(user.Token, room.RoomId, eventId, ct), Receipt);
                            }
                            else
                            {
                                Count(await ctx.Client.SetTypingAsync(user.Token, room.RoomId, user.UserId, false, 0, ct), Typing);
                            }
                            break;
                    }

                    void Count<T>(MatrixResult<T> r, string metric)
                    {
                        if (r.IsSuccess)
                            metrics.CountSent((long)r.Elapsed.TotalMicroseconds, metric);
                        else
                            metrics.CountFailed();
                    }
                }
            }).ToList();
            await Task.WhenAll(workers);
            var seconds = (metrics.NowMicros - phaseStart) / 1e6;

            var drainUntil = metrics.NowMicros + (long)Math.Min(o.Drain.TotalMicroseconds, 3e6);
            ctx.Status = "draining";
            while (metrics.NowMicros < drainUntil && tracker.Totals.Seen < tracker.Totals.Expected)
                await Task.Delay(100, ct);
            ctx.Status = null;

            var (expected, seen) = tracker.Totals;
            notes.Add($"ephemeral updates seen by other members: {seen} of {expected} (servers may coalesce typing and receipts, so this is not a loss count)");
            return new ScenarioOutcome(world.Users.Count, 1, seconds, o.Rate, null, notes);
        }
        finally
        {
            await syncCts.CancelAsync();
            await Task.WhenAll(loopTasks);
        }
    }

    /// <summary>Keys of the updates an m.typing or m.receipt event carries, with the metric each belongs to.</summary>
    public static IEnumerable<(string Key, string Metric)> EphemeralKeys(RoomEvent ev)
    {
        var content = ev.Content;
        if (content.ValueKind != JsonValueKind.Object)
            yield break;
        if (ev.Type == "m.typing" && content.TryGetProperty("user_ids", out var ids) && ids.ValueKind == JsonValueKind.Array)
        {
            foreach (var id in ids.EnumerateArray())
                if (id.ValueKind == JsonValueKind.String)
                    yield return ($"typing:{id.GetString()}", TypingDelivery);
        }
        else if (ev.Type == "m.receipt")
        {
            // spec: content is {eventId: {receiptType: {userId: {ts}}}}
            foreach (var evt in content.EnumerateObject())
            {
                if (evt.Value.ValueKind != JsonValueKind.Object || !evt.Value.TryGetProperty("m.read", out var read) || read.ValueKind != JsonValueKind.Object)
                    continue;
                foreach (var user in read.EnumerateObject())
                    yield return ($"receipt:{user.Name}:{evt.Name}", ReceiptDelivery);
            }
        }
    }
}
