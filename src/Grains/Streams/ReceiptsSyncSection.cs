using System.Text.Json.Nodes;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The receipts part of /sync (spec: "Receipts", client behaviour): one <c>m.receipt</c> ephemeral event
/// per joined room whose receipts changed between the tokens, or, for a room sent in full, all of the
/// room's current receipts. Other users' private receipts are left out.
/// </summary>
public sealed class ReceiptsSyncSection(MyelinDatabase db, RecentReceiptRanges recent) : ISyncSection
{
    public async Task AddToAsync(SyncSectionContext sync)
    {
        var to = sync.UpTo.Receipts;
        var from = sync.Since?.Receipts ?? 0;
        var rooms = sync.JoinedRooms.Where(r => sync.Filter.Ephemeral.Matches(Receipts.EventType, "", r, null)).ToList();
        var inFull = rooms.Where(sync.InFull).ToList();
        var changed = from < to ? rooms.Where(r => !sync.InFull(r)).ToList() : [];

        var rows = new List<ReceiptRow>();
        if (inFull.Count > 0 && to > 0) rows.AddRange(await db.Receipts.GetCurrentAsync(inFull, to));
        if (changed.Count > 0)
        {
            if (RecentReceiptRanges.Covers(from, to))
            {
                var wanted = changed.ToHashSet();
                rows.AddRange((await recent.GetAsync(from, to)).Where(r => wanted.Contains(r.RoomId)));
            }
            else
            {
                rows.AddRange(await db.Receipts.GetChangedAsync(changed, from, to));
            }
        }

        foreach (var room in rows.GroupBy(r => r.RoomId))
        {
            var content = Receipts.Content(
                room.OrderBy(r => r.StreamId).Select(r => new Receipt(r.ReceiptType, r.UserId, r.EventId, r.ThreadId, r.DataJson)),
                sync.UserId);
            if (content is not null)
                sync.AddEphemeral(room.Key, Receipts.EventType, new JsonObject { ["type"] = Receipts.EventType, ["content"] = content });
        }
    }
}
