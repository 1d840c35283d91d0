using System.Data.Common;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Myelin.Storage.Stores;

internal sealed class EventStore(Db db) : IEventStore
{
    const string RoomMemberType = "m.room.member";

    // Chunk size for queries by a list of IDs (keeps well under both engines' parameter limits).
    const int ListChunk = 500;

    /// <summary>An events row as Dapper reads it (queries that join more columns derive from it).</summary>
    internal class EventRow
    {
        public long StreamOrdering { get; set; }
        public string EventId { get; set; } = "";
        public string RoomId { get; set; } = "";
        public string Type { get; set; } = "";
        public string? StateKey { get; set; }
        public string Sender { get; set; } = "";
        public long Depth { get; set; }
        public long OriginServerTs { get; set; }
        public string Json { get; set; } = "";
        public string? Membership { get; set; }
        public StoredEvent ToRecord() =>
            new(StreamOrdering, EventId, RoomId, Type, StateKey, Sender, Depth, OriginServerTs, Json, Membership);
    }

    internal const string EventColumns = """
        e.stream_ordering AS StreamOrdering, e.event_id AS EventId, e.room_id AS RoomId, e.type AS Type,
        e.state_key AS StateKey, e.sender AS Sender, e.depth AS Depth, e.origin_server_ts AS OriginServerTs,
        e.json AS Json, e.membership AS Membership
        """;

    static List<StoredEvent> ToRecords(IEnumerable<EventRow> rows) => rows.Select(r => r.ToRecord()).ToList();

    // ---------------------------------------------------------------- persisting

    /// <summary>What one batch changes besides the events themselves; the newest event wins each key.</summary>
    sealed class BatchEffects
    {
        public readonly Dictionary<(string Room, string Type, string StateKey), (string EventId, long Stream)> State = new();
        public readonly Dictionary<(string Room, string User), (string EventId, string Membership, long Stream)> Members = new();
        public readonly Dictionary<string, (string EventId, long Stream)> Extremities = new();

        public BatchEffects(IReadOnlyList<(NewEvent Event, long StreamOrdering)> events)
        {
            foreach (var (e, so) in events)
            {
                if (!Extremities.TryGetValue(e.RoomId, out var x) || x.Stream < so)
                    Extremities[e.RoomId] = (e.EventId, so);
                if (e.StateKey is null) continue;
                var key = (e.RoomId, e.Type, e.StateKey);
                if (!State.TryGetValue(key, out var s) || s.Stream < so)
                    State[key] = (e.EventId, so);
                if (e.Type == RoomMemberType && e.Membership is not null)
                {
                    var mkey = (e.RoomId, e.StateKey);
                    if (!Members.TryGetValue(mkey, out var m) || m.Stream < so)
                        Members[mkey] = (e.EventId, e.Membership, so);
                }
            }
        }
    }

    public Task PersistEventsAsync(IReadOnlyList<(NewEvent Event, long StreamOrdering)> events)
    {
        if (events.Count == 0) return Task.CompletedTask;
        var effects = new BatchEffects(events);
        return db.IsPostgres
            ? db.WriteAsync((c, tx) => PersistPostgresAsync((NpgsqlConnection)c, (NpgsqlTransaction)tx, events, effects))
            : db.WriteAsync((c, tx) => PersistSqliteAsync(c, tx, events, effects));
    }

    // PostgreSQL: every statement takes whole columns as arrays (unnest), so the batch, whatever its
    // size, is five statements sent in one round trip.
    const string PgInsertEvents = """
        INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, membership, json)
        SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::text[])
        """;
    const string PgUpsertState = """
        INSERT INTO current_state_events (room_id, type, state_key, event_id)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
        ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id
        """;
    const string PgUpsertMembership = """
        INSERT INTO local_current_membership (room_id, user_id, event_id, membership, stream_ordering)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
        ON CONFLICT (room_id, user_id) DO UPDATE
        SET event_id = excluded.event_id, membership = excluded.membership, stream_ordering = excluded.stream_ordering,
            forgotten = 0
        WHERE local_current_membership.stream_ordering < excluded.stream_ordering
        """;
    const string PgInsertTxns = """
        INSERT INTO event_txn_id (user_id, device_id, scope, txn_id, result, inserted_ts)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
        ON CONFLICT (user_id, device_id, scope, txn_id) DO NOTHING
        """;

