using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>One stored receipt, as the m.receipt content is built from it.</summary>
public sealed record Receipt(string ReceiptType, string UserId, string EventId, string? ThreadId, string DataJson);

/// <summary>An event's relation (<c>content.m.relates_to</c>): its type and the event it points at.</summary>
public sealed record EventRelation(string EventId, string? RelType, string? RelatesTo);

/// <summary>
/// spec: client-server API "Receipts" and "Read and unread markers" — receipt types, threaded receipts,
/// and the <c>m.receipt</c> content a user is sent.
/// </summary>
public static class Receipts
{
    public const string Read = "m.read";
    public const string ReadPrivate = "m.read.private";
    public const string FullyRead = "m.fully_read";
    public const string EventType = "m.receipt";

    /// <summary>spec: threaded receipts — the thread ID of the main timeline.</summary>
    public const string MainThread = "main";

    /// <summary>Relations are followed at most this many hops (spec: "a maximum of 3 hops is recommended").</summary>
    public const int MaxRelationHops = 3;

    /// <summary>Types a client may send to <c>/receipt/{receiptType}</c>.</summary>
    public static bool IsKnownType(string receiptType) => receiptType is Read or ReadPrivate or FullyRead;

    /// <summary>The relation an event's content declares, or nulls when it has none.</summary>
    public static EventRelation RelationOf(string eventId, JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.Object && content.TryGetProperty("m.relates_to", out var rel)
            && rel.ValueKind == JsonValueKind.Object && rel.TryGetProperty("event_id", out var target)
            && target.ValueKind == JsonValueKind.String)
        {
            var relType = rel.TryGetProperty("rel_type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            return new EventRelation(eventId, relType, target.GetString());
        }
        return new EventRelation(eventId, null, null);
    }

    /// <summary>
    /// Whether a receipt on the first event of <paramref name="chain"/> may name <paramref name="threadId"/>.
    /// The chain is the event and the events its relations lead to, in order (at most
    /// <see cref="MaxRelationHops"/> hops). As Synapse: an event is in thread T when a relation on the way
    /// up is an <c>m.thread</c> to T; it is in the main timeline otherwise. A receipt for thread T may also
    /// name T's root itself or an event related to the root by other relations.
    /// </summary>
    public static bool IsInThread(IReadOnlyList<EventRelation> chain, string threadId)
    {
        if (chain.Count == 0) return false;
        var thread = chain.FirstOrDefault(r => r.RelType == "m.thread" && r.RelatesTo is not null)?.RelatesTo;
        if (threadId == MainThread) return thread is null;
        if (thread is not null) return thread == threadId;
        // The top of the chain: the last event reached, or the event its relation names when that was not followed.
        var top = chain[^1].RelatesTo ?? chain[^1].EventId;
        return top == threadId;
    }

    /// <summary>
    /// The <c>m.receipt</c> content <paramref name="forUserId"/> is sent for a room's receipts
    /// (<c>{eventId: {receiptType: {userId: {ts, thread_id?}}}}</c>), or null when nothing is left for them.
    /// <para>spec: private receipts go to their owner only. Where a user's threaded and unthreaded receipts
    /// of one type point at the same event, the unthreaded one is kept (MSC4102, as Synapse); otherwise the
    /// later receipt in <paramref name="receipts"/> wins.</para>
    /// </summary>
    public static JsonObject? Content(IEnumerable<Receipt> receipts, string forUserId)
    {
        var visible = receipts.Where(r => r.ReceiptType != ReadPrivate || r.UserId == forUserId).ToList();
        var unthreaded = visible.Where(r => r.ThreadId is null).Select(r => (r.ReceiptType, r.UserId, r.EventId)).ToHashSet();
        var content = new JsonObject();
        foreach (var r in visible)
        {
            if (r.ThreadId is not null && unthreaded.Contains((r.ReceiptType, r.UserId, r.EventId))) continue;
            var data = JsonNode.Parse(r.DataJson) as JsonObject ?? new JsonObject();
            if (r.ThreadId is not null) data["thread_id"] = r.ThreadId;
            if (content[r.EventId] is not JsonObject byType) content[r.EventId] = byType = new JsonObject();
            if (byType[r.ReceiptType] is not JsonObject byUser) byType[r.ReceiptType] = byUser = new JsonObject();
            byUser[r.UserId] = data;
        }
        return content.Count == 0 ? null : content;
    }
}
