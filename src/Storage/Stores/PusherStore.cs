using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class PusherStore(Db db) : IPusherStore
{
    sealed class Row
    {
        public string UserId { get; set; } = "";
        public string AppId { get; set; } = "";
        public string Pushkey { get; set; } = "";
        public string Kind { get; set; } = "";
        public string AppDisplayName { get; set; } = "";
        public string DeviceDisplayName { get; set; } = "";
        public string ProfileTag { get; set; } = "";
        public string? Lang { get; set; }
        public string Data { get; set; } = "";
        public long PushkeyTs { get; set; }
        public string? DeviceId { get; set; }
        public long LastStreamOrdering { get; set; }
        public long? LastSuccess { get; set; }
        public long? FailingSince { get; set; }

        public Pusher ToRecord() => new(UserId, AppId, Pushkey, Kind, AppDisplayName, DeviceDisplayName, ProfileTag, Lang, Data,
            PushkeyTs, DeviceId, LastStreamOrdering, LastSuccess, FailingSince);
    }

    const string Columns = """
        user_id AS UserId, app_id AS AppId, pushkey AS Pushkey, kind AS Kind, app_display_name AS AppDisplayName,
        device_display_name AS DeviceDisplayName, profile_tag AS ProfileTag, lang AS Lang, data AS Data,
        pushkey_ts AS PushkeyTs, device_id AS DeviceId, last_stream_ordering AS LastStreamOrdering,
        last_success AS LastSuccess, failing_since AS FailingSince
        """;

    const string Key = "user_id = @UserId AND app_id = @AppId AND pushkey = @Pushkey";

    // A replaced pusher keeps its device (Synapse: one device may edit another's pusher), and starts over
    // from the position given, with its failure state cleared.
    const string Upsert = """
        INSERT INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name, profile_tag, lang,
            data, pushkey_ts, device_id, last_stream_ordering, last_success, failing_since)
        VALUES (@UserId, @AppId, @Pushkey, @Kind, @AppDisplayName, @DeviceDisplayName, @ProfileTag, @Lang,
            @DataJson, @PushkeyTs, @DeviceId, @LastStreamOrdering, @LastSuccess, @FailingSince)
        ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET
            kind = excluded.kind, app_display_name = excluded.app_display_name,
            device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag,
            lang = excluded.lang, data = excluded.data, pushkey_ts = excluded.pushkey_ts,
            last_stream_ordering = excluded.last_stream_ordering, failing_since = NULL
        """;

    public Task UpsertAsync(Pusher pusher) => db.WriteAsync((c, tx) => c.ExecuteAsync(Upsert, pusher, tx));

    const string SelectOne = $"SELECT {Columns} FROM pushers WHERE {Key}";

    public Task<Pusher?> GetAsync(string userId, string appId, string pushkey) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<Row>(SelectOne,
            new { UserId = userId, AppId = appId, Pushkey = pushkey }))?.ToRecord());

    const string SelectForUser = $"SELECT {Columns} FROM pushers WHERE user_id = @UserId ORDER BY app_id, pushkey";

    public Task<IReadOnlyList<Pusher>> GetForUserAsync(string userId) =>
        db.ReadAsync<IReadOnlyList<Pusher>>(async c =>
            (await c.QueryAsync<Row>(SelectForUser, new { UserId = userId })).Select(r => r.ToRecord()).ToList());

    const string SelectAll = $"SELECT {Columns} FROM pushers ORDER BY user_id, app_id, pushkey";

    public Task<IReadOnlyList<Pusher>> GetAllAsync() =>
        db.ReadAsync<IReadOnlyList<Pusher>>(async c => (await c.QueryAsync<Row>(SelectAll)).Select(r => r.ToRecord()).ToList());

    const string DeleteOne = $"DELETE FROM pushers WHERE {Key}";

    public Task<bool> DeleteAsync(string userId, string appId, string pushkey) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(DeleteOne, new { UserId = userId, AppId = appId, Pushkey = pushkey }, tx) > 0);

    const string SelectOtherUsers = "SELECT user_id FROM pushers WHERE app_id = @AppId AND pushkey = @Pushkey AND user_id <> @UserId";
    const string DeleteOtherUsers = "DELETE FROM pushers WHERE app_id = @AppId AND pushkey = @Pushkey AND user_id <> @UserId";

    public Task<IReadOnlyList<string>> DeleteForOtherUsersAsync(string appId, string pushkey, string exceptUserId) =>
        db.WriteAsync<IReadOnlyList<string>>(async (c, tx) =>
        {
            var args = new { AppId = appId, Pushkey = pushkey, UserId = exceptUserId };
            var users = (await c.QueryAsync<string>(SelectOtherUsers, args, tx)).ToList();
            if (users.Count > 0) await c.ExecuteAsync(DeleteOtherUsers, args, tx);
            return users;
        });

    const string UpdateSuccess = $"UPDATE pushers SET last_stream_ordering = @Position, last_success = @Now, failing_since = NULL WHERE {Key}";

    public Task<bool> RecordSuccessAsync(string userId, string appId, string pushkey, long streamOrdering, long now) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(UpdateSuccess,
            new { UserId = userId, AppId = appId, Pushkey = pushkey, Position = streamOrdering, Now = now }, tx) > 0);

    const string UpdatePosition = $"UPDATE pushers SET last_stream_ordering = @Position WHERE {Key}";

    public Task SetLastStreamOrderingAsync(string userId, string appId, string pushkey, long streamOrdering) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdatePosition,
            new { UserId = userId, AppId = appId, Pushkey = pushkey, Position = streamOrdering }, tx));

    const string UpdateFailingSince = $"UPDATE pushers SET failing_since = @FailingSince WHERE {Key}";

    public Task SetFailingSinceAsync(string userId, string appId, string pushkey, long? failingSince) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateFailingSince,
            new { UserId = userId, AppId = appId, Pushkey = pushkey, FailingSince = failingSince }, tx));

    sealed class ActionRow : EventStore.EventRow
    {
        public string Actions { get; set; } = "";
        public long Highlight { get; set; }
    }

    // The receipts that clear notifications, as the unread counts read them (PushActionStore).
    const string SelectUnread = """
        SELECT a.actions AS Actions, a.highlight AS Highlight,
               e.stream_ordering AS StreamOrdering, e.event_id AS EventId, e.room_id AS RoomId, e.type AS Type,
               e.state_key AS StateKey, e.sender AS Sender, e.depth AS Depth, e.origin_server_ts AS OriginServerTs,
               e.json AS Json, e.membership AS Membership
        FROM event_push_actions a
        JOIN events e ON e.stream_ordering = a.stream_ordering
        WHERE a.user_id = @UserId AND a.notif = 1 AND a.stream_ordering > @From AND a.stream_ordering <= @To
          AND a.stream_ordering > COALESCE((
              SELECT MAX(r.event_stream_ordering) FROM receipts r
              WHERE r.room_id = a.room_id AND r.user_id = a.user_id
                AND r.receipt_type IN ('m.read', 'm.read.private') AND r.thread_id IN ('', 'main')), 0)
        ORDER BY a.stream_ordering
        LIMIT @Limit
        """;

    public Task<IReadOnlyList<PushActionToSend>> GetUnreadActionsAsync(string userId, long from, long to, int limit) =>
        to <= from || limit <= 0
            ? Task.FromResult<IReadOnlyList<PushActionToSend>>([])
            : db.ReadAsync<IReadOnlyList<PushActionToSend>>(async c =>
                (await c.QueryAsync<ActionRow>(SelectUnread, new { UserId = userId, From = from, To = to, Limit = (long)limit }))
                    .Select(r => new PushActionToSend(r.ToRecord(), r.Actions, r.Highlight != 0)).ToList());

    const string SelectUsers = """
        SELECT DISTINCT a.user_id FROM event_push_actions a
        WHERE a.notif = 1 AND a.stream_ordering > @From AND a.stream_ordering <= @To
          AND EXISTS (SELECT 1 FROM pushers p WHERE p.user_id = a.user_id)
        """;

    public Task<IReadOnlyList<string>> GetUsersToPushAsync(long from, long to) =>
        to <= from
            ? Task.FromResult<IReadOnlyList<string>>([])
            : db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectUsers, new { From = from, To = to })).ToList());
}
