using System.Text.Json;

namespace Myelin.Storage.Tests;

/// <summary>Builds events to persist, with fresh IDs and a JSON body that mirrors the columns.</summary>
public static class EventFactory
{
    static long _depth;

    public static NewEvent Message(string roomId, string sender, string body = "hi", long? depth = null) =>
        Create(roomId, "m.room.message", null, sender, depth, new { msgtype = "m.text", body });

    public static NewEvent State(string roomId, string type, string stateKey, string sender, object content, long? depth = null) =>
        Create(roomId, type, stateKey, sender, depth, content);

    public static NewEvent Member(string roomId, string userId, string membership, long? depth = null) =>
        Create(roomId, "m.room.member", userId, userId, depth, new { membership }, membership);

    static NewEvent Create(string roomId, string type, string? stateKey, string sender, long? depth, object content, string? membership = null)
    {
        var eventId = "$" + Guid.NewGuid().ToString("N");
        var d = depth ?? Interlocked.Increment(ref _depth);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var json = JsonSerializer.Serialize(new
        {
            event_id = eventId, room_id = roomId, type, state_key = stateKey, sender, depth = d, origin_server_ts = ts, content,
        });
        return new NewEvent(eventId, roomId, type, stateKey, sender, d, ts, json, membership);
    }
}
