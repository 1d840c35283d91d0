using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Grains;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// A user reading a room's history, and how far they may read: all of it when joined or peeking into a
/// world-readable room, up to their leave (or ban) when departed.
/// </summary>
/// <param name="Membership">The user's current membership, null when none.</param>
/// <param name="UpTo">The last stream position they may read (<see cref="long.MaxValue"/> unless departed).</param>
/// <param name="UpToPoint">For a departed user, the point just after their leave; null otherwise.</param>
/// <param name="LastJoinedPosition">See <see cref="HistoryVisibilityWalker"/>.</param>
public sealed record RoomReader(
    string UserId, string RoomId, string? Membership, long UpTo,
    TopologicalToken? UpToPoint, long? LastJoinedPosition)
{
    public bool IsJoined => Membership == "join";
    public bool IsDeparted => UpToPoint is not null;
}

/// <summary>One page of room events, in the direction asked, and the point to carry on from.</summary>
public sealed record HistoryPage(List<StoredEvent> Events, TopologicalToken Next, bool More);

/// <summary>
/// What the room-reading endpoints share: who may read a room (Synapse's
/// <c>check_user_in_room_or_world_readable</c> with departed users allowed), which events they may see
/// (<see cref="HistoryVisibilityWalker"/> fed from the store), pagination tokens and topological paging.
/// </summary>
public static class RoomHistory
{
    const int MaxBatch = 1000;
    // A filtered page scans at most this many batches before handing back what it has (with an end token).
    const int MaxRounds = 20;

    /// <summary>The reader of a room: 403 M_FORBIDDEN for users who were never in it, unless it is world-readable.</summary>
    public static async Task<RoomReader> OpenAsync(MyelinDatabase db, string roomId, string userId)
    {
        var row = (await db.Events.GetMembershipsForUserAsync(userId)).FirstOrDefault(m => m.RoomId == roomId);
        if (row is not null)
        {
            var reader = await ReaderFromMembershipAsync(db, userId, row);
            if (reader is not null) return reader;
        }
        var state = await db.Events.GetCurrentStateAsync(roomId);
        var hv = state.FirstOrDefault(e => e.Type == "m.room.history_visibility" && e.StateKey == "");
        if (hv is not null && HistoryVisibility.FromContent(Content(hv)) == HistoryVisibility.WorldReadable)
            return new RoomReader(userId, roomId, row?.Membership, long.MaxValue, null, null);
        throw MatrixException.Forbidden($"User {userId} not in room {roomId}, and room previews are disabled");
    }

    /// <summary>The reader for a joined or departed membership; null for invite and knock (which do not give access).</summary>
    public static async Task<RoomReader?> ReaderFromMembershipAsync(MyelinDatabase db, string userId, MembershipRow row)
    {
        switch (row.Membership)
        {
            case "join":
                return new RoomReader(userId, row.RoomId, "join", long.MaxValue, null, long.MaxValue);
            case "leave" or "ban":
            {
                var leave = await db.Events.GetEventAsync(row.EventId);
                if (leave is null) return null;
                // spec rule 3 lets a user who left from a join see shared history up to their leave.
                var before = await db.Events.GetStateAtAsync(row.RoomId, row.StreamOrdering - 1);
                var wasJoined = before.Any(e => e.Type == "m.room.member" && e.StateKey == userId && e.Membership == "join");
                return new RoomReader(userId, row.RoomId, row.Membership, row.StreamOrdering,
                    new TopologicalToken(leave.Depth, leave.StreamOrdering + 1), wasJoined ? row.StreamOrdering : null);
            }
            default:
                return null;
        }
    }

    /// <summary>The room state the reader sees: current, or as of their leave.</summary>
    public static Task<IReadOnlyList<StoredEvent>> StateAsync(MyelinDatabase db, RoomReader reader) =>
        reader.IsDeparted ? db.Events.GetStateAtAsync(reader.RoomId, reader.UpTo) : db.Events.GetCurrentStateAsync(reader.RoomId);

