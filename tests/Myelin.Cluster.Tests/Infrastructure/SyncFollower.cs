using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Cluster.Tests.Infrastructure;

/// <summary>
/// A client's /sync loop, as a Matrix client runs it: one initial sync, then long-polls
/// (<c>timeout=30000</c>) from each <c>next_batch</c>, on its own connection to one gateway. It records
/// every timeline event it is handed and when, so a test can ask whether (and how soon) an event
/// reached this member. The filter asks for up to 1000 timeline events per room, so a catch-up after
/// an outage is one unlimited timeline rather than a gap the client would have to backfill.
/// </summary>
public sealed class SyncFollower : IAsyncDisposable
{
    public const int LongPollMs = 30_000;
    const string Filter = """{"room":{"timeline":{"limit":1000}}}""";

    public sealed record Received(string RoomId, string EventId, string Type, string Sender, string? Body, TimeSpan At);

    readonly MatrixClient _client;
    readonly Stopwatch _clock;
    readonly ConcurrentDictionary<string, TaskCompletionSource<Received>> _events = new();
    readonly ConcurrentQueue<string> _errors = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    int _polls;
    int _limitedTimelines;

    /// <summary>Starts following <paramref name="accessToken"/>'s sync on <paramref name="gateway"/>;
    /// <paramref name="clock"/> is the test's, so arrival times compare with its send times.</summary>
    public SyncFollower(Uri gateway, string accessToken, Stopwatch clock)
    {
        _client = new MatrixClient(gateway) { AccessToken = accessToken };
        _clock = clock;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Long-polls completed (with or without news).</summary>
    public int Polls => Volatile.Read(ref _polls);

    /// <summary>Joined-room timelines that came back limited (events left out of /sync).</summary>
    public int LimitedTimelines => Volatile.Read(ref _limitedTimelines);

    /// <summary>Failed sync requests, for messages; the loop retries each with the same token.</summary>
    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>Waits until the initial sync is done, so the loop is in (or entering) its first long-poll.</summary>
    public async Task WaitInitialSyncAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Polls == 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no initial sync within {timeout.TotalSeconds} s: {string.Join("; ", _errors)}");
            await Task.Delay(50);
        }
    }

    public bool Has(string eventId) => _events.TryGetValue(eventId, out var t) && t.Task.IsCompleted;

    /// <summary>The event once a sync delivered it, or null if none did within <paramref name="timeout"/>.</summary>
    public async Task<Received?> WaitForAsync(string eventId, TimeSpan timeout)
    {
        var t = Slot(eventId).Task;
        return await Task.WhenAny(t, Task.Delay(timeout)) == t ? await t : null;
    }

    TaskCompletionSource<Received> Slot(string eventId) =>
        _events.GetOrAdd(eventId, _ => new TaskCompletionSource<Received>(TaskCreationOptions.RunContinuationsAsynchronously));

    async Task LoopAsync()
    {
        string? since = null;
        while (!_stop.IsCancellationRequested)
        {
            MatrixClient.Response r;
            try
            {
                var q = $"/_matrix/client/v3/sync?timeout={(since is null ? 0 : LongPollMs)}&filter={Uri.EscapeDataString(Filter)}"
                    + (since is null ? "" : "&since=" + Uri.EscapeDataString(since));
                r = await _client.GetAsync(q);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested) return;
                _errors.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s {e.GetType().Name}: {e.Message}");
                await Task.Delay(200);
                continue;
            }
            if (r.Status != 200)
            {
                _errors.Enqueue($"{_clock.Elapsed.TotalSeconds:F1}s {r.Status} {r.Raw}");
                await Task.Delay(200);
                continue;
            }
            Interlocked.Increment(ref _polls);
            var at = _clock.Elapsed;
            if (r.Json["rooms"]?["join"] is JsonObject joined)
                foreach (var (roomId, room) in joined)
                {
                    if (room?["timeline"]?["limited"]?.GetValue<bool>() == true) Interlocked.Increment(ref _limitedTimelines);
                    if (room?["timeline"]?["events"] is not JsonArray events) continue;
                    foreach (var e in events)
                    {
                        var received = new Received(roomId, e!["event_id"]!.GetValue<string>(), e["type"]!.GetValue<string>(),
                            e["sender"]!.GetValue<string>(), e["content"]?["body"]?.GetValue<string>(), at);
                        Slot(received.EventId).TrySetResult(received);
                    }
                }
            since = r.Json["next_batch"]!.GetValue<string>();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _client.Dispose(); // aborts the long-poll in flight
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
