using System.Text.Json;

namespace Myelin.LoadTest.Client;

public sealed record Session(string UserId, string AccessToken, string? DeviceId);

/// <summary>The parts of a /sync response the harness looks at.</summary>
public sealed record SyncResponse(string NextBatch, IReadOnlyList<JoinedRoomUpdate> Rooms)
{
    /// <summary>Extracts joined-room timelines and ephemeral events; everything else is ignored.</summary>
    public static SyncResponse Parse(JsonElement root)
    {
        var nextBatch = root.TryGetProperty("next_batch", out var nb) && nb.ValueKind == JsonValueKind.String
            ? nb.GetString()!
            : throw new FormatException("sync response has no next_batch");
        var rooms = new List<JoinedRoomUpdate>();
        if (root.TryGetProperty("rooms", out var r) && r.ValueKind == JsonValueKind.Object
            && r.TryGetProperty("join", out var join) && join.ValueKind == JsonValueKind.Object)
        {
            foreach (var room in join.EnumerateObject())
            {
                var limited = false;
                string? prevBatch = null;
                IReadOnlyList<RoomEvent> timeline = [];
                if (room.Value.TryGetProperty("timeline", out var t) && t.ValueKind == JsonValueKind.Object)
                {
                    limited = t.TryGetProperty("limited", out var l) && l.ValueKind == JsonValueKind.True;
                    prevBatch = t.TryGetProperty("prev_batch", out var pb) && pb.ValueKind == JsonValueKind.String ? pb.GetString() : null;
                    timeline = ParseEvents(t, "events");
                }
                IReadOnlyList<RoomEvent> ephemeral = room.Value.TryGetProperty("ephemeral", out var e) && e.ValueKind == JsonValueKind.Object
                    ? ParseEvents(e, "events")
                    : [];
                rooms.Add(new JoinedRoomUpdate(room.Name, timeline, limited, prevBatch, ephemeral));
            }
        }
        return new SyncResponse(nextBatch, rooms);
    }

    internal static IReadOnlyList<RoomEvent> ParseEvents(JsonElement container, string property)
    {
        if (!container.TryGetProperty(property, out var events) || events.ValueKind != JsonValueKind.Array)
            return [];
        var list = new List<RoomEvent>(events.GetArrayLength());
        foreach (var ev in events.EnumerateArray())
        {
            if (ev.ValueKind != JsonValueKind.Object)
                continue;
            list.Add(new RoomEvent(
                Str(ev, "event_id"),
                Str(ev, "type") ?? "",
                Str(ev, "sender"),
                ev.TryGetProperty("content", out var c) ? c.Clone() : default));
        }
        return list;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

public sealed record JoinedRoomUpdate(
    string RoomId,
    IReadOnlyList<RoomEvent> Timeline,
    bool Limited,
    string? PrevBatch,
    IReadOnlyList<RoomEvent> Ephemeral);

public sealed record RoomEvent(string? EventId, string Type, string? Sender, JsonElement Content);

/// <summary>One page of GET /rooms/{roomId}/messages.</summary>
public sealed record MessagesPage(IReadOnlyList<RoomEvent> Chunk, string? End);
