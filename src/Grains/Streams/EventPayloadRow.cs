using System.Text.Json;
using System.Text.Json.Serialization;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The events of one committed batch, whole, as a Myelin-only line on the replication wire
/// (<c>RDATA myelin_events &lt;instance&gt; &lt;last position&gt; [rows]</c>), sent just before the batch's
/// Synapse-shaped <c>ev</c> rows. A reader that has every event between two safe positions from these
/// lines publishes them without reading the database; when a line is missing (Redis lost it, a write
/// failed and left its positions empty), it reads the range from the database as before. Synapse's own
/// consumers would ignore the unknown stream.
/// </summary>
public sealed record EventPayloadRow(
    [property: JsonPropertyName("p")] long Position,
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("room_id")] string RoomId,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("state_key")] string? StateKey,
    [property: JsonPropertyName("sender")] string Sender,
    [property: JsonPropertyName("depth")] long Depth,
    [property: JsonPropertyName("ts")] long OriginServerTs,
    [property: JsonPropertyName("membership")] string? Membership,
    [property: JsonPropertyName("pdu")] string Json,
    [property: JsonPropertyName("redacts")] string? Redacts,
    [property: JsonPropertyName("redacted_pdu")] string? RedactedTargetJson,
    [property: JsonPropertyName("notify")] IReadOnlyList<NotifyEntry>? Notify = null)
{
    public const string Stream = "myelin_events";

    static readonly JsonSerializerOptions Options = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static EventPayloadRow From(NewEvent e, long position) =>
        new(position, e.EventId, e.RoomId, e.Type, e.StateKey, e.Sender, e.Depth, e.OriginServerTs, e.Membership, e.Json,
            e.RedactedTargetJson is null ? null : e.Redacts, e.RedactedTargetJson,
            e.PushActions?.Where(a => a.Notify).Select(a => new NotifyEntry(a.UserId, a.Highlight)).ToList() ?? []);

    public StoredEvent ToStored() => new(Position, EventId, RoomId, Type, StateKey, Sender, Depth, OriginServerTs, Json, Membership);

    public static string ToJson(IReadOnlyList<EventPayloadRow> rows) => JsonSerializer.Serialize(rows, Options);

    public static IReadOnlyList<EventPayloadRow> Parse(string json) =>
        JsonSerializer.Deserialize<List<EventPayloadRow>>(json, Options) ?? throw new FormatException("a myelin_events row is a list");
}

/// <summary>A member the event notifies (a notifying push action), and whether it highlights.</summary>
public sealed record NotifyEntry(
    [property: JsonPropertyName("u")] string UserId,
    [property: JsonPropertyName("h")] bool Highlight);
