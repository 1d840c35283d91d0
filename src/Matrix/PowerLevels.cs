using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>
/// The effective levels of a room, per the m.room.power_levels schema (client-server API). Values that
/// are missing or not integers fall back to the spec defaults; whether such content is acceptable at
/// all is the auth rules' business (rooms v10 auth rule 9), not this reader's.
/// </summary>
public sealed class PowerLevels
{
    /// <summary>spec: m.room.power_levels — with no event, the creator has 100.</summary>
    public const long CreatorLevelWithoutEvent = 100;

    private readonly Dictionary<string, long> _users;
    private readonly Dictionary<string, long> _events;
    private readonly Dictionary<string, long> _notifications;

    private PowerLevels(
        long ban, long kick, long invite, long redact, long stateDefault, long eventsDefault, long usersDefault,
        Dictionary<string, long> users, Dictionary<string, long> events, Dictionary<string, long> notifications)
    {
        Ban = ban;
        Kick = kick;
        Invite = invite;
        Redact = redact;
        StateDefault = stateDefault;
        EventsDefault = eventsDefault;
        UsersDefault = usersDefault;
        _users = users;
        _events = events;
        _notifications = notifications;
    }

    public long Ban { get; }
    public long Kick { get; }
    public long Invite { get; }
    public long Redact { get; }
    public long StateDefault { get; }
    public long EventsDefault { get; }
    public long UsersDefault { get; }

    public IReadOnlyDictionary<string, long> Users => _users;
    public IReadOnlyDictionary<string, long> Events => _events;
    public IReadOnlyDictionary<string, long> Notifications => _notifications;

    /// <summary>
    /// Builds levels from an m.room.power_levels content, or from the spec's no-event defaults when
    /// <paramref name="powerLevelsContent"/> is null, in which case <paramref name="roomCreatorWhenNoEvent"/>
    /// (if given) gets level 100.
    /// </summary>
    public static PowerLevels FromContent(JsonObject? powerLevelsContent, string? roomCreatorWhenNoEvent)
    {
        if (powerLevelsContent is null)
        {
            var users = new Dictionary<string, long>(StringComparer.Ordinal);
            if (roomCreatorWhenNoEvent is not null)
            {
                users[roomCreatorWhenNoEvent] = CreatorLevelWithoutEvent;
            }

            // spec: m.room.power_levels — with no event, state_default is 50, events_default 0,
            // kick/ban/redact 50, invite 0, every other user 0.
            return new PowerLevels(50, 50, 0, 50, 50, 0, 0, users, new(StringComparer.Ordinal), new(StringComparer.Ordinal));
        }

        var c = powerLevelsContent;
        return new PowerLevels(
            ban: IntOr(c["ban"], 50),
            kick: IntOr(c["kick"], 50),
            invite: IntOr(c["invite"], 0),
            redact: IntOr(c["redact"], 50),
            stateDefault: IntOr(c["state_default"], 50),
            eventsDefault: IntOr(c["events_default"], 0),
            usersDefault: IntOr(c["users_default"], 0),
            users: IntMap(c["users"]),
            events: IntMap(c["events"]),
            notifications: IntMap(c["notifications"]));
    }

    public long UserLevel(string userId) =>
        _users.TryGetValue(userId, out long level) ? level : UsersDefault;

    /// <summary>The level required to send an event of this type (the "required power level" of the auth rules).</summary>
    public long EventLevel(string eventType, bool isState) =>
        _events.TryGetValue(eventType, out long level) ? level : isState ? StateDefault : EventsDefault;

    /// <summary>
    /// Level needed to trigger the given notification. spec: "room" defaults to 50; the spec names no
    /// other key, and 50 is used for unknown ones too (as Synapse does).
    /// </summary>
    public long NotificationLevel(string key) =>
        _notifications.TryGetValue(key, out long level) ? level : 50;

    /// <summary>Reads a JSON integer, or null when the node is absent or not an integer.</summary>
    public static long? AsInteger(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        if (v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetValue(out JsonElement e))
        {
            return e.TryGetInt64(out long l) ? l : null;
        }

        if (v.TryGetValue(out long l2)) { return l2; }
        if (v.TryGetValue(out int i)) { return i; }
        if (v.TryGetValue(out short s)) { return s; }
        if (v.TryGetValue(out uint ui)) { return ui; }
        if (v.TryGetValue(out byte b)) { return b; }
        return null;
    }

    private static long IntOr(JsonNode? node, long fallback) => AsInteger(node) ?? fallback;

    private static Dictionary<string, long> IntMap(JsonNode? node)
    {
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (AsInteger(value) is long l)
                {
                    map[key] = l;
                }
            }
        }

        return map;
    }
}
