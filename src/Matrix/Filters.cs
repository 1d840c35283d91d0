using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>A filter definition that breaks the rules of filter.yaml; the message names the field.</summary>
public sealed class FilterFormatException : Exception
{
    public FilterFormatException(string message) : base(message) { }
}

/// <summary>spec: client-server API "Filtering" — EventFilter and RoomEventFilter (event_filter.yaml, room_event_filter.yaml).</summary>
public sealed class EventFilter
{
    public int? Limit { get; set; }
    public IReadOnlyList<string>? Types { get; set; }
    public IReadOnlyList<string>? NotTypes { get; set; }
    public IReadOnlyList<string>? Senders { get; set; }
    public IReadOnlyList<string>? NotSenders { get; set; }
    public IReadOnlyList<string>? Rooms { get; set; }
    public IReadOnlyList<string>? NotRooms { get; set; }
    public bool LazyLoadMembers { get; set; }
    public bool IncludeRedundantMembers { get; set; }
    public bool UnreadThreadNotifications { get; set; }
    public bool? ContainsUrl { get; set; }

    /// <summary>
    /// Whether an event passes. "not_" lists win over their inclusive counterparts; types accept '*'
    /// as a wildcard for any run of characters; a null <paramref name="roomId"/> skips the room lists
    /// (presence and global account data have no room).
    /// </summary>
    public bool Matches(string type, string sender, string? roomId, JsonObject? content)
    {
        if (NotTypes is not null && NotTypes.Any(p => WildcardMatch(p, type)))
        {
            return false;
        }

        if (Types is not null && !Types.Any(p => WildcardMatch(p, type)))
        {
            return false;
        }

        if (NotSenders is not null && NotSenders.Contains(sender))
        {
            return false;
        }

        if (Senders is not null && !Senders.Contains(sender))
        {
            return false;
        }

        if (roomId is not null)
        {
            if (NotRooms is not null && NotRooms.Contains(roomId))
            {
                return false;
            }

            if (Rooms is not null && !Rooms.Contains(roomId))
            {
                return false;
            }
        }

        if (ContainsUrl is bool wantUrl && (content?.ContainsKey("url") ?? false) != wantUrl)
        {
            return false;
        }

        return true;
    }

    /// <summary>'*' matches any run of characters (including none); everything else literally.</summary>
    public static bool WildcardMatch(string pattern, string value)
    {
        // Iterative glob with backtracking to the last '*', linear in practice.
        int p = 0, v = 0, star = -1, mark = 0;
        while (v < value.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = v;
            }
            else if (p < pattern.Length && pattern[p] == value[v])
            {
                p++;
                v++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                v = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    internal static EventFilter Parse(JsonNode? node, string path, bool isRoomEventFilter)
    {
        if (node is null)
        {
            return new EventFilter();
        }

        if (node is not JsonObject obj)
        {
            throw new FilterFormatException($"{path} must be an object.");
        }

        var filter = new EventFilter
        {
            Limit = ParseLimit(obj["limit"], path + ".limit"),
            Types = Strings(obj["types"], path + ".types", requiredPrefix: null),
            NotTypes = Strings(obj["not_types"], path + ".not_types", requiredPrefix: null),
            Senders = Strings(obj["senders"], path + ".senders", requiredPrefix: '@'),
            NotSenders = Strings(obj["not_senders"], path + ".not_senders", requiredPrefix: '@'),
        };

        // The room-only fields are ignored for the plain EventFilter (presence, account_data), as
        // unknown fields are.
        if (isRoomEventFilter)
        {
            filter.Rooms = Strings(obj["rooms"], path + ".rooms", requiredPrefix: '!');
            filter.NotRooms = Strings(obj["not_rooms"], path + ".not_rooms", requiredPrefix: '!');
            filter.LazyLoadMembers = Bool(obj["lazy_load_members"], path + ".lazy_load_members") ?? false;
            filter.IncludeRedundantMembers = Bool(obj["include_redundant_members"], path + ".include_redundant_members") ?? false;
            filter.UnreadThreadNotifications = Bool(obj["unread_thread_notifications"], path + ".unread_thread_notifications") ?? false;
            filter.ContainsUrl = Bool(obj["contains_url"], path + ".contains_url");
        }

        return filter;
    }

    private static int? ParseLimit(JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        // spec: event_filter.yaml — limit must be an integer greater than 0.
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || PowerLevels.AsInteger(v) is not long l)
        {
            throw new FilterFormatException($"{path} must be an integer.");
        }

        if (l <= 0)
        {
            throw new FilterFormatException($"{path} must be greater than 0.");
        }

        return (int)Math.Min(l, int.MaxValue);
    }

    internal static IReadOnlyList<string>? Strings(JsonNode? node, string path, char? requiredPrefix)
    {
        if (node is null)
        {
            return null;
        }

        if (node is not JsonArray array)
        {
            throw new FilterFormatException($"{path} must be an array of strings.");
        }

        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (EventAuth.StringOf(item) is not { } s)
            {
                throw new FilterFormatException($"{path} must be an array of strings.");
            }

            if (requiredPrefix is char c && !s.StartsWith(c))
            {
                throw new FilterFormatException($"{path} entries must start with '{c}'.");
            }

            list.Add(s);
        }

        return list;
    }

