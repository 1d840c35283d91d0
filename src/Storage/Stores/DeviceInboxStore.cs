using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class DeviceInboxStore(Db db, IStreamIdGenerator streamIds) : IDeviceInboxStore
{
    public const string Stream = "to_device";

    const string TxnKey = """
        user_id = @UserId AND device_id = @DeviceId AND sender_user_id = @SenderUserId
        AND sender_device_id = @SenderDeviceId AND message_type = @MessageType AND txn_id = @TxnId
        """;
    const string SelectTxn = $"SELECT 1 FROM device_inbox_txn WHERE {TxnKey}";
    const string InsertTxn = """
        INSERT INTO device_inbox_txn (user_id, device_id, sender_user_id, sender_device_id, message_type, txn_id, inserted_ts)
        VALUES (@UserId, @DeviceId, @SenderUserId, @SenderDeviceId, @MessageType, @TxnId, @Now)
        ON CONFLICT DO NOTHING
        """;
    const string InsertMessage = """
        INSERT INTO device_inbox (user_id, device_id, stream_id, message_json)
        VALUES (@UserId, @DeviceId, @StreamId, @MessageJson)
        """;

    public async Task<long?> AddMessageAsync(string userId, string deviceId, string messageJson, ToDeviceTxn? txn, long now)
    {
        var key = txn is null ? null : new
        {
            UserId = userId, DeviceId = deviceId, txn.SenderUserId, txn.SenderDeviceId, txn.MessageType, txn.TxnId, Now = now,
        };
        // A retry is answered without taking the stream's write order (and without using up a position).
        if (key is not null && await db.ReadAsync(c => c.ExecuteScalarAsync<int?>(SelectTxn, key)) is not null) return null;

        var duplicate = false;
        var position = await streamIds.WriteAtNextAsync(Stream, async (c, tx, streamId) =>
        {
            // Checked again where it counts: a retry racing the first attempt finds its row here.
            if (key is not null && await c.ExecuteAsync(InsertTxn, key, tx) == 0)
            {
                duplicate = true;
                return;
            }
            await c.ExecuteAsync(InsertMessage, new { UserId = userId, DeviceId = deviceId, StreamId = streamId, MessageJson = messageJson }, tx);
        });
        return duplicate ? null : position;
    }

    const string SelectMessages = """
        SELECT stream_id AS StreamId, message_json AS MessageJson FROM device_inbox
        WHERE user_id = @UserId AND device_id = @DeviceId AND stream_id > @From AND stream_id <= @To
        ORDER BY stream_id
        LIMIT @Limit
        """;

    sealed class Row
    {
        public long StreamId { get; set; }
        public string MessageJson { get; set; } = "";
    }

    public Task<IReadOnlyList<ToDeviceRow>> GetMessagesAsync(string userId, string deviceId, long fromExclusive, long toInclusive, int limit) =>
        db.ReadAsync<IReadOnlyList<ToDeviceRow>>(async c =>
            (await c.QueryAsync<Row>(SelectMessages, new { UserId = userId, DeviceId = deviceId, From = fromExclusive, To = toInclusive, Limit = limit }))
            .Select(r => new ToDeviceRow(r.StreamId, r.MessageJson)).ToList());

    const string SelectAnyUpTo = "SELECT 1 FROM device_inbox WHERE user_id = @UserId AND device_id = @DeviceId AND stream_id <= @UpTo LIMIT 1";
    const string DeleteUpTo = "DELETE FROM device_inbox WHERE user_id = @UserId AND device_id = @DeviceId AND stream_id <= @UpTo";

    public async Task<int> DeleteMessagesAsync(string userId, string deviceId, long upToInclusive)
    {
        var args = new { UserId = userId, DeviceId = deviceId, UpTo = upToInclusive };
        // Every incremental /sync acknowledges up to its token, and mostly there is nothing to delete: a
        // read then, not a write (on SQLite a write waits for the one writer).
        if (await db.ReadAsync(c => c.ExecuteScalarAsync<int?>(SelectAnyUpTo, args)) is null) return 0;
        return await db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteUpTo, args, tx));
    }

    const string DeleteOldTxns = "DELETE FROM device_inbox_txn WHERE user_id = @UserId AND device_id = @DeviceId AND inserted_ts < @Before";

    public Task<int> DeleteTxnsOlderThanAsync(string userId, string deviceId, long beforeTs) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteOldTxns, new { UserId = userId, DeviceId = deviceId, Before = beforeTs }, tx));
}
