namespace Myelin.Storage.Tests;

public sealed class EventStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    /// <summary>Persists the events in one batch with fresh positions; returns them as stored.</summary>
    static async Task<List<(NewEvent Event, long StreamOrdering)>> PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        var rows = events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList();
        await db.Events.PersistEventsAsync(rows);
        return rows;
    }

    static StoredEvent Stored(NewEvent e, long so) =>
        new(so, e.EventId, e.RoomId, e.Type, e.StateKey, e.Sender, e.Depth, e.OriginServerTs, e.Json, e.Membership);

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_Batch_EveryColumnRoundTrips(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        var rows = await PersistAsync(db,
            EventFactory.State(room, "m.room.create", "", user, new { creator = user }),
            EventFactory.Member(room, user, "join"),
            EventFactory.Message(room, user, "hello"));

        foreach (var (e, so) in rows)
            Assert.Equal(Stored(e, so), await db.Events.GetEventAsync(e.EventId));
        Assert.Null(await db.Events.GetEventAsync(NewEventId()));
        Assert.Equal(rows[^1].StreamOrdering, await db.Events.GetMaxStreamOrderingAsync());
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_ManyRoomsInOneBatch_AllStored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var rooms = Enumerable.Range(0, 20).Select(_ => NewRoomId()).ToList();
        var user = NewUserId();
        var events = Enumerable.Range(0, 600).Select(i => EventFactory.Message(rooms[i % rooms.Count], user, $"m{i}")).ToArray();

        var rows = await PersistAsync(db, events);

        var stored = await db.Events.GetEventsAsync(events.Select(e => e.EventId).ToList());
        Assert.Equal(rows.Select(r => Stored(r.Event, r.StreamOrdering)), stored);
        foreach (var room in rooms)
        {
            var newest = rows.Last(r => r.Event.RoomId == room).Event.EventId;
            Assert.Equal([newest], await db.Events.GetForwardExtremitiesAsync(room));
        }
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_DuplicateInBatch_NothingOfBatchStored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        var existing = (await PersistAsync(db, EventFactory.Message(room, user)))[0].Event;
        var fresh = EventFactory.Member(room, user, "join");
        var last = await db.StreamIds.NextAsync("events", 2);

        await Assert.ThrowsAnyAsync<Exception>(() => db.Events.PersistEventsAsync([(fresh, last - 1), (existing, last)]));

        Assert.Null(await db.Events.GetEventAsync(fresh.EventId));
        Assert.Empty(await db.Events.GetRoomMembershipsAsync(room));
        Assert.Empty(await db.Events.GetCurrentStateAsync(room));
        Assert.Equal([existing.EventId], await db.Events.GetForwardExtremitiesAsync(room));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_EmptyBatch_DoesNothing(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var before = await db.Events.GetMaxStreamOrderingAsync();

        await db.Events.PersistEventsAsync([]);

        Assert.Equal(before, await db.Events.GetMaxStreamOrderingAsync());
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetEvents_UnknownIdsAndEmpty_LeftOut(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var e = (await PersistAsync(db, EventFactory.Message(NewRoomId(), NewUserId())))[0];

        Assert.Equal([Stored(e.Event, e.StreamOrdering)], await db.Events.GetEventsAsync([e.Event.EventId, NewEventId()]));
        Assert.Empty(await db.Events.GetEventsAsync([]));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetCurrentState_StateReplaced_OneEventPerTypeAndKey(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        var create = EventFactory.State(room, "m.room.create", "", user, new { });
        var name1 = EventFactory.State(room, "m.room.name", "", user, new { name = "one" });
        await PersistAsync(db, create, name1, EventFactory.Message(room, user));
        var name2 = EventFactory.State(room, "m.room.name", "", user, new { name = "two" });
        var topic = EventFactory.State(room, "m.room.topic", "", user, new { topic = "t" });
        // Two updates of one key in one batch: the later one wins.
        var name3 = EventFactory.State(room, "m.room.name", "", user, new { name = "three" });
        await PersistAsync(db, name2, topic, name3);

        var state = await db.Events.GetCurrentStateAsync(room);

        Assert.Equal([create.EventId, topic.EventId, name3.EventId], state.Select(e => e.EventId));
        Assert.Empty(await db.Events.GetCurrentStateAsync(NewRoomId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetStateAt_EarlierPosition_StateAsItWasThen(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var otherRoom = NewRoomId();
        var user = NewUserId();
        var create = EventFactory.State(room, "m.room.create", "", user, new { });
        var join = EventFactory.Member(room, user, "join");
        var name1 = EventFactory.State(room, "m.room.name", "", user, new { name = "one" });
        var rows1 = await PersistAsync(db, create, join, name1, EventFactory.Message(room, user));
        var at = rows1[^1].StreamOrdering;
        await PersistAsync(db, EventFactory.State(otherRoom, "m.room.name", "", user, new { name = "elsewhere" }));
        var name2 = EventFactory.State(room, "m.room.name", "", user, new { name = "two" });
        var leave = EventFactory.Member(room, user, "leave");
        var rows2 = await PersistAsync(db, name2, leave);

        var before = await db.Events.GetStateAtAsync(room, at);
        var atName2 = await db.Events.GetStateAtAsync(room, rows2[0].StreamOrdering);
        var now = await db.Events.GetStateAtAsync(room, rows2[^1].StreamOrdering);

        Assert.Equal([create.EventId, join.EventId, name1.EventId], before.Select(e => e.EventId));
        Assert.Equal([create.EventId, join.EventId, name2.EventId], atName2.Select(e => e.EventId));
        Assert.Equal((await db.Events.GetCurrentStateAsync(room)).Select(e => e.EventId), now.Select(e => e.EventId));
        Assert.Empty(await db.Events.GetStateAtAsync(room, rows1[0].StreamOrdering - 1));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetLatestEvent_KnownAndUnknownRoom_NewestOrNull(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var rows = await PersistAsync(db, EventFactory.Message(room, NewUserId()), EventFactory.Message(room, NewUserId()));
        await PersistAsync(db, EventFactory.Message(NewRoomId(), NewUserId()));

        Assert.Equal(rows[^1].Event.EventId, (await db.Events.GetLatestEventAsync(room))!.EventId);
        Assert.Null(await db.Events.GetLatestEventAsync(NewRoomId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetRoomEvents_MoreThanLimit_NewestAscending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        var rows = await PersistAsync(db, Enumerable.Range(0, 6).Select(i => EventFactory.Message(room, user, $"m{i}")).ToArray());
        await PersistAsync(db, EventFactory.Message(NewRoomId(), user));
        var from = rows[0].StreamOrdering;          // exclusive
        var to = rows[4].StreamOrdering;            // inclusive

        var all = await db.Events.GetRoomEventsAsync(room, from, to, 100);
        var limited = await db.Events.GetRoomEventsAsync(room, from, to, 2);

        Assert.Equal(rows[1..5].Select(r => r.Event.EventId), all.Select(e => e.EventId));
        Assert.Equal(rows[3..5].Select(r => r.Event.EventId), limited.Select(e => e.EventId));
        Assert.Empty(await db.Events.GetRoomEventsAsync(room, rows[^1].StreamOrdering, rows[^1].StreamOrdering + 10, 10));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetEventsInRange_SeveralRooms_OnlyThoseRoomsAscending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var a = NewRoomId();
        var b = NewRoomId();
        var c = NewRoomId();
        var user = NewUserId();
        var rows = await PersistAsync(db,
            EventFactory.Message(a, user), EventFactory.Message(b, user), EventFactory.Message(c, user),
            EventFactory.Message(a, user), EventFactory.Message(b, user), EventFactory.Message(c, user));

        var events = await db.Events.GetEventsInRangeAsync([a, b], rows[0].StreamOrdering, rows[^1].StreamOrdering);

        Assert.Equal([rows[1].Event.EventId, rows[3].Event.EventId, rows[4].Event.EventId], events.Select(e => e.EventId));
        Assert.Empty(await db.Events.GetEventsInRangeAsync([], 0, long.MaxValue));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetEventsInRange_ManyRooms_AllReturnedInOrder(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var rooms = Enumerable.Range(0, 1200).Select(_ => NewRoomId()).ToList();
        var rows = await PersistAsync(db, rooms.Select(r => EventFactory.Message(r, "@a:test")).ToArray());

        var events = await db.Events.GetEventsInRangeAsync(rooms, rows[0].StreamOrdering - 1, rows[^1].StreamOrdering);

        Assert.Equal(rows.Select(r => r.Event.EventId), events.Select(e => e.EventId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Paginate_Backwards_StrictlyBeforeDescending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        // Depths 1,2,2,3,4: two events share depth 2 and are ordered by stream position.
        var rows = await PersistAsync(db,
            EventFactory.Message(room, user, "a", depth: 1), EventFactory.Message(room, user, "b", depth: 2),
            EventFactory.Message(room, user, "c", depth: 2), EventFactory.Message(room, user, "d", depth: 3),
            EventFactory.Message(room, user, "e", depth: 4));
        var ids = rows.Select(r => r.Event.EventId).ToList();

        var fromTop = await db.Events.PaginateAsync(room, 4, rows[4].StreamOrdering, backwards: true, limit: 3);
        var fromMiddle = await db.Events.PaginateAsync(room, 2, rows[2].StreamOrdering, backwards: true, limit: 10);

        Assert.Equal([ids[3], ids[2], ids[1]], fromTop.Select(e => e.EventId));
        Assert.Equal([ids[1], ids[0]], fromMiddle.Select(e => e.EventId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Paginate_Forwards_StrictlyAfterAscending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();
        var rows = await PersistAsync(db,
            EventFactory.Message(room, user, "a", depth: 1), EventFactory.Message(room, user, "b", depth: 2),
            EventFactory.Message(room, user, "c", depth: 2), EventFactory.Message(room, user, "d", depth: 3));
        await PersistAsync(db, EventFactory.Message(NewRoomId(), user, "elsewhere", depth: 2));
        var ids = rows.Select(r => r.Event.EventId).ToList();

        var page = await db.Events.PaginateAsync(room, 2, rows[1].StreamOrdering, backwards: false, limit: 10);
        var limited = await db.Events.PaginateAsync(room, 0, 0, backwards: false, limit: 2);

        Assert.Equal([ids[2], ids[3]], page.Select(e => e.EventId));
        Assert.Equal([ids[0], ids[1]], limited.Select(e => e.EventId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Memberships_JoinThenLeave_CurrentRowsAndCount(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var otherRoom = NewRoomId();
        var alice = NewUserId();
        var bob = NewUserId();
        await PersistAsync(db, EventFactory.Member(room, alice, "join"), EventFactory.Member(room, bob, "join"), EventFactory.Member(otherRoom, alice, "invite"));
        Assert.Equal(2, await db.Events.GetJoinedMemberCountAsync(room));

        var leave = (await PersistAsync(db, EventFactory.Member(room, bob, "leave")))[0];

        Assert.Equal(1, await db.Events.GetJoinedMemberCountAsync(room));
        var members = await db.Events.GetRoomMembershipsAsync(room);
        Assert.Equal(new[] { alice, bob }.Order(StringComparer.Ordinal), members.Select(m => m.UserId));
        Assert.Contains(new MembershipRow(room, bob, "leave", leave.Event.EventId, leave.StreamOrdering), members);
        var alices = await db.Events.GetMembershipsForUserAsync(alice);
        Assert.Equal(
            new[] { (room, "join"), (otherRoom, "invite") }.OrderBy(x => x.Item1, StringComparer.Ordinal),
            alices.Select(m => (m.RoomId, m.Membership)));
        Assert.Equal(0, await db.Events.GetJoinedMemberCountAsync(NewRoomId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_MembershipTwiceInBatch_LaterWins(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var user = NewUserId();

        var rows = await PersistAsync(db, EventFactory.Member(room, user, "invite"), EventFactory.Member(room, user, "join"));

        var row = Assert.Single(await db.Events.GetRoomMembershipsAsync(room));
        Assert.Equal(new MembershipRow(room, user, "join", rows[1].Event.EventId, rows[1].StreamOrdering), row);
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_ConcurrentBatches_AllStored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();

        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            PersistAsync(db, Enumerable.Range(0, 25).Select(i => EventFactory.Message(NewRoomId(), "@a:test", $"{i}")).ToArray()))));

        var ids = batches.SelectMany(b => b).Select(r => r.Event.EventId).ToList();
        Assert.Equal(ids.Count, (await db.Events.GetEventsAsync(ids)).Count);
        Assert.Null(await db.Events.GetLatestEventAsync(room));
    }
}
