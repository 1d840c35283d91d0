using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AdminStore(Db db, IStreamIdGenerator ids) : IAdminStore
{
    const string EventReportsStream = "event_reports";

    // ---------------------------------------------------------------- users

    sealed class UserRow
    {
        public string UserId { get; set; } = "";
        public bool IsGuest { get; set; }
        public bool IsAdmin { get; set; }
        public string? UserType { get; set; }
        public bool Deactivated { get; set; }
        public long Erased { get; set; }
        public string? DisplayName { get; set; }
        public string? AvatarUrl { get; set; }
        public long CreationTs { get; set; }
        public long? LastSeenTs { get; set; }
        public AdminUser ToRecord() =>
            new(UserId, IsGuest, IsAdmin, UserType, Deactivated, Erased != 0, DisplayName, AvatarUrl, CreationTs, LastSeenTs);
    }

    const string UserSelect = """
        SELECT u.user_id AS UserId, u.is_guest AS IsGuest, u.admin AS IsAdmin, u.user_type AS UserType,
               u.deactivated AS Deactivated, u.erased AS Erased, p.displayname AS DisplayName, p.avatar_url AS AvatarUrl,
               u.creation_ts AS CreationTs,
               (SELECT MAX(d.last_seen) FROM devices d WHERE d.user_id = u.user_id) AS LastSeenTs
        FROM users u LEFT JOIN profiles p ON p.user_id = u.user_id
        """;

    // Whitelisted: the order column is put into the SQL text.
    static string OrderColumn(string orderBy) => orderBy switch
    {
        "name" or "shadow_banned" => "u.user_id",
        "is_guest" => "u.is_guest",
        "admin" => "u.admin",
        "user_type" => "u.user_type",
        "deactivated" => "u.deactivated",
        "displayname" => "p.displayname",
        "avatar_url" => "p.avatar_url",
        "creation_ts" => "u.creation_ts",
        "last_seen_ts" => "LastSeenTs",
        _ => throw new ArgumentException($"unknown order '{orderBy}'", nameof(orderBy)),
    };

    public Task<(IReadOnlyList<AdminUser> Users, int Total)> ListUsersAsync(UserListQuery q)
    {
        var where = new List<string>();
        // Synapse: user_id is ignored when name is given; both match case-insensitively.
        if (q.NameContains is { } name) where.Add("(LOWER(u.user_id) LIKE @Name ESCAPE '\\' OR LOWER(p.displayname) LIKE @Name ESCAPE '\\')");
        else if (q.UserIdContains is not null) where.Add("LOWER(u.user_id) LIKE @UserIdLike ESCAPE '\\'");
        if (!q.Guests) where.Add("u.is_guest = FALSE");
        if (!q.Deactivated) where.Add("u.deactivated = FALSE");
        if (q.Admins is { } admins) where.Add(admins ? "u.admin = TRUE" : "u.admin = FALSE");
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        var dir = q.Backwards ? "DESC" : "ASC";
        // As Synapse: ties are always broken by ascending user ID, so pages are stable.
        var sql = $"{UserSelect} {filter} ORDER BY {OrderColumn(q.OrderBy)} {dir}, u.user_id ASC LIMIT @Limit OFFSET @From";
        var count = $"SELECT COUNT(*) FROM users u LEFT JOIN profiles p ON p.user_id = u.user_id {filter}";
        var args = new
        {
            Name = q.NameContains is null ? null : Like(q.NameContains),
            UserIdLike = q.UserIdContains is null ? null : Like(q.UserIdContains),
            Limit = (long)q.Limit,
            From = (long)q.From,
        };
        return db.ReadAsync<(IReadOnlyList<AdminUser>, int)>(async c =>
        {
            var rows = (await c.QueryAsync<UserRow>(sql, args)).Select(r => r.ToRecord()).ToList();
            var total = await c.ExecuteScalarAsync<long>(count, args);
            return (rows, (int)total);
        });
    }

    /// <summary>A LIKE pattern for "contains", lower-cased, with the wildcards of the value escaped.</summary>
    static string Like(string value) =>
        "%" + value.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";

    public Task<AdminUser?> GetUserAsync(string userId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<UserRow>($"{UserSelect} WHERE u.user_id = @UserId", new { UserId = userId }))?.ToRecord());

    public Task SetUserTypeAsync(string userId, string? userType) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync("UPDATE users SET user_type = @Type WHERE user_id = @UserId", new { UserId = userId, Type = userType }, tx));

    public Task SetErasedAsync(string userId, bool erased) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync("UPDATE users SET erased = @Erased WHERE user_id = @UserId", new { UserId = userId, Erased = erased ? 1 : 0 }, tx));

    public Task ClearPasswordAsync(string userId) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync("UPDATE users SET password_hash = NULL WHERE user_id = @UserId", new { UserId = userId }, tx));

    // ---------------------------------------------------------------- blocked rooms

    public Task<string?> GetRoomBlockerAsync(string roomId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>("SELECT user_id FROM blocked_rooms WHERE room_id = @RoomId", new { RoomId = roomId }));

    const string InsertBlocked = """
        INSERT INTO blocked_rooms (room_id, user_id) VALUES (@RoomId, @UserId)
        ON CONFLICT (room_id) DO NOTHING
        """;

    public Task BlockRoomAsync(string roomId, string byUserId) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(InsertBlocked, new { RoomId = roomId, UserId = byUserId }, tx));

    // ---------------------------------------------------------------- event reports

    sealed class ReportRow
    {
        public long Id { get; set; }
        public long ReceivedTs { get; set; }
        public string RoomId { get; set; } = "";
        public string EventId { get; set; } = "";
        public string UserId { get; set; } = "";
        public string? Reason { get; set; }
        public long? Score { get; set; }
        public string? Sender { get; set; }
        public EventReport ToRecord() => new(Id, ReceivedTs, RoomId, EventId, UserId, Reason, Score, Sender);
    }

    const string InsertReport = """
        INSERT INTO event_reports (id, received_ts, room_id, event_id, user_id, reason, score)
        VALUES (@Id, @Now, @RoomId, @EventId, @UserId, @Reason, @Score)
        """;

    public async Task<long> AddEventReportAsync(string roomId, string eventId, string userId, string? reason, long? score, long now)
    {
        var id = await ids.NextAsync(EventReportsStream);
        await db.WriteAsync((c, tx) => c.ExecuteAsync(InsertReport,
            new { Id = id, Now = now, RoomId = roomId, EventId = eventId, UserId = userId, Reason = reason, Score = score }, tx));
        return id;
    }

    const string ReportSelect = """
        SELECT r.id AS Id, r.received_ts AS ReceivedTs, r.room_id AS RoomId, r.event_id AS EventId, r.user_id AS UserId,
               r.reason AS Reason, r.score AS Score, e.sender AS Sender
        FROM event_reports r LEFT JOIN events e ON e.event_id = r.event_id
        """;

    public Task<(IReadOnlyList<EventReport> Reports, int Total)> ListEventReportsAsync(EventReportQuery q)
    {
        var where = new List<string>();
        if (q.UserIdContains is not null) where.Add("LOWER(r.user_id) LIKE @UserLike ESCAPE '\\'");
        if (q.RoomIdContains is not null) where.Add("LOWER(r.room_id) LIKE @RoomLike ESCAPE '\\'");
        if (q.SenderUserId is not null) where.Add("e.sender = @Sender");
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        var dir = q.Backwards ? "DESC" : "ASC";
        var sql = $"{ReportSelect} {filter} ORDER BY r.received_ts {dir}, r.id {dir} LIMIT @Limit OFFSET @From";
        var count = $"SELECT COUNT(*) FROM event_reports r LEFT JOIN events e ON e.event_id = r.event_id {filter}";
        var args = new
        {
            UserLike = q.UserIdContains is null ? null : Like(q.UserIdContains),
            RoomLike = q.RoomIdContains is null ? null : Like(q.RoomIdContains),
            Sender = q.SenderUserId,
            Limit = (long)q.Limit,
            From = (long)q.From,
        };
        return db.ReadAsync<(IReadOnlyList<EventReport>, int)>(async c =>
        {
            var rows = (await c.QueryAsync<ReportRow>(sql, args)).Select(r => r.ToRecord()).ToList();
            var total = await c.ExecuteScalarAsync<long>(count, args);
            return (rows, (int)total);
        });
    }

    public Task<EventReport?> GetEventReportAsync(long id) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<ReportRow>($"{ReportSelect} WHERE r.id = @Id", new { Id = id }))?.ToRecord());

    public Task<bool> DeleteEventReportAsync(long id) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM event_reports WHERE id = @Id", new { Id = id }, tx) > 0);

    // ---------------------------------------------------------------- tasks

    const string TaskColumns = """
        task_id AS TaskId, action AS Action, room_id AS RoomId, status AS Status, error AS Error, result AS ResultJson,
        created_ts AS CreatedTs, updated_ts AS UpdatedTs
        """;

    const string InsertTask = """
        INSERT INTO admin_tasks (task_id, action, room_id, status, error, result, created_ts, updated_ts)
        VALUES (@TaskId, @Action, @RoomId, @Status, @Error, @ResultJson, @CreatedTs, @UpdatedTs)
        """;

    public Task AddTaskAsync(AdminTask task) => db.WriteAsync((c, tx) => c.ExecuteAsync(InsertTask, task, tx));

    const string UpdateTask = """
        UPDATE admin_tasks SET status = @Status, error = @Error, result = COALESCE(@ResultJson, result), updated_ts = @Now
        WHERE task_id = @TaskId
        """;

    public Task UpdateTaskAsync(string taskId, string status, string? error, string? resultJson, long now) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateTask, new { TaskId = taskId, Status = status, Error = error, ResultJson = resultJson, Now = now }, tx));

    public Task<AdminTask?> GetTaskAsync(string taskId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<AdminTask?>($"SELECT {TaskColumns} FROM admin_tasks WHERE task_id = @TaskId", new { TaskId = taskId }));

    public Task<IReadOnlyList<AdminTask>> GetTasksForRoomAsync(string roomId, string action) =>
        db.ReadAsync<IReadOnlyList<AdminTask>>(async c => (await c.QueryAsync<AdminTask>(
            $"SELECT {TaskColumns} FROM admin_tasks WHERE room_id = @RoomId AND action = @Action ORDER BY created_ts, task_id",
            new { RoomId = roomId, Action = action })).ToList());

    // ---------------------------------------------------------------- rooms

    sealed class RoomRow
    {
        public string RoomId { get; set; } = "";
        public string RoomVersion { get; set; } = "";
        public string Creator { get; set; } = "";
        public bool IsPublic { get; set; }
        public long JoinedMembers { get; set; }
        public long JoinedLocalMembers { get; set; }
        public long StateEvents { get; set; }
    }

    const string SelectRooms = """
        SELECT r.room_id AS RoomId, r.room_version AS RoomVersion, r.creator AS Creator, r.is_public AS IsPublic,
               (SELECT COUNT(*) FROM local_current_membership m WHERE m.room_id = r.room_id AND m.membership = 'join') AS JoinedMembers,
               (SELECT COUNT(*) FROM local_current_membership m WHERE m.room_id = r.room_id AND m.membership = 'join'
                    AND m.user_id LIKE @Local) AS JoinedLocalMembers,
               (SELECT COUNT(*) FROM current_state_events s WHERE s.room_id = r.room_id) AS StateEvents
        FROM rooms r
        """;

    // The state the room list shows: name, alias, encryption, rules, visibility, type.
    const string SelectListedState = """
        SELECT s.room_id AS RoomId, s.type AS Type, e.json AS Json
        FROM current_state_events s JOIN events e ON e.event_id = s.event_id
        WHERE s.state_key = '' AND s.type IN ('m.room.create', 'm.room.name', 'm.room.canonical_alias', 'm.room.encryption',
            'm.room.join_rules', 'm.room.guest_access', 'm.room.history_visibility', 'm.room.topic', 'm.room.avatar')
        """;

    sealed class StateRow
    {
        public string RoomId { get; set; } = "";
        public string Type { get; set; } = "";
        public string Json { get; set; } = "";
    }

    public Task<IReadOnlyList<AdminRoomRow>> ListRoomsAsync(string serverName, string? roomId = null) =>
        db.ReadAsync<IReadOnlyList<AdminRoomRow>>(async c =>
        {
            var args = new { Local = "%:" + serverName, RoomId = roomId };
            var rooms = (await c.QueryAsync<RoomRow>(roomId is null ? SelectRooms : SelectRooms + " WHERE r.room_id = @RoomId", args)).ToList();
            var state = (await c.QueryAsync<StateRow>(roomId is null ? SelectListedState : SelectListedState + " AND s.room_id = @RoomId", args))
                .ToLookup(s => s.RoomId);
            return rooms.Select(r => new AdminRoomRow(r.RoomId, r.RoomVersion, r.Creator, r.IsPublic, (int)r.JoinedMembers,
                (int)r.JoinedLocalMembers, (int)r.StateEvents, state[r.RoomId].Select(s => (s.Type, s.Json)).ToList())).ToList();
        });

    // ---------------------------------------------------------------- purges

    const string SelectLastBefore = $"""
        SELECT {EventStore.EventColumns} FROM events e
        WHERE e.room_id = @RoomId AND e.origin_server_ts < @Ts AND e.outlier = 0
        ORDER BY e.stream_ordering DESC LIMIT 1
        """;

    public Task<StoredEvent?> GetLastEventBeforeAsync(string roomId, long ts) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<EventStore.EventRow>(SelectLastBefore, new { RoomId = roomId, Ts = ts }))?.ToRecord());

    // The non-state events before the point that go: other servers' always, local ones when asked.
    const string PurgedEvents = """
        SELECT event_id FROM events
        WHERE room_id = @RoomId AND depth < @Depth AND state_key IS NULL AND (@DeleteLocal OR sender NOT LIKE @Local)
        """;
    const string DeletePurgedPushActions = $"DELETE FROM event_push_actions WHERE room_id = @RoomId AND event_id IN ({PurgedEvents})";
    const string DeletePurgedEvents = """
        DELETE FROM events
        WHERE room_id = @RoomId AND depth < @Depth AND state_key IS NULL AND (@DeleteLocal OR sender NOT LIKE @Local)
        """;
    const string MarkOutliers = "UPDATE events SET outlier = 1 WHERE room_id = @RoomId AND depth < @Depth AND outlier = 0";

    public Task<int> PurgeHistoryAsync(string roomId, long beforeDepth, bool deleteLocalEvents, string serverName) =>
        db.WriteAsync(async (c, tx) =>
        {
            var args = new { RoomId = roomId, Depth = beforeDepth, DeleteLocal = deleteLocalEvents, Local = "%:" + serverName };
            await c.ExecuteAsync(DeletePurgedPushActions, args, tx);
            var deleted = await c.ExecuteAsync(DeletePurgedEvents, args, tx);
            await c.ExecuteAsync(MarkOutliers, args, tx);
            return deleted;
        });

    // Every table keyed by room but blocked_rooms: a blocked room stays blocked after its purge (Synapse).
    static readonly string[] RoomTables =
    [
        "event_push_actions", "receipts", "event_forward_extremities", "local_current_membership", "current_state_events",
        "event_reports", "room_aliases", "events", "rooms",
    ];

    public Task PurgeRoomAsync(string roomId) =>
        db.WriteAsync(async (c, tx) =>
        {
            foreach (var table in RoomTables)
                await c.ExecuteAsync($"DELETE FROM {table} WHERE room_id = @RoomId", new { RoomId = roomId }, tx);
            // Room account data (tags, m.fully_read); global rows have room_id ''.
            await c.ExecuteAsync("DELETE FROM account_data WHERE room_id = @RoomId", new { RoomId = roomId }, tx);
        });
}
