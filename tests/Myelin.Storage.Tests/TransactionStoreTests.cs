namespace Myelin.Storage.Tests;

public sealed class TransactionStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task GetResult_Unknown_ReturnsNull(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);

        Assert.Null(await db.Transactions.GetResultAsync(NewUserId(), "DEV", "send", NewId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetResult_Twice_FirstWriterWins(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var txn = NewId();

        Assert.Equal("$first", await db.Transactions.SetResultAsync(user, "DEV", "send", txn, "$first", 1));
        Assert.Equal("$first", await db.Transactions.SetResultAsync(user, "DEV", "send", txn, "$second", 2));

        Assert.Equal("$first", await db.Transactions.GetResultAsync(user, "DEV", "send", txn));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetResult_DifferentDeviceOrScope_Independent(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var txn = NewId();

        await db.Transactions.SetResultAsync(user, "DEV1", "send", txn, "a", 1);
        await db.Transactions.SetResultAsync(user, "DEV2", "send", txn, "b", 1);
        await db.Transactions.SetResultAsync(user, "DEV1", "redact", txn, "c", 1);

        Assert.Equal("a", await db.Transactions.GetResultAsync(user, "DEV1", "send", txn));
        Assert.Equal("b", await db.Transactions.GetResultAsync(user, "DEV2", "send", txn));
        Assert.Equal("c", await db.Transactions.GetResultAsync(user, "DEV1", "redact", txn));
        Assert.Null(await db.Transactions.GetResultAsync(NewUserId(), "DEV1", "send", txn));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetResult_Concurrent_AllSeeOneResult(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var txn = NewId();

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => db.Transactions.SetResultAsync(user, "DEV", "send", txn, $"r{i}", 1))));

        Assert.Single(results.Distinct());
        Assert.Equal(results[0], await db.Transactions.GetResultAsync(user, "DEV", "send", txn));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteOlderThan_MixedAges_RemovesOnlyOlder(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var oldTxn = NewId();
        var newTxn = NewId();
        await db.Transactions.SetResultAsync(user, "DEV", "send", oldTxn, "old", 1_000);
        await db.Transactions.SetResultAsync(user, "DEV", "send", newTxn, "new", Now());

        Assert.True(await db.Transactions.DeleteOlderThanAsync(2_000) >= 1);

        Assert.Null(await db.Transactions.GetResultAsync(user, "DEV", "send", oldTxn));
        Assert.Equal("new", await db.Transactions.GetResultAsync(user, "DEV", "send", newTxn));
    }
}
