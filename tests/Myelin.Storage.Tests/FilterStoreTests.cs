namespace Myelin.Storage.Tests;

public sealed class FilterStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task AddFilter_PerUser_IdsCountFromZero(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var other = NewUserId();

        Assert.Equal(0, await db.Filters.AddFilterAsync(user, """{"a":1}"""));
        Assert.Equal(1, await db.Filters.AddFilterAsync(user, """{"b":2}"""));
        Assert.Equal(0, await db.Filters.AddFilterAsync(other, """{"c":3}"""));

        Assert.Equal("""{"a":1}""", await db.Filters.GetFilterAsync(user, 0));
        Assert.Equal("""{"b":2}""", await db.Filters.GetFilterAsync(user, 1));
        Assert.Equal("""{"c":3}""", await db.Filters.GetFilterAsync(other, 0));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetFilter_UnknownOrOtherUsers_ReturnsNull(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Filters.AddFilterAsync(user, "{}");

        Assert.Null(await db.Filters.GetFilterAsync(user, 7));
        Assert.Null(await db.Filters.GetFilterAsync(NewUserId(), 0));
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddFilter_Concurrent_DistinctIds(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        var ids = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => db.Filters.AddFilterAsync(user, $$"""{"i":{{i}}}"""))));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i), ids.Order());
    }
}
