using Myelin.LoadTest.Client;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Scenarios;

/// <summary>
/// One user's /sync long-poll loop, as a client keeps it (on a connection of its own when given a
/// <see cref="LongPollConnection"/>): its filters uploaded once and named by ID on
/// every sync (as matrix-js-sdk and so Element do; inline when the server will not store them), a first
/// sync with a small timeline, then `since`-chained syncs with timeout=30000. A limited timeline is backfilled through /messages back to
/// the last event this loop saw, so gaps the server leaves are not mistaken for losses.
/// </summary>
public sealed class SyncLoop(
    IMatrixClient client,
    LoadUser user,
    RunMetrics metrics,
    string initialFilter,
    string loopFilter,
    Action<LoadUser, JoinedRoomUpdate, long> onRoomUpdate,
    bool inlineFilters = false,
    LongPollConnection? longPoll = null)
{
    public const int LongPollMs = 30_000;
    private const int BackfillPageSize = 100;
    private const int MaxBackfillPages = 20;

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _lastEventByRoom = new(StringComparer.Ordinal);
    private bool _filtersRejected;

    /// <summary>Completes once the first sync has returned, so events sent afterwards will be seen.</summary>
    public Task Ready => _ready.Task;

    /// <summary>True when the server refused the inline filter and the loop fell back to unfiltered syncs.</summary>
    public bool FiltersRejected => _filtersRejected;

    public async Task RunAsync(CancellationToken ct)
    {
        string? since = null;
        try
        {
            var initialFilterRef = await StoredFilterAsync(initialFilter, ct);
            var loopFilterRef = await StoredFilterAsync(loopFilter, ct);
            while (!ct.IsCancellationRequested)
            {
                var initial = since is null;
                var filter = _filtersRejected ? null : initial ? initialFilterRef : loopFilterRef;
                var result = longPoll is not null
                    ? await longPoll.SyncAsync(user.Token, since, initial ? 0 : LongPollMs, filter, ct)
                    : await client.SyncAsync(user.Token, since, initial ? 0 : LongPollMs, filter, ct);
                if (!result.IsSuccess)
                {
                    if (result.Status == 400 && filter is not null && !_filtersRejected)
                    {
                        _filtersRejected = true;
                        continue;
                    }
                    await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                    continue;
                }

                var now = metrics.NowMicros;
                if (initial)
                {
                    metrics.RecordLatency(RunMetrics.Sync, (long)result.Elapsed.TotalMicroseconds);
                    foreach (var room in result.Value!.Rooms)
                        Remember(room.RoomId, room.Timeline);
                    _ready.TrySetResult();
                }
                else
                {
                    foreach (var room in result.Value!.Rooms)
                    {
                        var update = room.Limited && room.PrevBatch is not null
                            ? room with { Timeline = [.. await BackfillAsync(room, ct), .. room.Timeline] }
                            : room;
                        Remember(room.RoomId, update.Timeline);
                        onRoomUpdate(user, update, now);
                    }
                }
                since = result.Value.NextBatch;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            _ready.TrySetResult();
            if (longPoll is not null)
                await longPoll.DisposeAsync();
        }
    }

    /// <summary>The filter's ID once the server stores it; the filter itself, to send inline, if it will not.</summary>
    private async Task<string> StoredFilterAsync(string filterJson, CancellationToken ct)
    {
        if (inlineFilters)
            return filterJson;
        var stored = await client.CreateFilterAsync(user.Token, user.UserId, filterJson, ct);
        return stored.IsSuccess && stored.Value is { Length: > 0 } id ? id : filterJson;
    }

    private void Remember(string roomId, IReadOnlyList<RoomEvent> timeline)
    {
        for (var i = timeline.Count - 1; i >= 0; i--)
        {
            if (timeline[i].EventId is { } id)
            {
                _lastEventByRoom[roomId] = id;
                return;
            }
        }
    }

    /// <summary>Events between the last one this loop saw and the start of a limited timeline, oldest first.</summary>
    private async Task<IReadOnlyList<RoomEvent>> BackfillAsync(JoinedRoomUpdate room, CancellationToken ct)
    {
        _lastEventByRoom.TryGetValue(room.RoomId, out var lastSeen);
        var newestFirst = new List<RoomEvent>();
        var from = room.PrevBatch!;
        for (var page = 0; page < MaxBackfillPages; page++)
        {
            var res = await client.GetMessagesBackwardsAsync(user.Token, room.RoomId, from, BackfillPageSize,
                _filtersRejected ? null : SyncFilters.MessagesOnlyRoomEventFilter, ct);
            if (!res.IsSuccess)
                break;
            foreach (var ev in res.Value!.Chunk)
            {
                if (lastSeen is not null && ev.EventId == lastSeen)
                    return Reverse(newestFirst);
                newestFirst.Add(ev);
            }
            if (res.Value.Chunk.Count == 0 || res.Value.End is null || lastSeen is null)
                break;
            from = res.Value.End;
        }
        return Reverse(newestFirst);

        static IReadOnlyList<RoomEvent> Reverse(List<RoomEvent> xs)
        {
            xs.Reverse();
            return xs;
        }
    }
}
