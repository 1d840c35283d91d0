using Myelin.Storage;

namespace Myelin.Grains.Sync;

/// <summary>
/// Each joined room's <c>unread_notifications</c> (spec: "Receiving notifications"): the user's notifying
/// push actions after their latest read receipt in the room (m.read or m.read.private, unthreaded or main
/// thread) up to the token's events position, for all the rooms in one query. A room whose counts moved
/// since the client's token (a new counted action, or a receipt of the user on the receipts stream in
/// (since, upTo]) is sent even when nothing else in it is new.
/// </summary>
public sealed class NotificationCountsSection(MyelinDatabase db) : ISyncSection
{
    public async Task AddToAsync(SyncSectionContext sync)
    {
        if (sync.JoinedRooms.Count == 0) return;
        // Counts move only with new events or receipts: a sync woken by typing, presence or to-device
        // (one per member of a busy room) skips the query.
        if (sync.Since is { } s && !sync.FullState && sync.RoomsInFull.Count == 0
            && s.Events == sync.UpTo.Events && s.Receipts == sync.UpTo.Receipts)
        {
            sync.UnreadCountsUnchanged = true;
            return;
        }
        var counts = await db.PushActions.GetUnreadCountsAsync(sync.UserId, sync.JoinedRooms, sync.UpTo.Events);
        foreach (var c in counts)
        {
            var changed = sync.Since is not { } since
                || c.LatestUnread > since.Events
                || (c.ReceiptStreamId > since.Receipts && c.ReceiptStreamId <= sync.UpTo.Receipts);
            sync.SetUnreadCounts(c.RoomId, c.Notifications, c.Highlights, changed);
        }
    }
}
