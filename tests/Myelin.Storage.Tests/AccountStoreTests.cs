namespace Myelin.Storage.Tests;

public sealed class AccountStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task CreateUser_New_StoresUserAndEmptyProfile(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        Assert.True(await db.Accounts.CreateUserAsync(user, "$2a$hash", isAdmin: true, isGuest: false, now: 1234));

        Assert.Equal(new UserAccount(user, "$2a$hash", 1234, IsAdmin: true, IsGuest: false, Deactivated: false), await db.Accounts.GetUserAsync(user));
        Assert.Equal(new Profile(user, null, null), await db.Accounts.GetProfileAsync(user));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateUser_Taken_ReturnsFalseAndKeepsFirst(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Accounts.CreateUserAsync(user, "first", false, false, 1);

        Assert.False(await db.Accounts.CreateUserAsync(user, "second", true, true, 2));

        Assert.Equal("first", (await db.Accounts.GetUserAsync(user))!.PasswordHash);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUser_Unknown_ReturnsNull(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);

        Assert.Null(await db.Accounts.GetUserAsync(NewUserId()));
        Assert.Null(await db.Accounts.GetProfileAsync(NewUserId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Setters_ExistingUser_UpdateFlagsAndHash(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Accounts.CreateUserAsync(user, null, false, isGuest: true, 5);

        await db.Accounts.SetPasswordHashAsync(user, "new-hash");
        await db.Accounts.SetAdminAsync(user, true);
        await db.Accounts.SetDeactivatedAsync(user, true);

        Assert.Equal(new UserAccount(user, "new-hash", 5, IsAdmin: true, IsGuest: true, Deactivated: true), await db.Accounts.GetUserAsync(user));

        await db.Accounts.SetAdminAsync(user, false);
        await db.Accounts.SetDeactivatedAsync(user, false);
        var after = await db.Accounts.GetUserAsync(user);
        Assert.False(after!.IsAdmin);
        Assert.False(after.Deactivated);
    }

    [Theory, SqliteData, PostgresData]
    public async Task ListUsers_Paged_OrderedByUserId(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var prefix = "@list" + NewId();
        var users = Enumerable.Range(0, 5).Select(i => $"{prefix}{i}:test").ToList();
        foreach (var u in users.AsEnumerable().Reverse()) await db.Accounts.CreateUserAsync(u, null, false, false, 1);

        var all = await db.Accounts.ListUsersAsync(0, 100_000);
        var mine = all.Where(u => u.UserId.StartsWith(prefix, StringComparison.Ordinal)).Select(u => u.UserId).ToList();
        Assert.Equal(users, mine);
        Assert.Equal(all.Select(u => u.UserId).OrderBy(x => x, StringComparer.Ordinal), all.Select(u => u.UserId));

        var start = all.ToList().FindIndex(u => u.UserId == users[1]);
        var page = await db.Accounts.ListUsersAsync(start, 2);
        Assert.Equal(users[1..3], page.Select(u => u.UserId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetDisplayNameAndAvatar_ExistingProfile_Updates(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Accounts.CreateUserAsync(user, null, false, false, 1);

        await db.Accounts.SetDisplayNameAsync(user, "Alice");
        await db.Accounts.SetAvatarUrlAsync(user, "mxc://test/abc");
        Assert.Equal(new Profile(user, "Alice", "mxc://test/abc"), await db.Accounts.GetProfileAsync(user));

        await db.Accounts.SetDisplayNameAsync(user, null);
        Assert.Equal(new Profile(user, null, "mxc://test/abc"), await db.Accounts.GetProfileAsync(user));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetDisplayName_NoProfileRow_CreatesIt(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        await db.Accounts.SetDisplayNameAsync(user, "Bob");

        Assert.Equal(new Profile(user, "Bob", null), await db.Accounts.GetProfileAsync(user));
    }
}
