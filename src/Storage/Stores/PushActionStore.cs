using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class PushActionStore(Db db) : IPushActionStore
{
    // Chunk size for queries by a list of users (keeps well under both engines' parameter limits).
    const int ListChunk = 500;

    // The receipts that clear notifications: m.read and m.read.private, unthreaded or on the main timeline.
    const string CountingReceipts = "r.receipt_type IN ('m.read', 'm.read.private') AND r.thread_id IN ('', 'main')";

    sealed class CountsRow
    {
        public string RoomId { get; set; } = "";
        public long Notifications { get; set; }
        public long Highlights { get; set; }
        public long LatestUnread { get; set; }
        public long ReceiptStreamId { get; set; }
    }

    // Each room's read position first (the latest counting receipt), then a range scan of the user's
    // actions in the room after it: the cost follows the unread actions, not the room's history.
    const string CountsBody = $"""
        bounds AS (
            SELECT rooms.room_id AS room_id,
                   COALESCE(MAX(r.event_stream_ordering), 0) AS read_up_to,
                   COALESCE(MAX(r.stream_id), 0) AS receipt_stream_id
            FROM rooms
            LEFT JOIN receipts r ON r.room_id = rooms.room_id AND r.user_id = @UserId AND {CountingReceipts}
            GROUP BY rooms.room_id
        )
        SELECT b.room_id AS RoomId,
               COUNT(a.stream_ordering) AS Notifications,
               COALESCE(SUM(a.highlight), 0) AS Highlights,
               COALESCE(MAX(a.stream_ordering), 0) AS LatestUnread,
               b.receipt_stream_id AS ReceiptStreamId
        FROM bounds b
        LEFT JOIN event_push_actions a
            ON a.user_id = @UserId AND a.room_id = b.room_id AND a.notif = 1
           AND a.stream_ordering > b.read_up_to AND a.stream_ordering <= @UpTo
        GROUP BY b.room_id, b.receipt_stream_id
        """;
    // The room list is one parameter on both engines: a JSON array on SQLite, a text[] on PostgreSQL.
    const string SelectCountsSqlite = $"WITH rooms AS (SELECT DISTINCT value AS room_id FROM json_each(@Rooms)),\n{CountsBody}";
    const string SelectCountsPostgres = $"WITH rooms AS (SELECT DISTINCT unnest(CAST(@Rooms AS text[])) AS room_id),\n{CountsBody}";

    public Task<IReadOnlyList<UnreadCounts>> GetUnreadCountsAsync(string userId, IReadOnlyCollection<string> roomIds, long upToStreamOrdering)
    {
        if (roomIds.Count == 0) return Task.FromResult<IReadOnlyList<UnreadCounts>>([]);
        object rooms = db.IsPostgres ? roomIds.ToArray() : System.Text.Json.JsonSerializer.Serialize(roomIds);
        var sql = db.IsPostgres ? SelectCountsPostgres : SelectCountsSqlite;
        return db.ReadAsync<IReadOnlyList<UnreadCounts>>(async c =>
            (await c.QueryAsync<CountsRow>(sql, new { UserId = userId, Rooms = rooms, UpTo = upToStreamOrdering }))
                .Select(r => new UnreadCounts(r.RoomId, r.Notifications, r.Highlights, r.LatestUnread, r.ReceiptStreamId))
                .ToList());
    }

    sealed class NewActionRow
    {
        public string RoomId { get; set; } = "";
        public long StreamOrdering { get; set; }
        public long Highlight { get; set; }
    }

    const string SelectNewActions = """
        SELECT room_id AS RoomId, stream_ordering AS StreamOrdering, highlight AS Highlight
        FROM event_push_actions
        WHERE user_id = @UserId AND notif = 1 AND stream_ordering > @From AND stream_ordering <= @To
        ORDER BY stream_ordering
        """;

    public Task<IReadOnlyList<(string RoomId, long StreamOrdering, bool Highlight)>> GetNewActionsAsync(string userId, long from, long to) =>
        db.ReadAsync<IReadOnlyList<(string, long, bool)>>(async c =>
            (await c.QueryAsync<NewActionRow>(SelectNewActions, new { UserId = userId, From = from, To = to }))
                .Select(r => (r.RoomId, r.StreamOrdering, r.Highlight != 0)).ToList());

    const string SelectRoomsWithNewReceipts = $"""
        SELECT DISTINCT r.room_id FROM receipts r
        WHERE r.user_id = @UserId AND r.stream_id > @From AND r.stream_id <= @To AND {CountingReceipts}
        """;

    public Task<IReadOnlyList<string>> GetRoomsWithNewReceiptsAsync(string userId, long from, long to) =>
        db.ReadAsync<IReadOnlyList<string>>(async c =>
            (await c.QueryAsync<string>(SelectRoomsWithNewReceipts, new { UserId = userId, From = from, To = to })).ToList());

    sealed class NotificationDbRow : EventStore.EventRow
    {
        public string Actions { get; set; } = "";
        public long Highlight { get; set; }
        public long IsRead { get; set; }

        public NotificationRow ToNotification() => new(ToRecord(), Actions, Highlight != 0, IsRead != 0);
    }

    const string SelectNotifications = $"""
        SELECT a.actions AS Actions, a.highlight AS Highlight,
               CASE WHEN a.stream_ordering <= COALESCE((
                   SELECT MAX(r.event_stream_ordering) FROM receipts r
                   WHERE r.room_id = a.room_id AND r.user_id = a.user_id AND {CountingReceipts}), 0)
               THEN 1 ELSE 0 END AS IsRead,
               e.stream_ordering AS StreamOrdering, e.event_id AS EventId, e.room_id AS RoomId, e.type AS Type,
               e.state_key AS StateKey, e.sender AS Sender, e.depth AS Depth, e.origin_server_ts AS OriginServerTs,
               e.json AS Json, e.membership AS Membership
        FROM event_push_actions a
        JOIN events e ON e.stream_ordering = a.stream_ordering
        WHERE a.user_id = @UserId AND a.notif = 1 AND a.stream_ordering < @Before AND a.highlight >= @MinHighlight
        ORDER BY a.stream_ordering DESC
        LIMIT @Limit
        """;

    public Task<IReadOnlyList<NotificationRow>> GetNotificationsAsync(string userId, long? before, int limit, bool onlyHighlight)
    {
        if (limit <= 0) return Task.FromResult<IReadOnlyList<NotificationRow>>([]);
        return db.ReadAsync<IReadOnlyList<NotificationRow>>(async c =>
            (await c.QueryAsync<NotificationDbRow>(SelectNotifications, new
            {
                UserId = userId, Before = before ?? long.MaxValue, MinHighlight = onlyHighlight ? 1 : 0, Limit = (long)limit,
            })).Select(r => r.ToNotification()).ToList());
    }

    sealed class RulesRow
    {
        public string UserId { get; set; } = "";
        public string Content { get; set; } = "";
    }

    // Global account data has room_id '' (0001_users.sql); the ruleset is the m.push_rules type.
    const string SelectRulesSqlite = """
        SELECT user_id AS UserId, content AS Content FROM account_data
        WHERE room_id = '' AND account_data_type = 'm.push_rules' AND user_id IN @Users
        """;
    const string SelectRulesPostgres = """
        SELECT user_id AS UserId, content AS Content FROM account_data
        WHERE room_id = '' AND account_data_type = 'm.push_rules' AND user_id = ANY(@Users)
        """;

    public Task<IReadOnlyDictionary<string, string>> GetPushRulesAsync(IReadOnlyCollection<string> userIds)
    {
        if (userIds.Count == 0) return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
        var sql = db.IsPostgres ? SelectRulesPostgres : SelectRulesSqlite;
        return db.ReadAsync<IReadOnlyDictionary<string, string>>(async c =>
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var chunk in userIds.Distinct().Chunk(ListChunk))
                foreach (var row in await c.QueryAsync<RulesRow>(sql, new { Users = chunk }))
                    result[row.UserId] = row.Content;
            return result;
        });
    }
}
