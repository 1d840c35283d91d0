using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AccountDataStore(Db db, IStreamIdGenerator streamIds) : IAccountDataStore
{
    public const string Stream = "account_data";
    public const string PushRulesStream = "push_rules";

    // Global account data is stored with room_id '' (see 0001_users.sql).
    const string GlobalRoom = "";

    sealed class Row
    {
        public string UserId { get; set; } = "";
        public string RoomId { get; set; } = "";
        public string Type { get; set; } = "";
        public string Content { get; set; } = "";
        public long StreamId { get; set; }
        public AccountDataRow ToRecord() => new(UserId, RoomId == GlobalRoom ? null : RoomId, Type, Content, StreamId);
    }

    const string UpsertAccountData = """
        INSERT INTO account_data (user_id, room_id, account_data_type, stream_id, content)
        VALUES (@UserId, @RoomId, @Type, @StreamId, @Content)
        ON CONFLICT (user_id, room_id, account_data_type)
        DO UPDATE SET stream_id = excluded.stream_id, content = excluded.content
        """;

    public async Task<long> PutAccountDataAsync(string userId, string? roomId, string type, string contentJson)
    {
        // In position order across processes: a reader that saw a position has every row below it.
        return await streamIds.WriteAtNextAsync(Stream, (c, tx, streamId) => c.ExecuteAsync(UpsertAccountData,
            new { UserId = userId, RoomId = roomId ?? GlobalRoom, Type = type, StreamId = streamId, Content = contentJson }, tx));
    }

    const string SelectContent = "SELECT content FROM account_data WHERE user_id = @UserId AND room_id = @RoomId AND account_data_type = @Type";

    public Task<string?> GetAccountDataAsync(string userId, string? roomId, string type) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(SelectContent, new { UserId = userId, RoomId = roomId ?? GlobalRoom, Type = type }));

    const string SelectChanged = """
        SELECT user_id AS UserId, room_id AS RoomId, account_data_type AS Type, content AS Content, stream_id AS StreamId
        FROM account_data
        WHERE user_id = @UserId AND stream_id > @From AND stream_id <= @To
        ORDER BY stream_id
        """;

    /// <summary>Ascending by stream position; only the latest content of each (room, type).</summary>
    public Task<IReadOnlyList<AccountDataRow>> GetChangedAsync(string userId, long from, long to) =>
        db.ReadAsync<IReadOnlyList<AccountDataRow>>(async c =>
            (await c.QueryAsync<Row>(SelectChanged, new { UserId = userId, From = from, To = to })).Select(r => r.ToRecord()).ToList());

    const string SelectMaxStreamId = "SELECT COALESCE(MAX(stream_id), 0) FROM account_data";

    /// <summary>The highest stream position of any committed account data (0 when there is none).</summary>
    public Task<long> GetMaxStreamIdAsync() =>
        db.ReadAsync(c => c.ExecuteScalarAsync<long>(SelectMaxStreamId));

    const string UpsertPushRulesStream = """
        INSERT INTO push_rules_stream (user_id, stream_id) VALUES (@UserId, @StreamId)
        ON CONFLICT (user_id) DO UPDATE SET stream_id = excluded.stream_id
        """;

    public Task<long> RecordPushRulesChangeAsync(string userId) =>
        streamIds.WriteAtNextAsync(PushRulesStream, (c, tx, streamId) =>
            c.ExecuteAsync(UpsertPushRulesStream, new { UserId = userId, StreamId = streamId }, tx));

    public Task<long> GetPushRulesPositionAsync(string userId) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(stream_id), 0) FROM push_rules_stream WHERE user_id = @UserId", new { UserId = userId }));
}