    internal static bool? Bool(JsonNode? node, string path)
    {
        if (node is null)
        {
            return null;
        }

        return node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValueKind() == JsonValueKind.True
            : throw new FilterFormatException($"{path} must be a boolean.");
    }
}

/// <summary>spec: client-server API "Filtering" — the Filter object of POST /user/{userId}/filter (sync_filter.yaml).</summary>
public sealed class SyncFilter
{
    /// <summary>A filter that lets everything through; a fresh instance each time, since filters are mutable.</summary>
    public static SyncFilter Default => new();

    public EventFilter Presence { get; set; } = new();
    public EventFilter AccountData { get; set; } = new();
    public EventFilter Timeline { get; set; } = new();
    public EventFilter State { get; set; } = new();
    public EventFilter Ephemeral { get; set; } = new();
    public EventFilter RoomAccountData { get; set; } = new();
    public IReadOnlyList<string>? Rooms { get; set; }
    public IReadOnlyList<string>? NotRooms { get; set; }
    public bool IncludeLeave { get; set; }
    public string EventFormat { get; set; } = "client";
    public IReadOnlyList<string>? EventFields { get; set; }

    /// <summary>Whether the room-level rooms/not_rooms lists let this room through at all.</summary>
    public bool IncludesRoom(string roomId) =>
        !(NotRooms?.Contains(roomId) ?? false) && (Rooms?.Contains(roomId) ?? true);

    /// <summary>Validates and reads a filter definition. Unknown fields are ignored.</summary>
    public static SyncFilter Parse(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var filter = new SyncFilter
        {
            Presence = EventFilter.Parse(json["presence"], "presence", isRoomEventFilter: false),
            AccountData = EventFilter.Parse(json["account_data"], "account_data", isRoomEventFilter: false),
            EventFields = EventFilter.Strings(json["event_fields"], "event_fields", requiredPrefix: null),
        };

        if (json["event_format"] is { } format)
        {
            filter.EventFormat = EventAuth.StringOf(format) is "client" or "federation"
                ? EventAuth.StringOf(format)!
                : throw new FilterFormatException("event_format must be \"client\" or \"federation\".");
        }

        if (json["room"] is { } roomNode)
        {
            if (roomNode is not JsonObject room)
            {
                throw new FilterFormatException("room must be an object.");
            }

            filter.Rooms = EventFilter.Strings(room["rooms"], "room.rooms", requiredPrefix: '!');
            filter.NotRooms = EventFilter.Strings(room["not_rooms"], "room.not_rooms", requiredPrefix: '!');
            filter.IncludeLeave = EventFilter.Bool(room["include_leave"], "room.include_leave") ?? false;
            filter.Timeline = EventFilter.Parse(room["timeline"], "room.timeline", isRoomEventFilter: true);
            filter.State = EventFilter.Parse(room["state"], "room.state", isRoomEventFilter: true);
            filter.Ephemeral = EventFilter.Parse(room["ephemeral"], "room.ephemeral", isRoomEventFilter: true);
            filter.RoomAccountData = EventFilter.Parse(room["account_data"], "room.account_data", isRoomEventFilter: true);
        }

        return filter;
    }
}