    /// <summary>
    /// The IDs of the events the reader may see, out of a contiguous run of the room's events given
    /// oldest first.
    /// </summary>
    public static async Task<HashSet<string>> VisibleAsync(MyelinDatabase db, RoomReader reader, IReadOnlyList<StoredEvent> ascending)
    {
        var visible = new HashSet<string>(StringComparer.Ordinal);
        if (ascending.Count == 0) return visible;
        var before = await db.Events.GetStateAtAsync(reader.RoomId, ascending[0].StreamOrdering - 1);
        var hv = before.FirstOrDefault(e => e.Type == "m.room.history_visibility" && e.StateKey == "");
        var member = before.FirstOrDefault(e => e.Type == "m.room.member" && e.StateKey == reader.UserId);
        var walker = new HistoryVisibilityWalker(reader.UserId, hv is null ? null : HistoryVisibility.FromContent(Content(hv)),
            member?.Membership, reader.LastJoinedPosition);
        foreach (var e in ascending)
        {
            var info = new VisibilityEvent(e.StreamOrdering, e.Type, e.StateKey, e.Membership,
                e.Type == "m.room.history_visibility" ? HistoryVisibility.FromContent(Content(e)) : null);
            if (walker.MaySee(info) && e.StreamOrdering <= reader.UpTo) visible.Add(e.EventId);
        }
        return visible;
    }

    /// <summary>Whether the reader may see this one event.</summary>
    public static async Task<bool> CanSeeAsync(MyelinDatabase db, RoomReader reader, StoredEvent e) =>
        (await VisibleAsync(db, reader, [e])).Contains(e.EventId);

    /// <summary>
    /// A pagination token as a point between two of the room's events: <c>t{depth}-{stream}</c> as it is;
    /// a sync token <c>s{N}_...</c> is the point just after the room's newest event at or below N.
    /// 400 M_INVALID_PARAM for anything else.
    /// </summary>
    public static async Task<TopologicalToken> ParsePointAsync(MyelinDatabase db, string roomId, string token, string param)
    {
        if (TopologicalToken.TryParse(token, out var t)) return t;
        if (!SyncToken.TryParse(token, out var s)) throw MatrixException.InvalidParam($"Invalid '{param}' token");
        var newest = await db.Events.GetRoomEventsAsync(roomId, 0, s.Events, 1);
        return newest.Count == 0 ? Start : After(newest[0]);
    }

    /// <summary>The point before the room's first event.</summary>
    public static readonly TopologicalToken Start = new(0, 0);

    public static TopologicalToken Before(StoredEvent e) => new(e.Depth, e.StreamOrdering);
    public static TopologicalToken After(StoredEvent e) => new(e.Depth, e.StreamOrdering + 1);

    /// <summary>The point after the room's newest event (or, for a departed reader, after their leave).</summary>
    public static async Task<TopologicalToken> EndAsync(MyelinDatabase db, RoomReader reader)
    {
        if (reader.UpToPoint is { } p) return p;
        var latest = await db.Events.GetLatestEventAsync(reader.RoomId);
        return latest is null ? Start : After(latest);
    }

    static int Compare(StoredEvent e, TopologicalToken p) =>
        e.Depth != p.Depth ? e.Depth.CompareTo(p.Depth) : e.StreamOrdering.CompareTo(p.Stream);