    // A redaction replaces its target's JSON with the pruned form (spec: "Redactions").
    const string PgApplyRedactions = """
        UPDATE events SET json = r.json FROM unnest($1::text[], $2::text[]) AS r(event_id, json)
        WHERE events.event_id = r.event_id
        """;
    const string PgInsertPushActions = """
        INSERT INTO event_push_actions (user_id, room_id, stream_ordering, event_id, actions, notif, highlight)
        SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::smallint[], $7::smallint[])
        """;
    const string PgDeleteExtremities = "DELETE FROM event_forward_extremities WHERE room_id = ANY($1::text[])";
    const string PgInsertExtremities = """
        INSERT INTO event_forward_extremities (room_id, event_id)
        SELECT * FROM unnest($1::text[], $2::text[])
        """;

    static async Task PersistPostgresAsync(NpgsqlConnection c, NpgsqlTransaction tx,
        IReadOnlyList<(NewEvent Event, long StreamOrdering)> events, BatchEffects fx)
    {
        await using var batch = new NpgsqlBatch(c, tx);

        var insert = new NpgsqlBatchCommand(PgInsertEvents);
        insert.Parameters.Add(Array(events, x => x.StreamOrdering, NpgsqlDbType.Bigint));
        insert.Parameters.Add(Array(events, x => x.Event.EventId, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.RoomId, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.Type, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.StateKey, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.Sender, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.Depth, NpgsqlDbType.Bigint));
        insert.Parameters.Add(Array(events, x => x.Event.OriginServerTs, NpgsqlDbType.Bigint));
        insert.Parameters.Add(Array(events, x => x.Event.Membership, NpgsqlDbType.Text));
        insert.Parameters.Add(Array(events, x => x.Event.Json, NpgsqlDbType.Text));
        batch.BatchCommands.Add(insert);

        if (fx.State.Count > 0)
        {
            var state = fx.State.ToList();
            var cmd = new NpgsqlBatchCommand(PgUpsertState);
            cmd.Parameters.Add(Array(state, x => x.Key.Room, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(state, x => x.Key.Type, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(state, x => x.Key.StateKey, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(state, x => x.Value.EventId, NpgsqlDbType.Text));
            batch.BatchCommands.Add(cmd);
        }

        if (fx.Members.Count > 0)
        {
            var members = fx.Members.ToList();
            var cmd = new NpgsqlBatchCommand(PgUpsertMembership);
            cmd.Parameters.Add(Array(members, x => x.Key.Room, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(members, x => x.Key.User, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(members, x => x.Value.EventId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(members, x => x.Value.Membership, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(members, x => x.Value.Stream, NpgsqlDbType.Bigint));
            batch.BatchCommands.Add(cmd);
        }

        var txns = events.Where(x => x.Event.Txn is not null).Select(x => (x.Event.Txn!, x.Event.EventId, x.Event.OriginServerTs)).ToList();
        if (txns.Count > 0)
        {
            var cmd = new NpgsqlBatchCommand(PgInsertTxns);
            cmd.Parameters.Add(Array(txns, x => x.Item1.UserId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(txns, x => x.Item1.DeviceId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(txns, x => x.Item1.Scope, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(txns, x => x.Item1.TxnId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(txns, x => x.EventId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(txns, x => x.OriginServerTs, NpgsqlDbType.Bigint));
            batch.BatchCommands.Add(cmd);
        }

        var redactions = events.Where(x => x.Event.RedactedTargetJson is not null).ToList();
        if (redactions.Count > 0)
        {
            var cmd = new NpgsqlBatchCommand(PgApplyRedactions);
            cmd.Parameters.Add(Array(redactions, x => x.Event.Redacts, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(redactions, x => x.Event.RedactedTargetJson, NpgsqlDbType.Text));
            batch.BatchCommands.Add(cmd);
        }

        var actions = PushActionRows(events);
        if (actions.Count > 0)
        {
            var cmd = new NpgsqlBatchCommand(PgInsertPushActions);
            cmd.Parameters.Add(Array(actions, x => x.Action.UserId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(actions, x => x.Event.RoomId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(actions, x => x.StreamOrdering, NpgsqlDbType.Bigint));
            cmd.Parameters.Add(Array(actions, x => x.Event.EventId, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(actions, x => x.Action.ActionsJson, NpgsqlDbType.Text));
            cmd.Parameters.Add(Array(actions, x => (short)(x.Action.Notify ? 1 : 0), NpgsqlDbType.Smallint));
            cmd.Parameters.Add(Array(actions, x => (short)(x.Action.Highlight ? 1 : 0), NpgsqlDbType.Smallint));
            batch.BatchCommands.Add(cmd);
        }

        var extremities = fx.Extremities.ToList();
        var delete = new NpgsqlBatchCommand(PgDeleteExtremities);
        delete.Parameters.Add(Array(extremities, x => x.Key, NpgsqlDbType.Text));
        batch.BatchCommands.Add(delete);
        var add = new NpgsqlBatchCommand(PgInsertExtremities);
        add.Parameters.Add(Array(extremities, x => x.Key, NpgsqlDbType.Text));
        add.Parameters.Add(Array(extremities, x => x.Value.EventId, NpgsqlDbType.Text));
        batch.BatchCommands.Add(add);

        await batch.ExecuteNonQueryAsync();
    }

    /// <summary>Every push action of the batch beside its event and position.</summary>
    static List<(NewEvent Event, long StreamOrdering, NewPushAction Action)> PushActionRows(
        IReadOnlyList<(NewEvent Event, long StreamOrdering)> events)
    {
        var rows = new List<(NewEvent, long, NewPushAction)>();
        foreach (var (e, so) in events)
            if (e.PushActions is { } actions)
                foreach (var a in actions) rows.Add((e, so, a));
        return rows;
    }

    static NpgsqlParameter Array<TItem, TValue>(IReadOnlyList<TItem> items, Func<TItem, TValue> column, NpgsqlDbType type)
    {
        var values = new TValue[items.Count];
        for (var i = 0; i < values.Length; i++) values[i] = column(items[i]);
        return new NpgsqlParameter { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };
    }

    // SQLite runs in-process, so a round trip costs nothing: prepared statements reused row by row.
    const string LiteInsertEvent = """
        INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, membership, json)
        VALUES ($so, $id, $room, $type, $sk, $sender, $depth, $ts, $membership, $json)
        """;
    const string LiteUpsertState = """
        INSERT INTO current_state_events (room_id, type, state_key, event_id) VALUES ($room, $type, $sk, $id)
        ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id
        """;
    const string LiteUpsertMembership = """
        INSERT INTO local_current_membership (room_id, user_id, event_id, membership, stream_ordering)
        VALUES ($room, $user, $id, $membership, $so)
        ON CONFLICT (room_id, user_id) DO UPDATE
        SET event_id = excluded.event_id, membership = excluded.membership, stream_ordering = excluded.stream_ordering,
            forgotten = 0
        WHERE local_current_membership.stream_ordering < excluded.stream_ordering
        """;
    const string LiteInsertTxn = """
        INSERT INTO event_txn_id (user_id, device_id, scope, txn_id, result, inserted_ts)
        VALUES ($user, $device, $scope, $txn, $result, $ts)
        ON CONFLICT (user_id, device_id, scope, txn_id) DO NOTHING
        """;
    const string LiteApplyRedaction = "UPDATE events SET json = $json WHERE event_id = $id";
    const string LiteInsertPushAction = """
        INSERT INTO event_push_actions (user_id, room_id, stream_ordering, event_id, actions, notif, highlight)
        VALUES ($user, $room, $so, $id, $actions, $notif, $highlight)
        """;
    const string LiteDeleteExtremities = "DELETE FROM event_forward_extremities WHERE room_id = $room";
    const string LiteInsertExtremity = "INSERT INTO event_forward_extremities (room_id, event_id) VALUES ($room, $id)";

    static async Task PersistSqliteAsync(DbConnection c, DbTransaction tx,
        IReadOnlyList<(NewEvent Event, long StreamOrdering)> events, BatchEffects fx)
    {
        await using (var cmd = Prepared(c, tx, LiteInsertEvent, "$so", "$id", "$room", "$type", "$sk", "$sender", "$depth", "$ts", "$membership", "$json"))
        {
            foreach (var (e, so) in events)
                await RunAsync(cmd, so, e.EventId, e.RoomId, e.Type, e.StateKey, e.Sender, e.Depth, e.OriginServerTs, e.Membership, e.Json);
        }
        if (fx.State.Count > 0)
        {
            await using var cmd = Prepared(c, tx, LiteUpsertState, "$room", "$type", "$sk", "$id");
            foreach (var (k, v) in fx.State)
                await RunAsync(cmd, k.Room, k.Type, k.StateKey, v.EventId);
        }
        if (fx.Members.Count > 0)
        {
            await using var cmd = Prepared(c, tx, LiteUpsertMembership, "$room", "$user", "$id", "$membership", "$so");
            foreach (var (k, v) in fx.Members)
                await RunAsync(cmd, k.Room, k.User, v.EventId, v.Membership, v.Stream);
        }
        if (events.Any(x => x.Event.Txn is not null))
        {
            await using var cmd = Prepared(c, tx, LiteInsertTxn, "$user", "$device", "$scope", "$txn", "$result", "$ts");
            foreach (var (e, _) in events)
                if (e.Txn is { } t) await RunAsync(cmd, t.UserId, t.DeviceId, t.Scope, t.TxnId, e.EventId, e.OriginServerTs);
        }
        if (events.Any(x => x.Event.RedactedTargetJson is not null))
        {
            await using var cmd = Prepared(c, tx, LiteApplyRedaction, "$id", "$json");
            foreach (var (e, _) in events)
                if (e.RedactedTargetJson is not null) await RunAsync(cmd, e.Redacts, e.RedactedTargetJson);
        }
        if (events.Any(x => x.Event.PushActions is { Count: > 0 }))
        {
            await using var cmd = Prepared(c, tx, LiteInsertPushAction, "$user", "$room", "$so", "$id", "$actions", "$notif", "$highlight");
            foreach (var (e, so, a) in PushActionRows(events))
                await RunAsync(cmd, a.UserId, e.RoomId, so, e.EventId, a.ActionsJson, a.Notify ? 1 : 0, a.Highlight ? 1 : 0);
        }
        await using (var del = Prepared(c, tx, LiteDeleteExtremities, "$room"))
        await using (var ins = Prepared(c, tx, LiteInsertExtremity, "$room", "$id"))
        {
            foreach (var (room, x) in fx.Extremities)
            {
                await RunAsync(del, room);
                await RunAsync(ins, room, x.EventId);
            }
        }
    }

    static DbCommand Prepared(DbConnection c, DbTransaction tx, string sql, params string[] names)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var name in names)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        cmd.Prepare();
        return cmd;
    }

    static Task<int> RunAsync(DbCommand cmd, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) cmd.Parameters[i].Value = values[i] ?? DBNull.Value;
        return cmd.ExecuteNonQueryAsync();
    }

    // ---------------------------------------------------------------- reading

    const string SelectMaxStreamOrdering = "SELECT COALESCE(MAX(stream_ordering), 0) FROM events";

    public Task<long> GetMaxStreamOrderingAsync() =>
        db.ReadAsync(c => c.ExecuteScalarAsync<long>(SelectMaxStreamOrdering));

    const string SelectEvent = $"SELECT {EventColumns} FROM events e WHERE e.event_id = @EventId";

    public Task<StoredEvent?> GetEventAsync(string eventId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<EventRow>(SelectEvent, new { EventId = eventId }))?.ToRecord());

    const string SelectEventsSqlite = $"SELECT {EventColumns} FROM events e WHERE e.event_id IN @EventIds";
    const string SelectEventsPostgres = $"SELECT {EventColumns} FROM events e WHERE e.event_id = ANY(@EventIds)";

    /// <summary>The events found (unknown IDs are left out), ascending by stream position.</summary>
    public Task<IReadOnlyList<StoredEvent>> GetEventsAsync(IReadOnlyCollection<string> eventIds)
    {
        if (eventIds.Count == 0) return Task.FromResult<IReadOnlyList<StoredEvent>>([]);
        var sql = db.IsPostgres ? SelectEventsPostgres : SelectEventsSqlite;
        return db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            var rows = new List<EventRow>(eventIds.Count);
            foreach (var chunk in eventIds.Distinct().Chunk(ListChunk))
                rows.AddRange(await c.QueryAsync<EventRow>(sql, new { EventIds = chunk }));
            return ToRecords(rows.OrderBy(r => r.StreamOrdering));
        });
    }

    const string SelectCurrentState = $"""
        SELECT {EventColumns}
        FROM current_state_events s JOIN events e ON e.event_id = s.event_id
        WHERE s.room_id = @RoomId
        ORDER BY e.stream_ordering
        """;

    /// <summary>Ascending by stream position.</summary>
    public Task<IReadOnlyList<StoredEvent>> GetCurrentStateAsync(string roomId) =>
        db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
            ToRecords(await c.QueryAsync<EventRow>(SelectCurrentState, new { RoomId = roomId })));

    // Rooms are linear (one forward extremity), so the state after position P is, per (type,
    // state_key), the room's state event with the highest stream_ordering <= P.
    const string SelectStateAt = $"""
        SELECT {EventColumns}
        FROM events e
        JOIN (
            SELECT MAX(stream_ordering) AS stream_ordering
            FROM events
            WHERE room_id = @RoomId AND state_key IS NOT NULL AND stream_ordering <= @At
            GROUP BY type, state_key
        ) latest ON latest.stream_ordering = e.stream_ordering
        ORDER BY e.stream_ordering
        """;

    /// <summary>Ascending by stream position.</summary>
    public Task<IReadOnlyList<StoredEvent>> GetStateAtAsync(string roomId, long atStreamOrdering) =>
        db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
            ToRecords(await c.QueryAsync<EventRow>(SelectStateAt, new { RoomId = roomId, At = atStreamOrdering })));

    const string SelectLatest = $"SELECT {EventColumns} FROM events e WHERE e.room_id = @RoomId ORDER BY e.stream_ordering DESC LIMIT 1";

    public Task<StoredEvent?> GetLatestEventAsync(string roomId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<EventRow>(SelectLatest, new { RoomId = roomId }))?.ToRecord());

    const string SelectRoomRange = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.room_id = @RoomId AND e.stream_ordering > @From AND e.stream_ordering <= @To AND e.outlier = 0
        ORDER BY e.stream_ordering DESC
        LIMIT @Limit
        """;

    public Task<IReadOnlyList<StoredEvent>> GetRoomEventsAsync(string roomId, long fromExclusive, long toInclusive, int limit)
    {
        if (limit <= 0) return Task.FromResult<IReadOnlyList<StoredEvent>>([]);
        return db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            var newestFirst = await c.QueryAsync<EventRow>(SelectRoomRange,
                new { RoomId = roomId, From = fromExclusive, To = toInclusive, Limit = (long)limit });
            return ToRecords(newestFirst.Reverse());
        });
    }

    const string SelectRangeSqlite = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.room_id IN @RoomIds AND e.stream_ordering > @From AND e.stream_ordering <= @To AND e.outlier = 0
        ORDER BY e.stream_ordering
        """;
    const string SelectRangePostgres = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.room_id = ANY(@RoomIds) AND e.stream_ordering > @From AND e.stream_ordering <= @To AND e.outlier = 0
        ORDER BY e.stream_ordering
        """;

    public Task<IReadOnlyList<StoredEvent>> GetEventsInRangeAsync(IReadOnlyCollection<string> roomIds, long fromExclusive, long toInclusive)
    {
        if (roomIds.Count == 0 || toInclusive <= fromExclusive) return Task.FromResult<IReadOnlyList<StoredEvent>>([]);
        var sql = db.IsPostgres ? SelectRangePostgres : SelectRangeSqlite;
        return db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
        {
            var chunks = roomIds.Distinct().Chunk(ListChunk).ToList();
            if (chunks.Count == 1)
                return ToRecords(await c.QueryAsync<EventRow>(sql, new { RoomIds = chunks[0], From = fromExclusive, To = toInclusive }));
            var rows = new List<EventRow>();
            foreach (var chunk in chunks)
                rows.AddRange(await c.QueryAsync<EventRow>(sql, new { RoomIds = chunk, From = fromExclusive, To = toInclusive }));
            return ToRecords(rows.OrderBy(r => r.StreamOrdering));
        });
    }

    const string SelectStreamRange = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.stream_ordering > @From AND e.stream_ordering <= @To
        ORDER BY e.stream_ordering
        """;

    public Task<IReadOnlyList<StoredEvent>> GetStreamRangeAsync(long fromExclusive, long toInclusive) =>
        toInclusive <= fromExclusive ? Task.FromResult<IReadOnlyList<StoredEvent>>([])
            : db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
                ToRecords(await c.QueryAsync<EventRow>(SelectStreamRange, new { From = fromExclusive, To = toInclusive })));

    const string SelectBefore = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.room_id = @RoomId AND (e.depth, e.stream_ordering) < (@Depth, @Stream) AND e.outlier = 0
        ORDER BY e.depth DESC, e.stream_ordering DESC
        LIMIT @Limit
        """;
    const string SelectAfter = $"""
        SELECT {EventColumns} FROM events e
        WHERE e.room_id = @RoomId AND (e.depth, e.stream_ordering) > (@Depth, @Stream) AND e.outlier = 0
        ORDER BY e.depth, e.stream_ordering
        LIMIT @Limit
        """;

    // Timeline reads (these and the room ranges above) skip outliers: what a history purge kept before its
    // point (0019_admin_api.sql). State reads do not.

    /// <summary>Backwards: the events strictly before (depth, streamOrdering), newest first. Forwards:
    /// those strictly after it, oldest first. Both in (depth, stream_ordering) order.</summary>
    public Task<IReadOnlyList<StoredEvent>> PaginateAsync(string roomId, long depth, long streamOrdering, bool backwards, int limit)
    {
        if (limit <= 0) return Task.FromResult<IReadOnlyList<StoredEvent>>([]);
        return db.ReadAsync<IReadOnlyList<StoredEvent>>(async c =>
            ToRecords(await c.QueryAsync<EventRow>(backwards ? SelectBefore : SelectAfter,
                new { RoomId = roomId, Depth = depth, Stream = streamOrdering, Limit = (long)limit })));
    }

    sealed class MembershipDbRow
    {
        public string RoomId { get; set; } = "";
        public string UserId { get; set; } = "";
        public string Membership { get; set; } = "";
        public string EventId { get; set; } = "";
        public long StreamOrdering { get; set; }
        public long Forgotten { get; set; }
        public MembershipRow ToRecord() => new(RoomId, UserId, Membership, EventId, StreamOrdering, Forgotten != 0);
    }

    const string MembershipColumns = "room_id AS RoomId, user_id AS UserId, membership AS Membership, event_id AS EventId, stream_ordering AS StreamOrdering, forgotten AS Forgotten";

    const string SelectUserMemberships = $"SELECT {MembershipColumns} FROM local_current_membership WHERE user_id = @UserId ORDER BY room_id";

    /// <summary>Ordered by room ID.</summary>
    public Task<IReadOnlyList<MembershipRow>> GetMembershipsForUserAsync(string userId) =>
        db.ReadAsync<IReadOnlyList<MembershipRow>>(async c =>
            (await c.QueryAsync<MembershipDbRow>(SelectUserMemberships, new { UserId = userId })).Select(r => r.ToRecord()).ToList());

    const string SelectRoomMemberships = $"SELECT {MembershipColumns} FROM local_current_membership WHERE room_id = @RoomId ORDER BY user_id";

    /// <summary>Ordered by user ID.</summary>
    public Task<IReadOnlyList<MembershipRow>> GetRoomMembershipsAsync(string roomId) =>
        db.ReadAsync<IReadOnlyList<MembershipRow>>(async c =>
            (await c.QueryAsync<MembershipDbRow>(SelectRoomMemberships, new { RoomId = roomId })).Select(r => r.ToRecord()).ToList());

    const string SetForgotten = """
        UPDATE local_current_membership SET forgotten = 1
        WHERE user_id = @UserId AND room_id = @RoomId AND membership NOT IN ('join', 'invite', 'knock')
        """;

    public Task ForgetRoomAsync(string userId, string roomId) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(SetForgotten, new { UserId = userId, RoomId = roomId }, tx));

    const string CountJoined = "SELECT COUNT(*) FROM local_current_membership WHERE room_id = @RoomId AND membership = 'join'";

    public Task<int> GetJoinedMemberCountAsync(string roomId) =>
        db.ReadAsync(async c => (int)await c.ExecuteScalarAsync<long>(CountJoined, new { RoomId = roomId }));

    const string SelectExtremities = "SELECT event_id FROM event_forward_extremities WHERE room_id = @RoomId ORDER BY event_id";

    public Task<IReadOnlyList<string>> GetForwardExtremitiesAsync(string roomId) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectExtremities, new { RoomId = roomId })).ToList());
}
