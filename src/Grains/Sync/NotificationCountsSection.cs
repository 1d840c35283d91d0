using System.Collections.Concurrent;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Sync;

/// <summary>
/// Each joined room's <c>unread_notifications</c> (spec: "Receiving notifications"): the user's notifying
/// push actions after their latest read receipt in the room (m.read or m.read.private, unthreaded or main
/// thread) up to the token's events position. A room whose counts moved since the client's token (a new
/// counted action, or a receipt of the user on the receipts stream in (since, upTo]) is sent even when
/// nothing else in it is new.
/// <para>
/// Counts are kept per user on this process (Synapse keeps a summary table for the same reason: counting
/// every unread action on every sync grows with what the user never read). A sync adds the user's new
/// actions since the counts were taken, and recounts from the database only the rooms where the user's
/// own receipt moved, rooms not counted yet, and everything on a first or full-state sync.
/// </para>
/// </summary>
public sealed class NotificationCountsSection(MyelinDatabase db, RecentEventsCache? recent = null, RecentPushActions? pushActions = null,
    RecentReceiptRanges? receiptRanges = null)
    : ISyncSection
{
    const int MaxUsers = 50_000;

    sealed record RoomCounts(long Notifications, long Highlights, long LatestUnread, long ReceiptStreamId);

    // Mutated only from the user's own sync grain (one activation, one request at a time).
    sealed class UserCounts
    {
        public long EventsUpTo;
        public long ReceiptsUpTo;
        public readonly Dictionary<string, RoomCounts> Rooms = [];
    }

    readonly ConcurrentDictionary<string, UserCounts> _users = new();

    public async Task AddToAsync(SyncSectionContext sync)
    {
        if (sync.JoinedRooms.Count == 0) return;
        var upTo = sync.UpTo;
        // Counts move only with new events or receipts: a sync woken by typing, presence or to-device
        // (one per member of a busy room) needs nothing.
        if (sync.Since is { } s && !sync.FullState && sync.RoomsInFull.Count == 0
            && s.Events == upTo.Events && s.Receipts == upTo.Receipts)
        {
            sync.UnreadCountsUnchanged = true;
            return;
        }

        _users.TryGetValue(sync.UserId, out var known);
        if (known is null || sync.Since is null || sync.FullState || known.EventsUpTo > upTo.Events || known.ReceiptsUpTo > upTo.Receipts)
        {
            if (_users.Count >= MaxUsers) _users.Clear();
            known = new UserCounts();
            await RecountAsync(known, sync.UserId, sync.JoinedRooms, upTo.Events);
            _users[sync.UserId] = known;
        }
        else
        {
            var recount = sync.JoinedRooms.Where(r => !known.Rooms.ContainsKey(r)).ToHashSet();
            if (upTo.Receipts > known.ReceiptsUpTo)
                foreach (var room in await RoomsWithNewReceiptsAsync(sync.UserId, known.ReceiptsUpTo, upTo.Receipts))
                    recount.Add(room);
            if (upTo.Events > known.EventsUpTo)
            {
                var added = NewActionsFromMemory(sync.UserId, sync.JoinedRooms, known.EventsUpTo, upTo.Events)
                    ?? await db.PushActions.GetNewActionsAsync(sync.UserId, known.EventsUpTo, upTo.Events);
                foreach (var (room, position, highlight) in added)
                {
                    if (recount.Contains(room) || !known.Rooms.TryGetValue(room, out var c)) continue;
                    known.Rooms[room] = c with
                    {
                        Notifications = c.Notifications + 1,
                        Highlights = c.Highlights + (highlight ? 1 : 0),
                        LatestUnread = Math.Max(c.LatestUnread, position),
                    };
                }
            }
            recount.IntersectWith(sync.JoinedRooms);
            if (recount.Count > 0) await RecountAsync(known, sync.UserId, recount, upTo.Events);
        }
        known.EventsUpTo = upTo.Events;
        known.ReceiptsUpTo = upTo.Receipts;

        foreach (var room in sync.JoinedRooms)
        {
            if (!known.Rooms.TryGetValue(room, out var c)) continue;
            var changed = sync.Since is not { } since
                || c.LatestUnread > since.Events
                || (c.ReceiptStreamId > since.Receipts && c.ReceiptStreamId <= upTo.Receipts);
            sync.SetUnreadCounts(room, c.Notifications, c.Highlights, changed);
        }
    }

    /// <summary>The rooms where the user's counting receipt (m.read or m.read.private, unthreaded or main
    /// thread) moved in (from, to]. A receipt wakes every member of its room; the small ranges they ask for
    /// are read once for all of them (<see cref="RecentReceiptRanges"/>), not once per member.</summary>
    async Task<IEnumerable<string>> RoomsWithNewReceiptsAsync(string userId, long from, long to)
    {
        if (receiptRanges is null || !RecentReceiptRanges.Covers(from, to))
            return await db.PushActions.GetRoomsWithNewReceiptsAsync(userId, from, to);
        return (await receiptRanges.GetAsync(from, to))
            .Where(r => r.UserId == userId && r.ReceiptType is Myelin.Matrix.Receipts.Read or Myelin.Matrix.Receipts.ReadPrivate
                && r.ThreadId is null or "main")
            .Select(r => r.RoomId).Distinct();
    }

    /// <summary>The user's new notifying actions in the joined rooms from the recent events and their push
    /// actions in memory; null when any of it is not there (then the database answers).</summary>
    IReadOnlyList<(string RoomId, long StreamOrdering, bool Highlight)>? NewActionsFromMemory(
        string userId, IReadOnlyList<string> rooms, long from, long to)
    {
        if (recent is null || pushActions is null || !recent.TryGetRange(rooms.ToHashSet(), from, to, out var events)) return null;
        var result = new List<(string, long, bool)>();
        foreach (var e in events)
        {
            if (!pushActions.TryGet(e.StreamOrdering, out var notifying)) return null;
            if (notifying.TryGetValue(userId, out var highlight)) result.Add((e.RoomId, e.StreamOrdering, highlight));
        }
        return result;
    }

    async Task RecountAsync(UserCounts known, string userId, IReadOnlyCollection<string> rooms, long upToEvents)
    {
        foreach (var c in await db.PushActions.GetUnreadCountsAsync(userId, rooms, upToEvents))
            known.Rooms[c.RoomId] = new RoomCounts(c.Notifications, c.Highlights, c.LatestUnread, c.ReceiptStreamId);
    }
}
