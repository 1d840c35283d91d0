using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Myelin.Matrix;

/// <summary>One state event as the push notification's room name and sender name are worked out from.</summary>
public sealed record PushStateEvent(string Type, string StateKey, string Sender, long OriginServerTs, JsonObject Content);

/// <summary>The pusher a notification goes to (spec: push gateway API, <c>devices</c>).</summary>
public sealed record PushDevice(string AppId, string Pushkey, long PushkeyTsMs, JsonObject Data);

/// <summary>
/// The body of a push gateway's <c>POST /_matrix/push/v1/notify</c> (spec: push gateway API), built as Synapse's
/// HTTP pusher builds it: priority, tweaks, counts, the room's human-readable name and the sender's display name.
/// </summary>
public static partial class PushNotifications
{
    /// <summary>Synapse's name for a room with nobody else in it.</summary>
    public const string EmptyRoom = "Empty Room";

    /// <summary>The <c>set_tweak</c> actions as a tweaks object (an absent value is true, as for highlight).</summary>
    public static JsonObject Tweaks(JsonArray actions)
    {
        var tweaks = new JsonObject();
        foreach (var a in actions)
            if (a is JsonObject o && o["set_tweak"] is JsonValue v && v.TryGetValue<string>(out var name))
                tweaks[name] = o.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : true;
        return tweaks;
    }

    /// <summary>Synapse: "high" when the notification makes a sound or highlights, or may (encrypted events),
    /// else "low".</summary>
    public static string Priority(string eventType, JsonObject tweaks) =>
        eventType == "m.room.encrypted" || IsTruthy(tweaks["highlight"]) || IsTruthy(tweaks["sound"]) ? "high" : "low";

