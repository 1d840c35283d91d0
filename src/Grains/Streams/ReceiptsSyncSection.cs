using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The receipts part of /sync (spec: "Receipts", client behaviour): one <c>m.receipt</c> ephemeral event
/// per joined room whose receipts changed between the tokens, or, for a room sent in full, all of the
/// room's current receipts. Other users' private receipts are left out.
/// <para>
/// A receipt wakes every member of its room, and most of them ask for the same small range: a range with
/// no private receipt reads the same for everyone, so its event is built once and shared.
/// </para>
/// </summary>
public sealed class ReceiptsSyncSection(MyelinDatabase db, RecentReceiptRanges recent) : ISyncSection
{
    const int MaxShared = 10_000;

    readonly ConcurrentDictionary<(string RoomId, long From, long To), JsonNode?> _shared = new();

    public async Task AddToAsync(SyncSectionContext sync)
    {
        var to = sync.UpTo.Receipts;
        var from = sync.Since?.Receipts ?? 0;
        List<string> inFull = [], changed = [];
        foreach (var room in sync.JoinedRooms)
        {
            if (!sync.Filter.Ephemeral.Matches(Receipts.EventType, "", room, null)) continue;
            if (sync.InFull(room)) inFull.Add(room);
            else if (from < to) changed.Add(room);
        }

        var rows = new List<ReceiptRow>();
        if (inFull.Count > 0 && to > 0) rows.AddRange(await db.Receipts.GetCurrentAsync(inFull, to));
        if (changed.Count > 0)
        {
            if (RecentReceiptRanges.Covers(from, to))
            {
                // A few receipts in the range, usually one room's: grouped by hand, without LINQ's allocations.
                var recentRows = await recent.GetAsync(from, to);
                Dictionary<string, List<ReceiptRow>>? byRoom = null;
                HashSet<string>? wanted = null;
                for (var i = 0; i < recentRows.Count; i++)
                {
                    var r = recentRows[i];
                    if (!(wanted ??= [.. changed]).Contains(r.RoomId)) continue;
                    byRoom ??= new(StringComparer.Ordinal);
                    if (!byRoom.TryGetValue(r.RoomId, out var list)) byRoom[r.RoomId] = list = [];
                    list.Add(r);
                }
                foreach (var (roomId, roomRows) in byRoom ?? [])
                    Add(sync, roomId, SharedEvent(roomId, from, to, roomRows, sync.UserId));
            }
            else
            {
                rows.AddRange(await db.Receipts.GetChangedAsync(changed, from, to));
            }
        }

        if (rows.Count == 0) return;
        foreach (var room in rows.GroupBy(r => r.RoomId))
            Add(sync, room.Key, Event(room, sync.UserId));
    }

    static void Add(SyncSectionContext sync, string roomId, JsonNode? ev)
    {
        if (ev is not null) sync.AddEphemeral(roomId, Receipts.EventType, ev);
    }

    /// <summary>The event for one room's receipts in (from, to]: shared by everyone when none is private.</summary>
    JsonNode? SharedEvent(string roomId, long from, long to, List<ReceiptRow> rows, string userId)
    {
        if (rows.Exists(r => r.ReceiptType == Receipts.ReadPrivate)) return Event(rows, userId);
        var key = (roomId, from, to);
        if (_shared.TryGetValue(key, out var known)) return known;
        var ev = Event(rows, userId) is { } built ? JsonValue.Create(new RawJson(built.ToJsonString())) : null;
        _shared.SetBounded(key, ev, MaxShared);
        return ev;
    }

    static JsonObject? Event(IEnumerable<ReceiptRow> rows, string userId)
    {
        var content = Receipts.Content(
            rows.OrderBy(r => r.StreamId).Select(r => new Receipt(r.ReceiptType, r.UserId, r.EventId, r.ThreadId, r.DataJson)),
            userId);
        return content is null ? null : new JsonObject { ["type"] = Receipts.EventType, ["content"] = content };
    }
}
