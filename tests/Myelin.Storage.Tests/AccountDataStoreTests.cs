namespace Myelin.Storage.Tests;

public sealed class AccountDataStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task PutAccountData_GlobalAndRoom_StoredSeparately(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var room = NewRoomId();

        await db.AccountData.PutAccountDataAsync(user, null, "m.direct", """{"g":1}""");
        await db.AccountData.PutAccountDataAsync(user, room, "m.direct", """{"r":1}""");

        Assert.Equal("""{"g":1}""", await db.AccountData.GetAccountDataAsync(user, null, "m.direct"));
        Assert.Equal("""{"r":1}""", await db.AccountData.GetAccountDataAsync(user, room, "m.direct"));
        Assert.Null(await db.AccountData.GetAccountDataAsync(user, NewRoomId(), "m.direct"));
        Assert.Null(await db.AccountData.GetAccountDataAsync(NewUserId(), null, "m.direct"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task RecordPushRulesChange_TwoChanges_OwnStreamPositionsIncreasePerUser(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        Assert.Equal(0, await db.AccountData.GetPushRulesPositionAsync(user));

        var first = await db.AccountData.RecordPushRulesChangeAsync(user);
        var other = await db.AccountData.RecordPushRulesChangeAsync(NewUserId());
        var second = await db.AccountData.RecordPushRulesChangeAsync(user);

        Assert.True(first < other && other < second);
        Assert.Equal(second, await db.AccountData.GetPushRulesPositionAsync(user));
        Assert.Equal(second, await db.StreamIds.CurrentCommittedAsync("push_rules"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PutAccountData_Replace_NewContentAndHigherStreamId(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        var first = await db.AccountData.PutAccountDataAsync(user, null, "m.push_rules", """{"v":1}""");
        var second = await db.AccountData.PutAccountDataAsync(user, null, "m.push_rules", """{"v":2}""");

        Assert.True(second > first);
        Assert.Equal("""{"v":2}""", await db.AccountData.GetAccountDataAsync(user, null, "m.push_rules"));
        var changed = await db.AccountData.GetChangedAsync(user, 0, second);
        Assert.Equal([new AccountDataRow(user, null, "m.push_rules", """{"v":2}""", second)], changed);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetChanged_Range_ReturnsRowsInHalfOpenRangeAscending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var room = NewRoomId();
        var a = await db.AccountData.PutAccountDataAsync(user, null, "a", "{}");
        var b = await db.AccountData.PutAccountDataAsync(user, room, "b", "{}");
        await db.AccountData.PutAccountDataAsync(NewUserId(), null, "other", "{}");
        var c = await db.AccountData.PutAccountDataAsync(user, null, "c", "{}");

        var changed = await db.AccountData.GetChangedAsync(user, a, c);

        Assert.Equal(
            [new AccountDataRow(user, room, "b", "{}", b), new AccountDataRow(user, null, "c", "{}", c)],
            changed);
        Assert.Empty(await db.AccountData.GetChangedAsync(user, c, c + 100));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetMaxStreamId_AfterPut_IsLatestPosition(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);

        var pos = await db.AccountData.PutAccountDataAsync(NewUserId(), null, "x", "{}");

        Assert.Equal(pos, await db.AccountData.GetMaxStreamIdAsync());
        Assert.Equal(pos, await db.StreamIds.CurrentAsync("account_data"));
    }
}
