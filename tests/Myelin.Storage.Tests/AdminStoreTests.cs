namespace Myelin.Storage.Tests;

public sealed class AdminStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static async Task<List<(NewEvent Event, long StreamOrdering)>> PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        var rows = events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList();
        await db.Events.PersistEventsAsync(rows);
        return rows;
    }

    [Theory, SqliteData, PostgresData]
    public async Task ListUsers_FiltersOrderAndTotal(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var tag = "t" + NewId();
        var a = $"@{tag}a:test";
        var b = $"@{tag}b:test";
        var c = $"@{tag}c:test";
        await db.Accounts.CreateUserAsync(a, "h", isAdmin: true, isGuest: false, now: 3);
        await db.Accounts.CreateUserAsync(b, "h", isAdmin: false, isGuest: true, now: 2);
        await db.Accounts.CreateUserAsync(c, "h", isAdmin: false, isGuest: false, now: 1);
        await db.Accounts.SetDisplayNameAsync(c, "Zed " + tag.ToUpperInvariant());
        await db.Accounts.SetDeactivatedAsync(b, true);
        await db.Admin.SetUserTypeAsync(a, "bot");
        await db.Devices.UpsertDeviceAsync(a, "D1", null, 99, "127.0.0.1");

        var (all, total) = await db.Admin.ListUsersAsync(new UserListQuery(0, 10, UserIdContains: tag, Deactivated: true));
        Assert.Equal(3, total);
        Assert.Equal([a, b, c], all.Select(u => u.UserId));
        Assert.Equal(new AdminUser(a, false, true, "bot", false, false, null, null, 3, 99), all[0]);

        var (active, activeTotal) = await db.Admin.ListUsersAsync(new UserListQuery(0, 10, UserIdContains: tag));
        Assert.Equal(2, activeTotal);
        Assert.Equal([a, c], active.Select(u => u.UserId));

        var (byName, _) = await db.Admin.ListUsersAsync(new UserListQuery(0, 10, NameContains: "zed " + tag));
        Assert.Equal([c], byName.Select(u => u.UserId));

        var (newest, _) = await db.Admin.ListUsersAsync(new UserListQuery(0, 1, UserIdContains: tag, Deactivated: true, OrderBy: "creation_ts", Backwards: true));
        Assert.Equal([a], newest.Select(u => u.UserId));

        var (admins, _) = await db.Admin.ListUsersAsync(new UserListQuery(0, 10, UserIdContains: tag, Admins: false, Guests: false, Deactivated: true));
        Assert.Equal([c], admins.Select(u => u.UserId));

        // LIKE wildcards in the filter are taken literally.
        var (none, noneTotal) = await db.Admin.ListUsersAsync(new UserListQuery(0, 10, UserIdContains: tag + "_"));
        Assert.Empty(none);
        Assert.Equal(0, noneTotal);

        foreach (var order in IAdminStore.UserOrderColumns)
            Assert.Equal(2, (await db.Admin.ListUsersAsync(new UserListQuery(0, 10, UserIdContains: tag, OrderBy: order))).Total);
    }

    [Theory, SqliteData, PostgresData]
    public async Task UserFlags_ErasedAndPasswordCleared(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Accounts.CreateUserAsync(user, "hash", false, false, 1);

        await db.Admin.SetErasedAsync(user, true);
        await db.Admin.ClearPasswordAsync(user);

        Assert.True((await db.Admin.GetUserAsync(user))!.Erased);
        Assert.Null((await db.Accounts.GetUserAsync(user))!.PasswordHash);
        Assert.Null(await db.Admin.GetUserAsync(NewUserId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task EventReports_AddListGetDelete(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var sender = NewUserId();
        var reporter = NewUserId();
        var rows = await PersistAsync(db, EventFactory.Message(room, sender, "a"), EventFactory.Message(room, sender, "b"));

        var first = await db.Admin.AddEventReportAsync(room, rows[0].Event.EventId, reporter, "rude", -100, 10);
        var second = await db.Admin.AddEventReportAsync(room, rows[1].Event.EventId, reporter, null, null, 20);

        var (newestFirst, total) = await db.Admin.ListEventReportsAsync(new EventReportQuery(0, 10, RoomIdContains: room));
        Assert.Equal(2, total);
        Assert.Equal([second, first], newestFirst.Select(r => r.Id));
        Assert.Equal(new EventReport(first, 10, room, rows[0].Event.EventId, reporter, "rude", -100, sender), newestFirst[1]);
        var (bySender, _) = await db.Admin.ListEventReportsAsync(new EventReportQuery(0, 10, Backwards: false, SenderUserId: sender));
        Assert.Equal([first, second], bySender.Select(r => r.Id));

        Assert.True(await db.Admin.DeleteEventReportAsync(first));
        Assert.False(await db.Admin.DeleteEventReportAsync(first));
        Assert.Null(await db.Admin.GetEventReportAsync(first));
        Assert.NotNull(await db.Admin.GetEventReportAsync(second));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Tasks_AddUpdateRead(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var id = NewId();
        await db.Admin.AddTaskAsync(new AdminTask(id, "purge_history", room, "active", null, "{\"a\":1}", 1, 1));

        await db.Admin.UpdateTaskAsync(id, "failed", "boom", null, 5);

        Assert.Equal(new AdminTask(id, "purge_history", room, "failed", "boom", "{\"a\":1}", 1, 5), await db.Admin.GetTaskAsync(id));
        Assert.Single(await db.Admin.GetTasksForRoomAsync(room, "purge_history"));
        Assert.Empty(await db.Admin.GetTasksForRoomAsync(room, "other"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PurgeHistory_DeletesMessagesBeforePoint_KeepsStateAsOutliers(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var local = $"@u{NewId()}:test";
        var remote = $"@u{NewId()}:elsewhere";
        var rows = await PersistAsync(db,
            EventFactory.State(room, "m.room.name", "", local, new { name = "n" }, depth: 1),
            EventFactory.Message(room, local, "local old", depth: 2),
            EventFactory.Message(room, remote, "remote old", depth: 3),
            EventFactory.Message(room, local, "point", depth: 4),
            EventFactory.Message(room, local, "new", depth: 5));
        var ids = rows.Select(r => r.Event.EventId).ToList();

        // Without delete_local_events only the remote message goes; everything before the point leaves the timeline.
        Assert.Equal(1, await db.Admin.PurgeHistoryAsync(room, 4, deleteLocalEvents: false, "test"));
        Assert.Null(await db.Events.GetEventAsync(ids[2]));
        Assert.NotNull(await db.Events.GetEventAsync(ids[1]));
        var page = await db.Events.PaginateAsync(room, 100, 0, backwards: true, 10);
        Assert.Equal([ids[4], ids[3]], page.Select(e => e.EventId));
        Assert.Equal([ids[3], ids[4]], (await db.Events.GetRoomEventsAsync(room, 0, long.MaxValue, 10)).Select(e => e.EventId));
        Assert.Equal([ids[3], ids[4]], (await db.Events.GetEventsInRangeAsync([room], 0, long.MaxValue)).Select(e => e.EventId));
        // State is kept, current and as of the point.
        Assert.Equal([ids[0]], (await db.Events.GetCurrentStateAsync(room)).Select(e => e.EventId));
        Assert.Equal([ids[0]], (await db.Events.GetStateAtAsync(room, rows[3].StreamOrdering)).Select(e => e.EventId));

        Assert.Equal(1, await db.Admin.PurgeHistoryAsync(room, 4, deleteLocalEvents: true, "test"));
        Assert.Null(await db.Events.GetEventAsync(ids[1]));
        Assert.NotNull(await db.Events.GetEventAsync(ids[0]));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetLastEventBefore_FindsNewestEarlierEvent(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var rows = await PersistAsync(db, EventFactory.Message(room, NewUserId()), EventFactory.Message(room, NewUserId()));

        Assert.Equal(rows[1].Event.EventId, (await db.Admin.GetLastEventBeforeAsync(room, rows[1].Event.OriginServerTs + 1))!.EventId);
        Assert.Null(await db.Admin.GetLastEventBeforeAsync(room, rows[0].Event.OriginServerTs));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PurgeRoom_RemovesEveryTrace_BlockStays(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        await db.Rooms.CreateRoomAsync(new RoomRecord(room, "10", user, true, 1));
        await db.Aliases.CreateAliasAsync($"#a{NewId()}:test", room, user);
        var rows = await PersistAsync(db, EventFactory.Member(room, user, "join"), EventFactory.Message(room, user));
        await db.Admin.AddEventReportAsync(room, rows[1].Event.EventId, user, null, null, 1);
        await db.Admin.BlockRoomAsync(room, user);

        var listed = (await db.Admin.ListRoomsAsync("test")).Single(r => r.RoomId == room);
        Assert.Equal((1, 1, 1, true), (listed.JoinedMembers, listed.JoinedLocalMembers, listed.StateEvents, listed.IsPublic));
        Assert.Equal(listed.RoomId, Assert.Single(await db.Admin.ListRoomsAsync("test", room)).RoomId);
        Assert.Equal(0, (await db.Admin.ListRoomsAsync("elsewhere", room))[0].JoinedLocalMembers);

        await db.Admin.PurgeRoomAsync(room);

        Assert.Null(await db.Rooms.GetRoomAsync(room));
        Assert.Empty(await db.Events.GetCurrentStateAsync(room));
        Assert.Empty(await db.Events.GetRoomMembershipsAsync(room));
        Assert.Empty(await db.Aliases.GetAliasesForRoomAsync(room));
        Assert.Null(await db.Events.GetLatestEventAsync(room));
        Assert.Equal(0, (await db.Admin.ListEventReportsAsync(new EventReportQuery(0, 10, RoomIdContains: room))).Total);
        Assert.Empty(await db.Admin.ListRoomsAsync("test", room));
        Assert.Equal(user, await db.Admin.GetRoomBlockerAsync(room));
    }
}
