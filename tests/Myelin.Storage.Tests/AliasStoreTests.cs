namespace Myelin.Storage.Tests;

public sealed class AliasStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static string NewAlias() => $"#a{Guid.NewGuid():N}:test";

    [Theory, SqliteData, PostgresData]
    public async Task CreateAlias_New_ResolvesToRoom(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var alias = NewAlias();
        var room = NewRoomId();
        var user = NewUserId();

        Assert.True(await db.Aliases.CreateAliasAsync(alias, room, user));

        Assert.Equal(new RoomAlias(alias, room, user), await db.Aliases.GetAliasAsync(alias));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateAlias_Taken_ReturnsFalseAndKeepsFirst(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var alias = NewAlias();
        var room = NewRoomId();
        await db.Aliases.CreateAliasAsync(alias, room, NewUserId());

        Assert.False(await db.Aliases.CreateAliasAsync(alias, NewRoomId(), NewUserId()));

        Assert.Equal(room, (await db.Aliases.GetAliasAsync(alias))!.RoomId);
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteAlias_ExistingOrNot_ReportsWhetherDeleted(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var alias = NewAlias();
        await db.Aliases.CreateAliasAsync(alias, NewRoomId(), NewUserId());

        Assert.True(await db.Aliases.DeleteAliasAsync(alias));
        Assert.False(await db.Aliases.DeleteAliasAsync(alias));
        Assert.Null(await db.Aliases.GetAliasAsync(alias));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetAliasesForRoom_Several_ReturnsRoomsOnesSorted(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var a = NewAlias();
        var b = NewAlias();
        await db.Aliases.CreateAliasAsync(a, room, NewUserId());
        await db.Aliases.CreateAliasAsync(b, room, NewUserId());
        await db.Aliases.CreateAliasAsync(NewAlias(), NewRoomId(), NewUserId());

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), await db.Aliases.GetAliasesForRoomAsync(room));
        Assert.Empty(await db.Aliases.GetAliasesForRoomAsync(NewRoomId()));
    }
}