    static bool IsTruthy(JsonNode? n) => n switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length > 0,
        JsonValue v when v.TryGetValue<double>(out var d) => d != 0,
        JsonObject o => o.Count > 0,
        JsonArray a => a.Count > 0,
        _ => true,
    };

    /// <summary>
    /// The notification for <paramref name="pdu"/> (the event as stored). <paramref name="eventIdOnly"/> is the
    /// pusher's <c>data.format: event_id_only</c>: only the IDs, priority and counts, no tweaks.
    /// </summary>
    public static JsonObject ForEvent(JsonObject pdu, string eventId, string userId, JsonObject tweaks, int unread, PushDevice device,
        bool eventIdOnly, bool includeContent, string? senderDisplayName, string? roomName)
    {
        var type = (string?)pdu["type"] ?? "";
        var prio = Priority(type, tweaks);
        JsonObject n;
        if (eventIdOnly)
        {
            n = new JsonObject { ["event_id"] = eventId, ["room_id"] = pdu["room_id"]?.DeepClone(), ["prio"] = prio };
            n["counts"] = new JsonObject { ["unread"] = unread };
            n["devices"] = new JsonArray(Device(device, null));
            return new JsonObject { ["notification"] = n };
        }

        n = new JsonObject
        {
            // Synapse still sends the deprecated "id" beside event_id.
            ["id"] = eventId,
            ["event_id"] = eventId,
            ["room_id"] = pdu["room_id"]?.DeepClone(),
            ["type"] = type,
            ["sender"] = pdu["sender"]?.DeepClone(),
            ["prio"] = prio,
            ["counts"] = new JsonObject { ["unread"] = unread },
        };
        var content = pdu["content"] as JsonObject;
        if (type == "m.room.member" && pdu["state_key"] is JsonValue sk && sk.TryGetValue<string>(out var stateKey))
        {
            n["membership"] = content?["membership"]?.DeepClone();
            n["user_is_target"] = stateKey == userId;
        }
        if (includeContent && content is { Count: > 0 }) n["content"] = content.DeepClone();
        if (!string.IsNullOrEmpty(senderDisplayName)) n["sender_display_name"] = senderDisplayName;
        if (!string.IsNullOrEmpty(roomName)) n["room_name"] = roomName;
        n["devices"] = new JsonArray(Device(device, tweaks));
        return new JsonObject { ["notification"] = n };
    }

    /// <summary>Synapse's badge update: only the counts, sent when a user's unread count changes on a receipt.</summary>
    public static JsonObject BadgeUpdate(int unread, PushDevice device) => new()
    {
        ["notification"] = new JsonObject
        {
            ["id"] = "",
            ["type"] = null,
            ["sender"] = "",
            ["counts"] = new JsonObject { ["unread"] = unread },
            ["devices"] = new JsonArray(Device(device, null)),
        },
    };

    /// <summary>spec: the pusher's data is forwarded without <c>url</c>; pushkey_ts is in seconds. Tweaks only when
    /// there are any.</summary>
    static JsonObject Device(PushDevice d, JsonObject? tweaks)
    {
        var data = (JsonObject)d.Data.DeepClone();
        data.Remove("url");
        var o = new JsonObject
        {
            ["app_id"] = d.AppId,
            ["pushkey"] = d.Pushkey,
            ["pushkey_ts"] = d.PushkeyTsMs / 1000,
            ["data"] = data,
        };
        if (tweaks is { Count: > 0 }) o["tweaks"] = tweaks.DeepClone();
        return o;
    }

    /// <summary>The pushkeys of the gateway's answer that it rejected (spec: <c>rejected</c>); none when the
    /// answer has no such list.</summary>
    public static IReadOnlyList<string> Rejected(JsonNode? response) =>
        response is JsonObject { } o && o["rejected"] is JsonArray a
            ? a.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList()
            : [];

    /// <summary>The unread count a push carries (Synapse's badge, grouped by room as its default): the rooms the
    /// user is invited to, plus the joined rooms with unread notifications.</summary>
    public static int Badge(int invites, IEnumerable<long> notificationsPerJoinedRoom) =>
        invites + notificationsPerJoinedRoom.Count(n => n > 0);

    /// <summary>The sender's display name from their member event, else their user ID (Synapse's
    /// name_from_member_event).</summary>
    public static string NameOf(PushStateEvent member) =>
        member.Content["displayname"] is JsonValue v && v.TryGetValue<string>(out var name) && name.Length > 0 ? name : member.StateKey;

    [GeneratedRegex(@"^#.*:.+$")]
    private static partial Regex AliasShape();

    /// <summary>
    /// The room's human-readable name for <paramref name="userId"/>, as Synapse names it in a push (its
    /// calculate_room_name without falling back to a single other member): m.room.name, else the canonical
    /// alias, else from the members ("Alice and Bob", "Alice and 3 others"); null for a room with exactly one
    /// other member (a 1:1 chat is named by its sender) and for an invite whose inviter is known.
    /// </summary>
    public static string? RoomName(IReadOnlyCollection<PushStateEvent> state, string userId)
    {
        PushStateEvent? Get(string type, string key) => state.FirstOrDefault(e => e.Type == type && e.StateKey == key);

        if (Get("m.room.name", "")?.Content["name"] is JsonValue nv && nv.TryGetValue<string>(out var name) && name.Length > 0)
            return name;
        if (Get("m.room.canonical_alias", "")?.Content["alias"] is JsonValue av && av.TryGetValue<string>(out var alias)
            && alias.Length > 0 && AliasShape().IsMatch(alias))
            return alias;

        var me = Get("m.room.member", userId);
        if (me is not null && Membership(me) == "invite")
            return Get("m.room.member", me.Sender) is not null ? null : "Room Invite";

        var all = state.Where(e => e.Type == "m.room.member" && Membership(e) is "join" or "invite")
            .OrderBy(e => e.OriginServerTs).ToList();
        var others = all.Where(e => e.StateKey != userId).ToList();
        if (others.Count == 0)
        {
            if (all.Count != 1) return EmptyRoom;
            if (all[0].Sender != userId) return NameOf(all[0]);
            return state.Any(e => e.Type == "m.room.third_party_invite") ? "Inviting email address" : EmptyRoom;
        }
        return others.Count switch
        {
            1 => null,
            2 => $"{NameOf(others[0])} and {NameOf(others[1])}",
            _ => $"{NameOf(others[0])} and {others.Count - 1} others",
        };
    }

    static string? Membership(PushStateEvent e) =>
        e.Content["membership"] is JsonValue v && v.TryGetValue<string>(out var m) ? m : null;
}
