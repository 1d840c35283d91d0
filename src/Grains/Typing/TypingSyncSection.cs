using System.Text.Json.Nodes;
using Myelin.Grains.Sync;

namespace Myelin.Grains.Typing;

/// <summary>
/// The m.typing ephemeral event of /sync (spec: client-server API "Typing Notifications"): for a joined
/// room whose typing changed between the tokens, the list as it is now (an empty list tells the client
/// everyone stopped); for a room sent in full, the list when someone is typing.
/// </summary>
public sealed class TypingSyncSection(TypingCache cache) : ISyncSection
{
    public Task AddToAsync(SyncSectionContext sync)
    {
        var from = sync.Since?.Typing ?? 0;
        var upTo = sync.UpTo.Typing;
        foreach (var roomId in sync.JoinedRooms)
        {
            if (cache.Get(roomId) is not { } room) continue;
            var send = sync.InFull(roomId) ? room.UserIds.Length > 0 : room.Position > from && room.Position <= upTo;
            if (send) sync.AddEphemeral(roomId, Event(room));
        }
        return Task.CompletedTask;
    }

    static JsonObject Event(TypingView room) => new()
    {
        ["type"] = "m.typing",
        ["content"] = new JsonObject { ["user_ids"] = new JsonArray(room.UserIds.Select(u => (JsonNode?)u).ToArray()) },
    };
}
