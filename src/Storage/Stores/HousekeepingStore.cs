using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Myelin.Storage.Stores;

internal sealed class HousekeepingStore(Db db) : IHousekeepingStore
{
    // Rows per delete transaction: small enough that a batch never holds SQLite's one writer for long.
    const int Batch = 1000;

    // Each engine's physical row ID, so that a batch delete is "these rows" on both (PostgreSQL's DELETE
    // takes no LIMIT).
    string RowId => db.IsPostgres ? "ctid" : "rowid";

    async Task<int> DeleteInBatchesAsync(string sql, object args)
    {
        var total = 0;
        while (true)
        {
            var n = await db.WriteAsync((c, tx) => c.ExecuteAsync(sql, args, tx));
            total += n;
            if (n < Batch) return total;
        }
    }

    public Task<int> DeleteToDeviceTxnsOlderThanAsync(long beforeTs) =>
        DeleteInBatchesAsync($"""
            DELETE FROM device_inbox_txn WHERE {RowId} IN (
                SELECT {RowId} FROM device_inbox_txn WHERE inserted_ts < @Before LIMIT {Batch})
            """, new { Before = beforeTs });

    public Task<int> DeleteInboxOfMissingDevicesAsync() =>
        DeleteInBatchesAsync($"""
            DELETE FROM device_inbox WHERE {RowId} IN (
                SELECT i.{RowId} FROM device_inbox i
                WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.user_id = i.user_id AND d.device_id = i.device_id)
                LIMIT {Batch})
            """, new { });

    const string SelectStalePresence = """
        SELECT user_id FROM presence
        WHERE state <> 'offline' AND last_user_sync_ts < @Before AND last_active_ts < @Before AND user_id > @After
        ORDER BY user_id
        LIMIT @Limit
        """;

    public Task<IReadOnlyList<string>> GetStalePresenceAsync(long seenBeforeTs, string afterUserId, int limit) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectStalePresence,
            new { Before = seenBeforeTs, After = afterUserId, Limit = (long)limit })).ToList());

    sealed class PositionRow
    {
        public long StreamOrdering { get; set; }
        public long OriginServerTs { get; set; }
    }

    const string SelectFirst = "SELECT stream_ordering AS StreamOrdering, origin_server_ts AS OriginServerTs FROM events ORDER BY stream_ordering LIMIT 1";
    const string SelectLast = "SELECT stream_ordering AS StreamOrdering, origin_server_ts AS OriginServerTs FROM events ORDER BY stream_ordering DESC LIMIT 1";
    const string SelectFirstIn = """
        SELECT stream_ordering AS StreamOrdering, origin_server_ts AS OriginServerTs FROM events
        WHERE stream_ordering >= @From AND stream_ordering < @To
        ORDER BY stream_ordering LIMIT 1
        """;

    public Task<long> GetStreamOrderingBeforeAsync(long beforeTs) =>
        db.ReadAsync(async c =>
        {
            var first = await c.QuerySingleOrDefaultAsync<PositionRow>(SelectFirst);
            if (first is null || first.OriginServerTs >= beforeTs) return 0L;
            var last = await c.QuerySingleAsync<PositionRow>(SelectLast);
            if (last.OriginServerTs < beforeTs) return last.StreamOrdering;
            // low: an event sent before the time; high: every event at or above it was sent at or after it.
            long low = first.StreamOrdering, high = last.StreamOrdering;
            while (high - low > 1)
            {
                var mid = low + (high - low) / 2;
                var row = await c.QuerySingleOrDefaultAsync<PositionRow>(SelectFirstIn, new { From = mid, To = high });
                if (row is not null && row.OriginServerTs < beforeTs) low = row.StreamOrdering;
                else high = mid;
            }
            return low;
        });

    sealed class ReadRow
    {
        public string UserId { get; set; } = "";
        public string RoomId { get; set; } = "";
        public long ReadUpTo { get; set; }
    }

    // Each (user, room)'s read position, in key order from a cursor: the receipts that clear notifications
    // (PushActionStore's CountingReceipts).
    const string SelectReadPositions = """
        SELECT user_id AS UserId, room_id AS RoomId, MAX(event_stream_ordering) AS ReadUpTo
        FROM receipts
        WHERE receipt_type IN ('m.read', 'm.read.private') AND thread_id IN ('', 'main')
          AND (user_id > @User OR (user_id = @User AND room_id > @Room))
        GROUP BY user_id, room_id
        ORDER BY user_id, room_id
        LIMIT @Limit
        """;
    const string DeleteReadLite = """
        DELETE FROM event_push_actions WHERE user_id = @UserId AND room_id = @RoomId AND stream_ordering <= @ReadUpTo
        """;
    const string DeleteReadPg = """
        DELETE FROM event_push_actions a
        USING unnest($1::text[], $2::text[], $3::bigint[]) AS r(user_id, room_id, up_to)
        WHERE a.user_id = r.user_id AND a.room_id = r.room_id AND a.stream_ordering <= r.up_to
        """;

    public async Task<int> DeleteReadPushActionsAsync(long upToStreamOrdering)
    {
        var total = 0;
        var (user, room) = ("", "");
        while (true)
        {
            var page = await db.ReadAsync(async c => (await c.QueryAsync<ReadRow>(SelectReadPositions,
                new { User = user, Room = room, Limit = (long)Batch })).ToList());
            if (page.Count == 0) return total;
            foreach (var r in page) r.ReadUpTo = Math.Min(r.ReadUpTo, upToStreamOrdering);
            total += await db.WriteAsync(async (c, tx) =>
            {
                if (c is not NpgsqlConnection pg) return await c.ExecuteAsync(DeleteReadLite, page, tx);
                await using var cmd = new NpgsqlCommand(DeleteReadPg, pg, (NpgsqlTransaction)tx);
                cmd.Parameters.Add(new NpgsqlParameter { Value = page.Select(r => r.UserId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = page.Select(r => r.RoomId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = page.Select(r => r.ReadUpTo).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                return await cmd.ExecuteNonQueryAsync();
            });
            (user, room) = (page[^1].UserId, page[^1].RoomId);
        }
    }
}
