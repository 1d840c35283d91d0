namespace Myelin.Storage.Tests;

public sealed class AppserviceStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task GetOrCreateState_New_StartsAtTheGivenPositions_ThenKeepsThem(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var id = NewId();
        Assert.Null(await db.Appservices.GetStateAsync(id));

        Assert.Equal(new AppserviceState(id, 0, 10, 3), await db.Appservices.GetOrCreateStateAsync(id, 10, 3));
        Assert.Equal(new AppserviceState(id, 0, 10, 3), await db.Appservices.GetOrCreateStateAsync(id, 99, 99));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateTxn_NumbersFromOne_StoresBody_MovesPositionsUpOnly(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var id = NewId();
        await db.Appservices.GetOrCreateStateAsync(id, 10, 3);

        var first = await db.Appservices.CreateTxnAsync(id, """{"events":[1]}""", 15, 0);
        var second = await db.Appservices.CreateTxnAsync(id, """{"events":[2]}""", 12, 7);

        Assert.Equal(1, first.TxnId);
        Assert.Equal(2, second.TxnId);
        Assert.Equal(new AppserviceState(id, 2, 15, 7), await db.Appservices.GetStateAsync(id));
        Assert.Equal([first, second], await db.Appservices.GetPendingTxnsAsync(id));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CompleteTxn_ForgetsIt_AndTheNumberingGoesOn(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var id = NewId();
        await db.Appservices.GetOrCreateStateAsync(id, 0, 0);
        var first = await db.Appservices.CreateTxnAsync(id, "{}", 1, 0);
        await db.Appservices.CompleteTxnAsync(id, first.TxnId);

        Assert.Empty(await db.Appservices.GetPendingTxnsAsync(id));
        Assert.Equal(2, (await db.Appservices.CreateTxnAsync(id, "{}", 2, 0)).TxnId);
        Assert.Empty(await db.Appservices.GetPendingTxnsAsync(NewId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Advance_MovesPositionsUpOnly_WithoutATransaction(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var id = NewId();
        await db.Appservices.GetOrCreateStateAsync(id, 5, 5);
        await db.Appservices.AdvanceAsync(id, 0, 9);
        await db.Appservices.AdvanceAsync(id, 4, 2);
        Assert.Equal(new AppserviceState(id, 0, 5, 9), await db.Appservices.GetStateAsync(id));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateTxn_UnknownService_Throws(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.Appservices.CreateTxnAsync(NewId(), "{}", 1, 1));
    }
}
