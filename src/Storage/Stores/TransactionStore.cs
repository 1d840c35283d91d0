using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class TransactionStore(Db db) : ITransactionStore
{
    const string SelectResult = """
        SELECT result FROM event_txn_id
        WHERE user_id = @UserId AND device_id = @DeviceId AND scope = @Scope AND txn_id = @TxnId
        """;

    public Task<string?> GetResultAsync(string userId, string deviceId, string scope, string txnId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(SelectResult, new { UserId = userId, DeviceId = deviceId, Scope = scope, TxnId = txnId }));

    const string InsertResult = """
        INSERT INTO event_txn_id (user_id, device_id, scope, txn_id, result, inserted_ts)
        VALUES (@UserId, @DeviceId, @Scope, @TxnId, @Result, @Now)
        ON CONFLICT (user_id, device_id, scope, txn_id) DO NOTHING
        """;

    public Task<string> SetResultAsync(string userId, string deviceId, string scope, string txnId, string result, long now) =>
        db.WriteAsync(async (c, tx) =>
        {
            var args = new { UserId = userId, DeviceId = deviceId, Scope = scope, TxnId = txnId, Result = result, Now = now };
            if (await c.ExecuteAsync(InsertResult, args, tx) == 1) return result;
            // Someone was first: on PostgreSQL their row is committed (ON CONFLICT waited for it).
            return await c.QuerySingleAsync<string>(SelectResult, args, tx);
        });

    const string DeleteOld = "DELETE FROM event_txn_id WHERE inserted_ts < @Before";

    public Task<int> DeleteOlderThanAsync(long beforeTs) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteOld, new { Before = beforeTs }, tx));
}
