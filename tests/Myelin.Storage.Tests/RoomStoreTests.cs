namespace Myelin.Storage.Tests;

public sealed class RoomStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task CreateRoom_New_GetReturnsIt(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = new RoomRecord(NewRoomId(), "10", NewUserId(), IsPublic: true, CreatedTs: 4242);

        await db.Rooms.CreateRoomAsync(room);

        Assert.Equal(room, await db.Rooms.GetRoomAsync(room.RoomId));
        Assert.Null(await db.Rooms.GetRoomAsync(NewRoomId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CreateRoom_Existing_KeepsFirst(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = new RoomRecord(NewRoomId(), "10", NewUserId(), false, 1);
        await db.Rooms.CreateRoomAsync(room);

        await db.Rooms.CreateRoomAsync(room with { RoomVersion = "11" });

        Assert.Equal(room, await db.Rooms.GetRoomAsync(room.RoomId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task SetPublic_Toggle_Updates(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = new RoomRecord(NewRoomId(), "10", NewUserId(), false, 1);
        await db.Rooms.CreateRoomAsync(room);

        await db.Rooms.SetPublicAsync(room.RoomId, true);
        Assert.True((await db.Rooms.GetRoomAsync(room.RoomId))!.IsPublic);
        Assert.Contains(room.RoomId, await db.Rooms.GetPublicRoomIdsAsync());

        await db.Rooms.SetPublicAsync(room.RoomId, false);
        Assert.False((await db.Rooms.GetRoomAsync(room.RoomId))!.IsPublic);
        Assert.DoesNotContain(room.RoomId, await db.Rooms.GetPublicRoomIdsAsync());
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetPublicRoomIds_Several_OrderedByJoinedCountThenId(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var tag = NewId();
        string Room(string n) => $"!{n}{tag}:test";
        var big = Room("c");      // 2 joined
        var tieA = Room("a");     // 1 joined (+1 left, not counted)
        var tieB = Room("b");     // 1 joined
        var empty = Room("d");    // 0 joined
        var hidden = Room("e");   // private
        foreach (var r in new[] { big, tieA, tieB, empty }) await db.Rooms.CreateRoomAsync(new RoomRecord(r, "10", "@x:test", true, 1));
        await db.Rooms.CreateRoomAsync(new RoomRecord(hidden, "10", "@x:test", false, 1));

        var so = await db.StreamIds.NextAsync("events", 6) - 6;
        await db.Events.PersistEventsAsync([
            (EventFactory.Member(big, NewUserId(), "join"), ++so),
            (EventFactory.Member(big, NewUserId(), "join"), ++so),
            (EventFactory.Member(tieA, NewUserId(), "join"), ++so),
            (EventFactory.Member(tieA, NewUserId(), "leave"), ++so),
            (EventFactory.Member(tieB, NewUserId(), "join"), ++so),
            (EventFactory.Member(hidden, NewUserId(), "join"), ++so),
        ]);

        var ids = (await db.Rooms.GetPublicRoomIdsAsync()).Where(r => r.EndsWith(tag + ":test", StringComparison.Ordinal)).ToList();

        Assert.Equal([big, tieA, tieB, empty], ids);
    }

    [Theory, SqliteData, PostgresData]
    public async Task ListRooms_Paged_OrderedByRoomId(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var tag = NewId();
        var rooms = Enumerable.Range(0, 4).Select(i => $"!list{tag}{i}:test").ToList();
        foreach (var r in rooms.AsEnumerable().Reverse()) await db.Rooms.CreateRoomAsync(new RoomRecord(r, "10", "@x:test", false, 1));

        var all = await db.Rooms.ListRoomsAsync(0, 100_000);
        Assert.Equal(all.Select(r => r.RoomId).Order(StringComparer.Ordinal), all.Select(r => r.RoomId));

        var start = all.ToList().FindIndex(r => r.RoomId == rooms[1]);
        Assert.Equal(rooms[1..3], (await db.Rooms.ListRoomsAsync(start, 2)).Select(r => r.RoomId));
    }
}
