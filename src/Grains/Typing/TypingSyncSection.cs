using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Sync;

namespace Myelin.Grains.Typing;

/// <summary>
/// The m.typing ephemeral event of /sync (spec: client-server API "Typing Notifications"): for a joined
/// room whose typing changed between the tokens, the list as it is now (an empty list tells the client
/// everyone stopped); for a room sent in full, the list when someone is typing.
/// <para>
/// The event is the same for every member: it is serialized once per room and position and shared by the
/// responses (a change in a 1,000-member room is sent 999 times).
/// </para>
/// </summary>
public sealed class TypingSyncSection(TypingCache cache) : ISyncSection
{
    const string EventType = "m.typing";
    const int MaxRooms = 100_000;

    readonly ConcurrentDictionary<string, (long Position, JsonNode Event)> _events = new(StringComparer.Ordinal);

    public Task AddToAsync(SyncSectionContext sync)
    {
        var from = sync.Since?.Typing ?? 0;
        var upTo = sync.UpTo.Typing;
        foreach (var roomId in sync.JoinedRooms)
        {
            if (cache.Get(roomId) is not { } room) continue;
            var send = sync.InFull(roomId) ? room.UserIds.Length > 0 : room.Position > from && room.Position <= upTo;
            if (send) sync.AddEphemeral(roomId, EventType, Event(roomId, room));
        }
        return Task.CompletedTask;
    }

    JsonNode Event(string roomId, TypingView room)
    {
        if (_events.TryGetValue(roomId, out var known) && known.Position == room.Position) return known.Event;
        var json = new JsonObject
        {
            ["type"] = EventType,
            ["content"] = new JsonObject { ["user_ids"] = new JsonArray(room.UserIds.Select(u => (JsonNode?)u).ToArray()) },
        }.ToJsonString();
        var ev = JsonValue.Create(new RawJson(json))!;
        _events.SetBounded(roomId, (room.Position, ev), MaxRooms);
        return ev;
    }
}
