using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Grains.Typing;

/// <summary>
/// A row of the typing stream (Synapse's TypingStream row: <c>room_id</c>, <c>user_ids</c>): the whole list
/// of users typing in the room after a change, so a reader replaces what it had rather than applying a delta.
/// Written as a JSON object with Synapse's field names, as the other non-event streams' rows are.
/// </summary>
public sealed record TypingStreamRow(string RoomId, ImmutableArray<string> UserIds)
{
    public string ToJson() => new JsonObject
    {
        ["room_id"] = RoomId,
        ["user_ids"] = new JsonArray(UserIds.Select(u => (JsonNode?)u).ToArray()),
    }.ToJsonString();

    /// <summary>Throws <see cref="FormatException"/> (or <see cref="JsonException"/>) on a malformed row.</summary>
    public static TypingStreamRow Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("room_id", out var room) || room.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("user_ids", out var users) || users.ValueKind != JsonValueKind.Array)
            throw new FormatException("a typing row is {room_id, user_ids}");
        var ids = ImmutableArray.CreateBuilder<string>(users.GetArrayLength());
        foreach (var u in users.EnumerateArray())
            ids.Add(u.ValueKind == JsonValueKind.String ? u.GetString()! : throw new FormatException("user_ids holds user IDs"));
        return new TypingStreamRow(room.GetString()!, ids.MoveToImmutable());
    }
}
