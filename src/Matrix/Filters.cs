using System.Text.Json.Nodes;

namespace Myelin.Matrix;

public sealed class FilterFormatException : Exception
{
    public FilterFormatException(string message) : base(message) { }
}

/// <summary>spec: client-server API "Filtering" — EventFilter / RoomEventFilter.</summary>
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
    public bool? ContainsUrl { get; set; }

    public bool Matches(string type, string sender, string? roomId, JsonObject? content) => true;
}

public sealed class SyncFilter
{
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

    public static SyncFilter Parse(JsonObject json) => new();
}
