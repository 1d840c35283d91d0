using System.Text.Json.Nodes;
using Myelin.Grains.Rooms;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains;

/// <summary>
/// Turns stored PDUs into the client-server API's ClientEvent format (spec: "Room Event Format"): the
/// fields a client sees, unsigned.age, unsigned.transaction_id for the device that sent it, and
/// unsigned.redacted_because for a redacted event.
/// </summary>
public static class ClientEvents
{
    /// <param name="viewerDeviceId">The device asking, to return transaction_id to the sender's own device.</param>
    public static JsonObject Format(StoredEvent e, string? viewerUserId, string? viewerDeviceId, long nowMs,
        bool includeRoomId = true, RoomVersion? version = null)
    {
        var pdu = JsonNode.Parse(e.Json)!.AsObject();
        return Format(e.EventId, e.StreamOrdering, pdu, viewerUserId, viewerDeviceId, nowMs, includeRoomId, version);
    }

    public static JsonObject Format(string eventId, long streamOrdering, JsonObject pdu, string? viewerUserId,
        string? viewerDeviceId, long nowMs, bool includeRoomId = true, RoomVersion? version = null)
    {
        var ev = new JsonObject
        {
            ["content"] = pdu["content"]?.DeepClone() ?? new JsonObject(),
            ["event_id"] = eventId,
            ["origin_server_ts"] = pdu["origin_server_ts"]?.DeepClone(),
            ["sender"] = pdu["sender"]?.DeepClone(),
            ["type"] = pdu["type"]?.DeepClone(),
        };
        if (includeRoomId) ev["room_id"] = pdu["room_id"]?.DeepClone();
        if (pdu["state_key"] is { } sk) ev["state_key"] = sk.DeepClone();
        if (pdu["redacts"] is { } r) ev["redacts"] = r.DeepClone();
        else if (pdu["type"]?.GetValue<string>() == "m.room.redaction" && pdu["content"]?["redacts"] is { } cr)
            ev["redacts"] = cr.DeepClone(); // v11 keeps it in content; clients still read the top-level key

        var unsigned = new JsonObject();
        var origin = pdu["origin_server_ts"]?.GetValue<long>() ?? nowMs;
        unsigned["age"] = Math.Max(0, nowMs - origin);
        if (pdu["unsigned"] is JsonObject stored)
        {
            foreach (var (k, v) in stored)
            {
                if (k is RoomState.TxnIdKey or RoomState.DeviceIdKey) continue;
                unsigned[k] = v?.DeepClone();
            }
            if (stored[RoomState.TxnIdKey] is { } txn && viewerUserId == pdu["sender"]?.GetValue<string>()
                && viewerDeviceId is not null && stored[RoomState.DeviceIdKey]?.GetValue<string>() == viewerDeviceId)
                unsigned["transaction_id"] = txn.DeepClone();
        }
        ev["unsigned"] = unsigned;
        return ev;
    }

    /// <summary>Stripped state (spec: "Stripped state") for invites and knocks.</summary>
    public static JsonObject Stripped(StoredEvent e)
    {
        var pdu = JsonNode.Parse(e.Json)!.AsObject();
        return new JsonObject
        {
            ["content"] = pdu["content"]?.DeepClone(),
            ["sender"] = e.Sender,
            ["state_key"] = e.StateKey,
            ["type"] = e.Type,
        };
    }

    /// <summary>State event types given to an invitee (Synapse's room_prejoin_state defaults).</summary>
    public static readonly IReadOnlySet<string> PrejoinStateTypes = new HashSet<string>
    {
        "m.room.create", "m.room.join_rules", "m.room.canonical_alias", "m.room.avatar", "m.room.encryption",
        "m.room.name", "m.room.topic",
    };
}
