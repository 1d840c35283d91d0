using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Myelin.Grains.Rooms;
using Myelin.Storage;

namespace Myelin.Grains;

/// <summary>
/// Pre-serialized client events for the sync hot path: an event is turned into ClientEvent JSON once, and
/// every member's /sync appends only what differs per viewer (unsigned.age, unsigned.transaction_id).
/// A room of a thousand members costs one parse per event, not a thousand.
/// </summary>
public static class RawClientEvents
{
    const int MaxCached = 20_000;

    /// <summary>The event without its closing brace and unsigned section, and the stored unsigned entries.</summary>
    sealed record Parts(string Head, string? StoredUnsigned, string? Sender, long OriginServerTs, string? TxnId, string? TxnDevice);

    static readonly ConcurrentDictionary<(string EventId, int JsonLength, bool WithRoom), Parts> Cache = new();

    /// <summary>The event in client format as a JSON node that serializes without re-parsing.</summary>
    public static JsonNode Format(StoredEvent e, string? viewerUserId, string? viewerDeviceId, long nowMs, bool includeRoomId)
    {
        // The JSON length is in the key: a redaction rewrites the stored JSON, and the pruned form is shorter.
        var key = (e.EventId, e.Json.Length, includeRoomId);
        if (!Cache.TryGetValue(key, out var parts))
        {
            parts = Build(e, includeRoomId);
            if (Cache.Count >= MaxCached) Cache.Clear();
            Cache[key] = parts;
        }
        var sb = new StringBuilder(parts.Head.Length + 64);
        sb.Append(parts.Head).Append(",\"unsigned\":{\"age\":")
            .Append(Math.Max(0, nowMs - parts.OriginServerTs).ToString(CultureInfo.InvariantCulture));
        if (parts.StoredUnsigned is not null) sb.Append(',').Append(parts.StoredUnsigned);
        if (parts.TxnId is not null && viewerUserId == parts.Sender && viewerDeviceId is not null && viewerDeviceId == parts.TxnDevice)
            sb.Append(",\"transaction_id\":").Append(JsonSerializer.Serialize(parts.TxnId));
        sb.Append("}}");
        return JsonValue.Create(new RawJson(sb.ToString()))!;
    }

    static Parts Build(StoredEvent e, bool includeRoomId)
    {
        var full = ClientEvents.Format(e, null, null, 0, includeRoomId);
        var unsigned = full["unsigned"] as JsonObject;
        full.Remove("unsigned");
        unsigned?.Remove("age");
        var head = full.ToJsonString();
        head = head[..^1]; // drop the closing brace: unsigned is appended per viewer
        string? stored = null;
        if (unsigned is { Count: > 0 })
        {
            var inner = unsigned.ToJsonString();
            stored = inner[1..^1];
        }
        var pdu = JsonNode.Parse(e.Json)!;
        var meta = pdu["unsigned"];
        return new Parts(head, stored, e.Sender, e.OriginServerTs,
            meta?[RoomState.TxnIdKey]?.GetValue<string>(), meta?[RoomState.DeviceIdKey]?.GetValue<string>());
    }
}

/// <summary>Already-serialized JSON, written as it is.</summary>
[JsonConverter(typeof(RawJsonConverter))]
public sealed record RawJson(string Json);

public sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return new RawJson(doc.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
