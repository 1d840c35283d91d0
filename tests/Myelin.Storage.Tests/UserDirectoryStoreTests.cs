using Myelin.Storage.Stores;

namespace Myelin.Storage.Tests;

public sealed class UserDirectoryStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static async Task PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        await db.Events.PersistEventsAsync(events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList());
    }

    static async Task<string> NewUserAsync(MyelinDatabase db, string? displayName = null)
    {
        var user = NewUserId();
        Assert.True(await db.Accounts.CreateUserAsync(user, null, false, false, Now()));
        if (displayName is not null) await db.Accounts.SetDisplayNameAsync(user, displayName);
        return user;
    }

    static Task<IReadOnlyList<DirectoryUser>> SearchAsync(MyelinDatabase db, string me, string term, int limit = 10, bool all = false) =>
        db.UserDirectory.SearchAsync(new DirectorySearch(me, term, limit, "test", SearchAllUsers: all));

    [Fact]
    public void Words_MixedCaseAndPunctuation_LowercaseLetterAndDigitRuns()
    {
        Assert.Equal(["alice", "smith", "71"], DirectoryWords.Split("Alice.SMITH-71"));
        Assert.Equal(["e\u0301lodie", "ab", "ünïcode"], DirectoryWords.Split("E\u0301lodie ＡＢ ÜNÏCODE")); // marks stay in words; full-width letters fold
        Assert.Empty(DirectoryWords.Split("@:-- "));
        Assert.Equal(" bob ", DirectoryWords.Index("Bob"));
        Assert.Equal(("alice", "example.org"), DirectoryWords.SplitUserId("@alice:example.org"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateUserAndSetProfile_EntryFollowsTheProfile(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = await NewUserAsync(db);
        Assert.Equal(new DirectoryUser(user, null, null), await db.UserDirectory.GetEntryAsync(user));

        await db.Accounts.SetDisplayNameAsync(user, "Zebedee Quux");
        await db.Accounts.SetAvatarUrlAsync(user, "mxc://test/a");

        Assert.Equal(new DirectoryUser(user, "Zebedee Quux", "mxc://test/a"), await db.UserDirectory.GetEntryAsync(user));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Search_AllUsers_MatchesDisplayNameAndLocalpartPrefixesCaseInsensitively(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var me = await NewUserAsync(db);
        var tag = "q" + NewId();
        var user = await NewUserAsync(db, $"Fiona {tag.ToUpperInvariant()}");

        Assert.Equal([user], (await SearchAsync(db, me, tag[..6], all: true)).Select(u => u.UserId));
        Assert.Equal([user], (await SearchAsync(db, me, "fio " + tag, all: true)).Select(u => u.UserId));
        var localpart = user[1..user.IndexOf(':')];
        Assert.Equal([user], (await SearchAsync(db, me, "@" + localpart.ToUpperInvariant(), all: true)).Select(u => u.UserId));
        // Every term must match; a term inside a word (not its start) does not.
        Assert.Empty(await SearchAsync(db, me, "fiona " + NewId(), all: true));
        Assert.Empty(await SearchAsync(db, me, tag[2..], all: true));
        Assert.Empty(await SearchAsync(db, me, "", all: true));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Search_AllUsers_ExcludesTheSearcherAndDeactivatedUsers(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var tag = "d" + NewId();
        var me = await NewUserAsync(db, tag);
        var gone = await NewUserAsync(db, tag);
        var other = await NewUserAsync(db, tag);
        await db.Accounts.SetDeactivatedAsync(gone, true);

        Assert.Equal([other], (await SearchAsync(db, me, tag, all: true)).Select(u => u.UserId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Search_Default_FindsOnlyUsersInPublicRoomsOrSharingAPrivateRoom(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var tag = "v" + NewId();
        var me = await NewUserAsync(db, tag + " me");
        var stranger = await NewUserAsync(db, tag + " stranger");
        var roommate = await NewUserAsync(db, tag + " roommate");
        var celebrity = await NewUserAsync(db, tag + " celebrity");
        Assert.Empty(await SearchAsync(db, me, tag));

        await db.UserDirectory.ReplaceRoomAsync(new DirectoryRoom(NewRoomId(), false, [me, roommate]));
        await db.UserDirectory.ReplaceRoomAsync(new DirectoryRoom(NewRoomId(), true, [celebrity]));

        var found = (await SearchAsync(db, me, tag)).Select(u => u.UserId).ToHashSet();
        Assert.Equal(new HashSet<string> { roommate, celebrity }, found);
        Assert.DoesNotContain(stranger, found);
        // The stranger sees the public room's member only.
        Assert.Equal([celebrity], (await SearchAsync(db, stranger, tag)).Select(u => u.UserId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task UpdateMembers_LeaveAndJoin_RowsFollowTheRoom(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (a, b, c) = (NewUserId(), NewUserId(), NewUserId());
        var room = NewRoomId();
        await db.UserDirectory.ReplaceRoomAsync(new DirectoryRoom(room, false, [a, b]));
        Assert.Equal([b], await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(a));

        // c joins, b leaves: the room now holds a and c.
        await db.UserDirectory.UpdateMembersAsync(new DirectoryRoom(room, false, [a, c]), [b, c]);
        Assert.Equal([c], await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(a));
        Assert.Equal([a], await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(c));
        Assert.Empty(await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(b));

        // Applying the same again changes nothing (the updater may replay a batch).
        await db.UserDirectory.UpdateMembersAsync(new DirectoryRoom(room, false, [a, c]), [b, c]);
        Assert.Equal([c], await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(a));

        // The room becomes public: its members move to the public table.
        await db.UserDirectory.ReplaceRoomAsync(new DirectoryRoom(room, true, [a, c]));
        Assert.Empty(await db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(a));
        Assert.Equal([room], await db.UserDirectory.GetPublicRoomsOfUserAsync(a));
        await db.UserDirectory.UpdateMembersAsync(new DirectoryRoom(room, true, [c]), [a]);
        Assert.Empty(await db.UserDirectory.GetPublicRoomsOfUserAsync(a));
        Assert.Equal([room], await db.UserDirectory.GetPublicRoomsOfUserAsync(c));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Search_Ranking_ExactLocalpartFirstThenProfileCompleteness(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var me = await NewUserAsync(db);
        var tag = "r" + NewId();
        // Display names only prefix-match the term; the exact match is a whole word.
        var prefixOnly = await NewUserAsync(db, tag + "xyz");
        var withAvatar = await NewUserAsync(db, tag + "abc");
        await db.Accounts.SetAvatarUrlAsync(withAvatar, "mxc://test/x");
        var exact = await NewUserAsync(db, "Someone " + tag);

        var found = (await SearchAsync(db, me, tag, all: true)).Select(u => u.UserId).ToList();

        Assert.Equal([exact, withAvatar, prefixOnly], found);
    }

    [Theory, SqliteData, PostgresData]
    public async Task Search_MoreThanLimit_ReturnsLimitPlusOne(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var me = await NewUserAsync(db);
        var tag = "l" + NewId();
        for (var i = 0; i < 4; i++) await NewUserAsync(db, tag);

        Assert.Equal(3, (await SearchAsync(db, me, tag, limit: 2, all: true)).Count);
        Assert.Equal(4, (await SearchAsync(db, me, tag, limit: 4, all: true)).Count);
        Assert.Single(await SearchAsync(db, me, tag, limit: 0, all: true));
    }

    [Theory, SqliteData, PostgresData]
    public async Task ReadRoom_JoinRulesAndHistoryVisibility_DecidePublicness(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (a, b) = (NewUserId(), NewUserId());
        var room = NewRoomId();
        await PersistAsync(db,
            EventFactory.State(room, "m.room.join_rules", "", a, new { join_rule = "invite" }),
            EventFactory.Member(room, a, "join"), EventFactory.Member(room, b, "join"));
        var read = await db.UserDirectory.ReadRoomAsync(room);
        Assert.False(read.IsPublic);
        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), read.Joined);

        await PersistAsync(db, EventFactory.State(room, "m.room.history_visibility", "", a, new { history_visibility = "world_readable" }),
            EventFactory.Member(room, b, "leave"));
        read = await db.UserDirectory.ReadRoomAsync(room);
        Assert.True(read.IsPublic);
        Assert.Equal([a], read.Joined);

        var other = NewRoomId();
        await PersistAsync(db, EventFactory.State(other, "m.room.join_rules", "", a, new { join_rule = "public" }));
        Assert.True((await db.UserDirectory.ReadRoomAsync(other)).IsPublic);
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddMissingLocalUsers_UsersWithoutEntries_GetOneFromTheirProfile(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = await NewUserAsync(db, "Before The Directory");
        await RemoveEntryAsync(db, user);
        Assert.Null(await db.UserDirectory.GetEntryAsync(user));

        Assert.True(await db.UserDirectory.AddMissingLocalUsersAsync() >= 1);

        Assert.Equal(new DirectoryUser(user, "Before The Directory", null), await db.UserDirectory.GetEntryAsync(user));
        Assert.Equal(0, await db.UserDirectory.AddMissingLocalUsersAsync());
    }

    /// <summary>Makes the user look like one registered before the directory existed.</summary>
    static Task RemoveEntryAsync(MyelinDatabase db, string user) =>
        db.StreamIds.WriteAtNextAsync("receipts", (c, tx, _) =>
            Dapper.SqlMapper.ExecuteAsync(c, "DELETE FROM user_directory WHERE user_id = @User", new { User = user }, tx));
}
