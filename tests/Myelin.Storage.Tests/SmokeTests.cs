namespace Myelin.Storage.Tests;

public sealed class SmokeTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task CreateUser_New_ReturnsTrue(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        Assert.True(await db.Accounts.CreateUserAsync(user, null, false, false, Now()));
        Assert.False(await db.Accounts.CreateUserAsync(user, null, false, false, Now()));
    }
}
