using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Grains.Sync;

/// <summary>
/// One room of a /sync response (spec: Joined Room, Left Room). Plain fields, written straight to JSON by
/// <see cref="SyncResponse"/>: a woken long-poll in a busy room answers with a skeleton of empty sections
/// around one typing or receipt event, and building that skeleton as a JSON DOM cost more than the event.
/// </summary>
public sealed class SyncRoom
{
    public readonly List<JsonNode> Timeline = [];
    public bool Limited;
    /// <summary>Omitted when null (an empty room added only for its ephemeral events or counts).</summary>
    public string? PrevBatch;
    public readonly List<JsonNode> State = [];
    public List<JsonNode> AccountData = [];
    /// <summary>The m.typing and m.receipt events; null leaves the key out (left rooms have none).</summary>
    public List<JsonNode>? Ephemeral = [];
    /// <summary>null leaves <c>unread_notifications</c> out (clients read that as unchanged).</summary>
    public (long Highlights, long Notifications)? Unread = (0, 0);
    public JsonObject? Summary;

    /// <summary>A room sent as left: no ephemeral events, counts or summary.</summary>
    public void AsLeft()
    {
        Ephemeral = null;
        Unread = null;
        Summary = null;
    }

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("timeline");
        SyncResponse.WriteEvents(w, Timeline);
        w.WriteBoolean("limited", Limited);
        if (PrevBatch is not null) w.WriteString("prev_batch", PrevBatch);
        w.WriteEndObject();
        SyncResponse.WriteSection(w, "state", State);
        SyncResponse.WriteSection(w, "account_data", AccountData);
        if (Ephemeral is not null) SyncResponse.WriteSection(w, "ephemeral", Ephemeral);
        if (Unread is var (highlights, notifications))
        {
            w.WriteStartObject("unread_notifications");
            w.WriteNumber("highlight_count", highlights);
            w.WriteNumber("notification_count", notifications);
            w.WriteEndObject();
        }
        if (Summary is not null)
        {
            w.WritePropertyName("summary");
            Summary.WriteTo(w);
        }
        w.WriteEndObject();
    }
}

/// <summary>A whole /sync response (spec: <c>GET /sync</c> 200), written as UTF-8 JSON without a DOM.</summary>
public sealed class SyncResponse
{
    public string NextBatch { get; set; } = "";
    public Dictionary<string, SyncRoom> Join { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, JsonNode> Invite { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, SyncRoom> Leave { get; } = new(StringComparer.Ordinal);
    public List<JsonNode> AccountData { get; } = [];
    public List<JsonNode> Presence { get; set; } = [];
    public List<JsonNode> ToDevice { get; set; } = [];

    // One growable buffer per thread: a response is written, copied out, and the buffer reused.
    [ThreadStatic] static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] static Utf8JsonWriter? t_writer;

    public byte[] ToUtf8Bytes()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        writer.Reset(buffer);
        WriteTo(writer);
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        // A rare huge response (a first sync of many rooms) does not stay pinned to the thread.
        if (buffer.Capacity > 1 << 20) t_buffer = null;
        return bytes;
    }

    /// <summary>The response as a JSON object (tests, and callers that edit it).</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(ToUtf8Bytes())!.AsObject();

    public void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("next_batch", NextBatch);
        w.WriteStartObject("rooms");
        WriteRooms(w, "join", Join);
        w.WriteStartObject("invite");
        foreach (var (roomId, room) in Invite)
        {
            w.WritePropertyName(roomId);
            room.WriteTo(w);
        }
        w.WriteEndObject();
        WriteRooms(w, "leave", Leave);
        w.WriteStartObject("knock");
        w.WriteEndObject();
        w.WriteEndObject();
        WriteSection(w, "account_data", AccountData);
        WriteSection(w, "presence", Presence);
        WriteSection(w, "to_device", ToDevice);
        w.WriteStartObject("device_lists");
        w.WriteStartArray("changed");
        w.WriteEndArray();
        w.WriteStartArray("left");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartObject("device_one_time_keys_count");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteRooms(Utf8JsonWriter w, string name, Dictionary<string, SyncRoom> rooms)
    {
        w.WriteStartObject(name);
        foreach (var (roomId, room) in rooms)
        {
            w.WritePropertyName(roomId);
            room.WriteTo(w);
        }
        w.WriteEndObject();
    }

    /// <summary><c>"name": {"events": [...]}</c></summary>
    internal static void WriteSection(Utf8JsonWriter w, string name, List<JsonNode> events)
    {
        w.WriteStartObject(name);
        WriteEvents(w, events);
        w.WriteEndObject();
    }

    internal static void WriteEvents(Utf8JsonWriter w, List<JsonNode> events)
    {
        w.WriteStartArray("events");
        foreach (var e in events) e.WriteTo(w);
        w.WriteEndArray();
    }
}
