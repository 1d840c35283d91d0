namespace Myelin.Storage.Tests;

public sealed class PresenceStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static StoredPresence Row(string user, string state, long streamId, string? status = null, bool active = false) =>
        new(user, state, status, 1000 + streamId, 2000 + streamId, 3000 + streamId, active, streamId);

    [Theory, SqliteData, PostgresData]
    public async Task Upsert_ThenGet_RoundTripsEveryColumn(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var row = Row(user, "online", 5, "in a meeting", active: true);

        await db.Presence.UpsertAsync(row);

        Assert.Equal(row, await db.Presence.GetAsync(user));
        Assert.Null(await db.Presence.GetAsync(NewUserId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Upsert_NewerTokenReplaces_OlderIsIgnored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Presence.UpsertAsync(Row(user, "online", 5));

        await db.Presence.UpsertAsync(Row(user, "unavailable", 7));
        await db.Presence.UpsertAsync(Row(user, "offline", 6));

        Assert.Equal(Row(user, "unavailable", 7), await db.Presence.GetAsync(user));
        // The same token again (a grain storing its unannounced changes) does replace it.
        await db.Presence.UpsertAsync(Row(user, "unavailable", 7, "late"));
        Assert.Equal("late", (await db.Presence.GetAsync(user))!.StatusMsg);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetNotOffline_OnlyUsersWhoAreNotOffline(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (on, away, off) = (NewUserId(), NewUserId(), NewUserId());
        await db.Presence.UpsertAsync(Row(on, "online", 1));
        await db.Presence.UpsertAsync(Row(away, "unavailable", 1));
        await db.Presence.UpsertAsync(Row(off, "offline", 1));

        var users = (await db.Presence.GetNotOfflineAsync()).Select(r => r.UserId).ToHashSet();

        Assert.Contains(on, users);
        Assert.Contains(away, users);
        Assert.DoesNotContain(off, users);
    }
}