    /// <summary>
    /// Up to <paramref name="limit"/> events the reader may see and the filter lets through, going from
    /// the point <paramref name="from"/> backwards (newest first) or forwards (oldest first), stopping at
    /// the point <paramref name="to"/>. <see cref="HistoryPage.More"/> is false once nothing is left that way.
    /// </summary>
    public static async Task<HistoryPage> PaginateAsync(MyelinDatabase db, RoomReader reader, TopologicalToken from,
        bool backwards, int limit, TopologicalToken? to = null, EventFilter? filter = null)
    {
        var events = new List<StoredEvent>();
        var cursor = from;
        // A departed reader's history ends at their leave (Synapse clamps the token the same way).
        if (backwards && reader.UpToPoint is { } upTo && (from.Depth, from.Stream).CompareTo((upTo.Depth, upTo.Stream)) > 0)
            cursor = upTo;
        if (limit <= 0) return new HistoryPage(events, cursor, true);

        var batchSize = Math.Min(filter is null ? limit + 1 : Math.Max(limit + 1, 100), MaxBatch);
        bool Beyond(StoredEvent e) => backwards
            ? to is { } t && Compare(e, t) < 0
            : (to is { } t2 && Compare(e, t2) >= 0) || e.StreamOrdering > reader.UpTo;

        for (var round = 0; round < MaxRounds; round++)
        {
            var batch = backwards
                ? await db.Events.PaginateAsync(reader.RoomId, cursor.Depth, cursor.Stream, backwards: true, batchSize)
                : await db.Events.PaginateAsync(reader.RoomId, cursor.Depth, cursor.Stream - 1, backwards: false, batchSize);
            var visible = await VisibleAsync(db, reader, backwards ? batch.Reverse().ToList() : batch);
            var i = 0;
            for (; i < batch.Count && events.Count < limit; i++)
            {
                var e = batch[i];
                if (Beyond(e)) return new HistoryPage(events, cursor, false);
                cursor = backwards ? Before(e) : After(e);
                if (visible.Contains(e.EventId) && Matches(filter, e)) events.Add(e);
            }
            if (events.Count == limit)
                return new HistoryPage(events, cursor, i < batch.Count ? !Beyond(batch[i]) : batch.Count == batchSize);
            if (batch.Count < batchSize) return new HistoryPage(events, cursor, false);
        }
        return new HistoryPage(events, cursor, true);
    }

    public static bool Matches(EventFilter? filter, StoredEvent e) =>
        filter is null || filter.Matches(e.Type, e.Sender, e.RoomId, filter.ContainsUrl is null ? null : Content(e) as JsonObject);

    /// <summary>The member events, in <paramref name="state"/>, of the senders of <paramref name="events"/> (lazy-loading members).</summary>
    public static IEnumerable<StoredEvent> MembersOf(IEnumerable<StoredEvent> state, IEnumerable<StoredEvent> events)
    {
        var senders = events.Select(e => e.Sender).ToHashSet(StringComparer.Ordinal);
        return state.Where(e => e.Type == "m.room.member" && e.StateKey is not null && senders.Contains(e.StateKey));
    }

    /// <summary>
    /// A RoomEventFilter given inline as JSON in the query: 400 M_NOT_JSON when it is not JSON,
    /// M_BAD_JSON when it breaks the filter schema.
    /// </summary>
    public static EventFilter? ParseRoomEventFilter(string json)
    {
        if (json.Length == 0) return null;
        JsonNode? node;
        try { node = JsonNode.Parse(json); }
        catch (JsonException) { throw new MatrixException(400, "M_NOT_JSON", "Filter is not valid JSON"); }
        if (node is not JsonObject obj) throw MatrixException.BadJson("Filter must be a JSON object");
        try
        {
            // A RoomEventFilter is what a sync filter's room.timeline holds.
            return SyncFilter.Parse(new JsonObject { ["room"] = new JsonObject { ["timeline"] = obj } }).Timeline;
        }
        catch (FilterFormatException e)
        {
            throw MatrixException.BadJson(e.Message.Replace("room.timeline.", "", StringComparison.Ordinal));
        }
    }

    /// <summary>A non-negative integer query parameter, capped; 400 M_INVALID_PARAM otherwise.</summary>
    public static int ParseLimit(string value, int defaultValue, int max, string name = "limit")
    {
        if (value.Length == 0) return defaultValue;
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) || l < 0)
            throw MatrixException.InvalidParam($"'{name}' must be a non-negative integer");
        return (int)Math.Min(l, max);
    }

    public static JsonNode? Content(StoredEvent e) => JsonNode.Parse(e.Json)?["content"];

    public static JsonArray Format(IEnumerable<StoredEvent> events, string userId, string deviceId, long now) =>
        new(events.Select(e => (JsonNode)ClientEvents.Format(e, userId, deviceId, now)).ToArray());
}
