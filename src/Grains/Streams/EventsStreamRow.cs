using System.Text;
using System.Text.Json;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// A row of the events stream as Synapse puts it on the wire (synapse/replication/tcp/streams/events.py,
/// EventsStreamEventRow): <c>["ev", [event_id, room_id, type, state_key, redacts, relates_to, membership,
/// rejected, outlier]]</c>. Myelin persists no rejected or outlier events, so both are false.
/// </summary>
public sealed record EventsStreamRow(
    string EventId, string RoomId, string Type, string? StateKey, string? Redacts, string? RelatesTo, string? Membership)
{
    public const string TypeId = "ev";

    public static EventsStreamRow From(NewEvent e) =>
        new(e.EventId, e.RoomId, e.Type, e.StateKey, e.Redacts, RelatesToOf(e.Json), e.Membership);

    public string ToJson()
    {
        using var buffer = new MemoryStream(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteStringValue(TypeId);
            w.WriteStartArray();
            w.WriteStringValue(EventId);
            w.WriteStringValue(RoomId);
            w.WriteStringValue(Type);
            WriteNullable(w, StateKey);
            WriteNullable(w, Redacts);
            WriteNullable(w, RelatesTo);
            WriteNullable(w, Membership);
            w.WriteBooleanValue(false); // rejected
            w.WriteBooleanValue(false); // outlier
            w.WriteEndArray();
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>Parses a row; null for another row type of the events stream (e.g. "state").</summary>
    public static EventsStreamRow? Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() != 2)
            throw new FormatException("an events stream row is [type, data]");
        if (root[0].GetString() != TypeId) return null;
        var d = root[1];
        if (d.ValueKind != JsonValueKind.Array || d.GetArrayLength() < 3) throw new FormatException("an ev row needs event_id, room_id, type");
        string? At(int i) => i < d.GetArrayLength() && d[i].ValueKind == JsonValueKind.String ? d[i].GetString() : null;
        return new EventsStreamRow(At(0)!, At(1)!, At(2)!, At(3), At(4), At(5), At(6));
    }

    static void WriteNullable(Utf8JsonWriter w, string? value)
    {
        if (value is null) w.WriteNullValue(); else w.WriteStringValue(value);
    }

    // The event a relation points at (content.m.relates_to.event_id); only parsed when the PDU mentions one.
    static string? RelatesToOf(string json)
    {
        if (!json.Contains("m.relates_to", StringComparison.Ordinal)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object
                && content.TryGetProperty("m.relates_to", out var rel) && rel.ValueKind == JsonValueKind.Object
                && rel.TryGetProperty("event_id", out var id) && id.ValueKind == JsonValueKind.String
                    ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
