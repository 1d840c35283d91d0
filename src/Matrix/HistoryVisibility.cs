using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>
/// spec: client-server API "Room History Visibility" — whether a user may see an event, given the room's
/// <c>m.room.history_visibility</c> and the user's membership at that event.
/// </summary>
public static class HistoryVisibility
{
    public const string WorldReadable = "world_readable";
    public const string Shared = "shared";
    public const string Invited = "invited";
    public const string Joined = "joined";

    /// <summary>The visibility a history_visibility content sets; missing or not understood means shared (spec).</summary>
    public static string FromContent(JsonNode? content) =>
        EventAuth.StringOf(content?["history_visibility"]) is (WorldReadable or Shared or Invited or Joined) and var v ? v : Shared;

    /// <summary>spec: "Server behaviour", rules 1–5.</summary>
    /// <param name="visibility">The history visibility at the event.</param>
    /// <param name="membership">The user's membership at the event (null: none).</param>
    /// <param name="joinedAfterwards">Whether the user was joined at some point after the event.</param>
    public static bool MaySee(string visibility, string? membership, bool joinedAfterwards) =>
        visibility == WorldReadable
        || membership == "join"
        || (visibility == Shared && joinedAfterwards)
        || (visibility == Invited && membership == "invite");
}

/// <summary>What the visibility rules need of one room event.</summary>
/// <param name="Position">Its place in the room's order (stream ordering).</param>
/// <param name="Membership">For m.room.member events, the membership it sets.</param>
/// <param name="Visibility">For m.room.history_visibility events, the visibility it sets (see <see cref="HistoryVisibility.FromContent"/>).</param>
public sealed record VisibilityEvent(long Position, string Type, string? StateKey, string? Membership = null, string? Visibility = null);

/// <summary>
/// Decides, for a contiguous run of one room's events walked oldest first, which a user may see: it starts
/// from the state before the run and applies each state event after deciding on it.
/// </summary>
public sealed class HistoryVisibilityWalker
{
    private readonly string _userId;
    private readonly long? _lastJoinedPosition;
    private string _visibility;
    private string? _membership;

    /// <param name="visibility">The history_visibility in force before the first event (null: none, i.e. shared).</param>
    /// <param name="membership">The user's membership before the first event (null: none).</param>
    /// <param name="lastJoinedPosition">
    /// The latest position at which the user was joined: <see cref="long.MaxValue"/> for a user joined now,
    /// the position of their leave for one who left from a join, null for one who never joined.
    /// Rule 3 ("joined at any point after the event") holds for events before it.
    /// </param>
    public HistoryVisibilityWalker(string userId, string? visibility, string? membership, long? lastJoinedPosition)
    {
        _userId = userId;
        _visibility = visibility ?? HistoryVisibility.Shared;
        _membership = membership;
        _lastJoinedPosition = lastJoinedPosition;
    }

    /// <summary>Whether the user may see this event, which must follow the previous one given.</summary>
    public bool MaySee(VisibilityEvent e)
    {
        var joinedAfterwards = _lastJoinedPosition is long last && e.Position < last;
        var allowed = HistoryVisibility.MaySee(_visibility, _membership, joinedAfterwards);

        if (e.StateKey is null)
        {
            return allowed;
        }

        // spec: history_visibility events and the user's own member events are visible when the state
        // before *or* after them would allow it.
        if (e.Type == "m.room.history_visibility")
        {
            _visibility = e.Visibility ?? HistoryVisibility.Shared;
            allowed |= HistoryVisibility.MaySee(_visibility, _membership, joinedAfterwards);
        }
        else if (e.Type == "m.room.member" && e.StateKey == _userId)
        {
            _membership = e.Membership;
            allowed |= HistoryVisibility.MaySee(_visibility, _membership, joinedAfterwards);
        }

        return allowed;
    }
}
