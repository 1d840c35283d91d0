using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class ReceiptStore(Db db, IStreamIdGenerator streamIds) : IReceiptStore
{
    public const string Stream = "receipts";

    // An unthreaded receipt is stored with thread_id '' (see 0009_receipts.sql).
    const string Unthreaded = "";

    // A room list longer than this is read in several queries (SQLite's bound-parameter limit).
    const int ListChunk = 500;

    sealed class Row
    {
        public string RoomId { get; set; } = "";
        public string ReceiptType { get; set; } = "";
        public string UserId { get; set; } = "";
        public string ThreadId { get; set; } = "";
        public string EventId { get; set; } = "";
        public long EventStreamOrdering { get; set; }
        public string Data { get; set; } = "";
        public long StreamId { get; set; }

        public ReceiptRow ToRecord() => new(RoomId, ReceiptType, UserId, ThreadId == Unthreaded ? null : ThreadId, EventId,
            EventStreamOrdering, Data, StreamId);
    }

    const string Columns = """
        room_id AS RoomId, receipt_type AS ReceiptType, user_id AS UserId, thread_id AS ThreadId, event_id AS EventId,
        event_stream_ordering AS EventStreamOrdering, data AS Data, stream_id AS StreamId
        """;

    const string SelectOrdering = """
        SELECT event_stream_ordering FROM receipts
        WHERE room_id = @RoomId AND receipt_type = @ReceiptType AND user_id = @UserId AND thread_id = @ThreadId
        """;

    // The WHERE keeps a later receipt from being overwritten even if two writers of a room ever raced.
    const string Upsert = """
        INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
        VALUES (@RoomId, @ReceiptType, @UserId, @ThreadId, @EventId, @EventStreamOrdering, @Data, @StreamId)
        ON CONFLICT (room_id, receipt_type, user_id, thread_id)
        DO UPDATE SET event_id = excluded.event_id, event_stream_ordering = excluded.event_stream_ordering,
            data = excluded.data, stream_id = excluded.stream_id
        WHERE receipts.event_stream_ordering < excluded.event_stream_ordering
        """;

    public async Task<long?> PutReceiptAsync(string roomId, string receiptType, string userId, string? threadId, string eventId,
        long eventStreamOrdering, string dataJson)
    {
        var key = new { RoomId = roomId, ReceiptType = receiptType, UserId = userId, ThreadId = threadId ?? Unthreaded };
        // Checked before a position is drawn, so an ignored receipt costs no stream position in the usual case.
        var stored = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<long?>(SelectOrdering, key));
        if (stored >= eventStreamOrdering) return null;

        var written = false;
        var position = await streamIds.WriteAtNextAsync(Stream, async (c, tx, streamId) =>
        {
            written = await c.ExecuteAsync(Upsert, new
            {
                key.RoomId, key.ReceiptType, key.UserId, key.ThreadId, EventId = eventId,
                EventStreamOrdering = eventStreamOrdering, Data = dataJson, StreamId = streamId,
            }, tx) > 0;
        });
        return written ? position : null;
    }

    const string SelectOne = $"""
        SELECT {Columns} FROM receipts
        WHERE room_id = @RoomId AND receipt_type = @ReceiptType AND user_id = @UserId AND thread_id = @ThreadId
        """;

    public async Task<ReceiptRow?> GetReceiptAsync(string roomId, string receiptType, string userId, string? threadId)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<Row?>(SelectOne,
            new { RoomId = roomId, ReceiptType = receiptType, UserId = userId, ThreadId = threadId ?? Unthreaded }));
        return row?.ToRecord();
    }

    const string SelectRangeSqlite = $"""
        SELECT {Columns} FROM receipts
        WHERE room_id IN @RoomIds AND stream_id > @From AND stream_id <= @To
        ORDER BY stream_id
        """;
    const string SelectRangePostgres = $"""
        SELECT {Columns} FROM receipts
        WHERE room_id = ANY(@RoomIds) AND stream_id > @From AND stream_id <= @To
        ORDER BY stream_id
        """;

    public Task<IReadOnlyList<ReceiptRow>> GetChangedAsync(IReadOnlyCollection<string> roomIds, long from, long to)
    {
        if (roomIds.Count == 0 || to <= from) return Task.FromResult<IReadOnlyList<ReceiptRow>>([]);
        var sql = db.IsPostgres ? SelectRangePostgres : SelectRangeSqlite;
        return db.ReadAsync<IReadOnlyList<ReceiptRow>>(async c =>
        {
            var rows = new List<Row>();
            foreach (var chunk in roomIds.Distinct().Chunk(ListChunk))
                rows.AddRange(await c.QueryAsync<Row>(sql, new { RoomIds = chunk, From = from, To = to }));
            return rows.OrderBy(r => r.StreamId).Select(r => r.ToRecord()).ToList();
        });
    }

    const string SelectAllRange = $"""
        SELECT {Columns} FROM receipts
        WHERE stream_id > @From AND stream_id <= @To
        ORDER BY stream_id
        LIMIT @Limit
        """;

    public Task<IReadOnlyList<ReceiptRow>> GetAllChangedAsync(long from, long to, int limit)
    {
        if (to <= from || limit <= 0) return Task.FromResult<IReadOnlyList<ReceiptRow>>([]);
        return db.ReadAsync<IReadOnlyList<ReceiptRow>>(async c =>
            (await c.QueryAsync<Row>(SelectAllRange, new { From = from, To = to, Limit = limit })).Select(r => r.ToRecord()).ToList());
    }

    // Rows are the latest receipt of each kind, so everything at or below the position is the current set.
    public Task<IReadOnlyList<ReceiptRow>> GetCurrentAsync(IReadOnlyCollection<string> roomIds, long upTo) =>
        GetChangedAsync(roomIds, 0, upTo);
}
