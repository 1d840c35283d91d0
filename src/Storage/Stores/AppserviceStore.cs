using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AppserviceStore(Db db) : IAppserviceStore
{
    const string StateColumns = """
        as_id AS AppserviceId, last_txn_id AS LastTxnId, events_stream_id AS EventsStreamId,
        receipts_stream_id AS ReceiptsStreamId
        """;

    const string SelectState = $"SELECT {StateColumns} FROM appservice_state WHERE as_id = @Id";

    const string InsertState = """
        INSERT INTO appservice_state (as_id, last_txn_id, events_stream_id, receipts_stream_id)
        VALUES (@Id, 0, @Events, @Receipts)
        ON CONFLICT (as_id) DO NOTHING
        """;

    public Task<AppserviceState> GetOrCreateStateAsync(string appserviceId, long eventsStreamId, long receiptsStreamId) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(InsertState, new { Id = appserviceId, Events = eventsStreamId, Receipts = receiptsStreamId }, tx);
            return await c.QuerySingleAsync<AppserviceState>(SelectState, new { Id = appserviceId }, tx);
        });

    public Task<AppserviceState?> GetStateAsync(string appserviceId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<AppserviceState?>(SelectState, new { Id = appserviceId }));

    const string NextTxn = """
        UPDATE appservice_state SET last_txn_id = last_txn_id + 1,
            events_stream_id = CASE WHEN @Events > events_stream_id THEN @Events ELSE events_stream_id END,
            receipts_stream_id = CASE WHEN @Receipts > receipts_stream_id THEN @Receipts ELSE receipts_stream_id END
        WHERE as_id = @Id
        RETURNING last_txn_id
        """;

    const string Advance = """
        UPDATE appservice_state SET
            events_stream_id = CASE WHEN @Events > events_stream_id THEN @Events ELSE events_stream_id END,
            receipts_stream_id = CASE WHEN @Receipts > receipts_stream_id THEN @Receipts ELSE receipts_stream_id END
        WHERE as_id = @Id
        """;

    public Task AdvanceAsync(string appserviceId, long eventsStreamId, long receiptsStreamId) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(Advance, new { Id = appserviceId, Events = eventsStreamId, Receipts = receiptsStreamId }, tx));

    const string InsertTxn = "INSERT INTO appservice_txns (as_id, txn_id, body) VALUES (@Id, @TxnId, @Body)";

    public Task<AppserviceTxn> CreateTxnAsync(string appserviceId, string bodyJson, long eventsStreamId, long receiptsStreamId) =>
        db.WriteAsync(async (c, tx) =>
        {
            var txnId = await c.QuerySingleOrDefaultAsync<long?>(NextTxn,
                new { Id = appserviceId, Events = eventsStreamId, Receipts = receiptsStreamId }, tx)
                ?? throw new InvalidOperationException($"no appservice_state row for '{appserviceId}'");
            await c.ExecuteAsync(InsertTxn, new { Id = appserviceId, TxnId = txnId, Body = bodyJson }, tx);
            return new AppserviceTxn(appserviceId, txnId, bodyJson);
        });

    const string SelectPending = """
        SELECT as_id AS AppserviceId, txn_id AS TxnId, body AS BodyJson FROM appservice_txns
        WHERE as_id = @Id ORDER BY txn_id
        """;

    public Task<IReadOnlyList<AppserviceTxn>> GetPendingTxnsAsync(string appserviceId) =>
        db.ReadAsync<IReadOnlyList<AppserviceTxn>>(async c => (await c.QueryAsync<AppserviceTxn>(SelectPending, new { Id = appserviceId })).ToList());

    const string DeleteTxn = "DELETE FROM appservice_txns WHERE as_id = @Id AND txn_id = @TxnId";

    public Task CompleteTxnAsync(string appserviceId, long txnId) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteTxn, new { Id = appserviceId, TxnId = txnId }, tx));
}
