using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The receipts stream's writer for one room. One turn at a time, so a user's receipts in the room are
/// checked and stored in the order they arrive (see <see cref="ReceiptsWriter"/>).
/// </summary>
public sealed class ReceiptsGrain(MyelinDatabase db, ReceiptsWriter writer) : Grain, IReceiptsGrain
{
    string RoomId => this.GetPrimaryKeyString();

    public async Task SetReadMarkers(string userId, ReadMarkers markers)
    {
        if (markers is { FullyRead: null, Read: null, ReadPrivate: null }) return;
        if (await GrainFactory.Room(RoomId).GetMembership(userId) != "join")
            throw MatrixException.Forbidden($"User {userId} is not in room {RoomId}");

        // Every event is checked before anything is written, so a bad request changes nothing.
        string?[] ids = [markers.FullyRead, markers.Read, markers.ReadPrivate];
        var found = (await db.Events.GetEventsAsync(ids.OfType<string>().Distinct().ToList()))
            .Where(e => e.RoomId == RoomId).ToDictionary(e => e.EventId);
        foreach (var id in ids.OfType<string>())
            if (!found.ContainsKey(id)) throw MatrixException.NotFound($"Could not find event {id} in room {RoomId}");
        if (markers.ThreadId is { } thread)
        {
            foreach (var id in new[] { markers.Read, markers.ReadPrivate }.OfType<string>())
                if (!Receipts.IsInThread(await RelationChainAsync(found[id]), thread))
                    throw MatrixException.InvalidParam($"event_id {id} is not related to thread {thread}");
        }

        if (markers.Read is { } read) await writer.WriteAsync(RoomId, Receipts.Read, userId, markers.ThreadId, found[read]);
        if (markers.ReadPrivate is { } readPrivate) await writer.WriteAsync(RoomId, Receipts.ReadPrivate, userId, markers.ThreadId, found[readPrivate]);
        if (markers.FullyRead is { } fullyRead) await SetFullyReadAsync(userId, found[fullyRead]);
    }

    /// <summary>
    /// spec: the fully read marker is the room account data <c>m.fully_read</c>. As Synapse, it only moves
    /// forwards (by depth, then stream order), unless the event it is at is gone.
    /// </summary>
    async Task SetFullyReadAsync(string userId, StoredEvent ev)
    {
        var existing = await db.AccountData.GetAccountDataAsync(userId, RoomId, Receipts.FullyRead);
        if (existing is not null && JsonNode.Parse(existing)?["event_id"] is JsonValue v && v.TryGetValue<string>(out var currentId))
        {
            if (currentId == ev.EventId) return;
            var current = await db.Events.GetEventAsync(currentId);
            if (current is not null && current.RoomId == RoomId && (current.Depth, current.StreamOrdering).CompareTo((ev.Depth, ev.StreamOrdering)) > 0)
                return;
        }
        var content = new JsonObject { ["event_id"] = ev.EventId };
        await GrainFactory.AccountData(userId).Put(RoomId, Receipts.FullyRead, content.ToJsonString());
    }

    /// <summary>The event and the events its relations lead to within the room, up to the spec's hop limit.</summary>
    async Task<List<EventRelation>> RelationChainAsync(StoredEvent ev)
    {
        var chain = new List<EventRelation>();
        for (var current = ev; ;)
        {
            var relation = RelationOf(current);
            chain.Add(relation);
            if (relation.RelatesTo is null || chain.Count > Receipts.MaxRelationHops) break;
            var next = await db.Events.GetEventAsync(relation.RelatesTo);
            if (next is null || next.RoomId != RoomId) break;
            current = next;
        }
        return chain;
    }

    static EventRelation RelationOf(StoredEvent ev)
    {
        using var pdu = JsonDocument.Parse(ev.Json);
        return pdu.RootElement.TryGetProperty("content", out var content)
            ? Receipts.RelationOf(ev.EventId, content)
            : new EventRelation(ev.EventId, null, null);
    }
}

/// <summary>
/// Writes a receipt: the row commits in position order across processes (see
/// <see cref="IStreamIdGenerator.WriteAtNextAsync"/>), then goes out on the replication stream in
/// Synapse's ReceiptsStream row shape (room_id, receipt_type, user_id, event_id, thread_id, data), which
/// names the room and user whose /sync it wakes on every process.
/// </summary>
public sealed class ReceiptsWriter(MyelinDatabase db, StreamFanout fanout, TimeProvider time)
{
    /// <summary>Returns the stream position, or null when the stored receipt of the kind is for the same or a later event.</summary>
    public async Task<long?> WriteAsync(string roomId, string receiptType, string userId, string? threadId, StoredEvent ev)
    {
        var data = new JsonObject { ["ts"] = time.GetUtcNow().ToUnixTimeMilliseconds() };
        var position = await db.Receipts.PutReceiptAsync(roomId, receiptType, userId, threadId, ev.EventId, ev.StreamOrdering,
            data.ToJsonString());
        if (position is null) return null;
        var row = new JsonObject
        {
            ["room_id"] = roomId, ["receipt_type"] = receiptType, ["user_id"] = userId, ["event_id"] = ev.EventId,
            ["thread_id"] = threadId, ["data"] = data,
        };
        await fanout.PublishAsync(StreamNames.Receipts, position.Value, row.ToJsonString());
        return position;
    }
}
