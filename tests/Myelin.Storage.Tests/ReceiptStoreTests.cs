namespace Myelin.Storage.Tests;

public sealed class ReceiptStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    const string Read = "m.read";
    const string ReadPrivate = "m.read.private";

    [Theory, SqliteData, PostgresData]
    public async Task PutReceipt_New_StoredAtAStreamPosition(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, user, ev) = (NewRoomId(), NewUserId(), NewEventId());

        var position = await db.Receipts.PutReceiptAsync(room, Read, user, null, ev, 10, """{"ts":1}""");

        Assert.NotNull(position);
        Assert.Equal(new ReceiptRow(room, Read, user, null, ev, 10, """{"ts":1}""", position.Value),
            await db.Receipts.GetReceiptAsync(room, Read, user, null));
        Assert.Equal(position, await db.StreamIds.CurrentCommittedAsync("receipts"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PutReceipt_LaterEvent_ReplacesAtAHigherPosition(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, user) = (NewRoomId(), NewUserId());
        var (first, second) = (NewEventId(), NewEventId());

        var p1 = await db.Receipts.PutReceiptAsync(room, Read, user, null, first, 10, """{"ts":1}""");
        var p2 = await db.Receipts.PutReceiptAsync(room, Read, user, null, second, 11, """{"ts":2}""");

        Assert.True(p2 > p1);
        var changed = await db.Receipts.GetChangedAsync([room], 0, p2!.Value);
        Assert.Equal([new ReceiptRow(room, Read, user, null, second, 11, """{"ts":2}""", p2.Value)], changed);
    }

    [Theory, SqliteData, PostgresData]
    public async Task PutReceipt_SameOrEarlierEvent_IgnoredAndNoPositionDrawn(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, user, ev) = (NewRoomId(), NewUserId(), NewEventId());
        var p1 = await db.Receipts.PutReceiptAsync(room, Read, user, null, ev, 10, """{"ts":1}""");
        var before = await db.StreamIds.CurrentCommittedAsync("receipts");

        Assert.Null(await db.Receipts.PutReceiptAsync(room, Read, user, null, ev, 10, """{"ts":2}"""));
        Assert.Null(await db.Receipts.PutReceiptAsync(room, Read, user, null, NewEventId(), 9, """{"ts":3}"""));

        var stored = await db.Receipts.GetReceiptAsync(room, Read, user, null);
        Assert.Equal((ev, """{"ts":1}""", p1!.Value), (stored!.EventId, stored.DataJson, stored.StreamId));
        Assert.Equal(before, await db.StreamIds.CurrentCommittedAsync("receipts"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PutReceipt_ConcurrentWriters_LatestEventWins(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, user) = (NewRoomId(), NewUserId());
        var orderings = Enumerable.Range(1, 30).OrderBy(_ => Guid.NewGuid()).ToList();

        // Racing writers may all pass the check before the write: the write itself must not go backwards.
        await Task.WhenAll(orderings.Select(o => Task.Run(() =>
            db.Receipts.PutReceiptAsync(room, Read, user, null, $"$e{o}", o, "{}"))));

        var stored = await db.Receipts.GetReceiptAsync(room, Read, user, null);
        Assert.Equal(("$e30", 30L), (stored!.EventId, stored.EventStreamOrdering));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PutReceipt_TypesAndThreadsAreSeparateReceipts(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, user) = (NewRoomId(), NewUserId());

        // Each kind has its own "latest": an earlier event in another kind is not ignored.
        Assert.NotNull(await db.Receipts.PutReceiptAsync(room, Read, user, null, "$unthreaded", 20, "{}"));
        Assert.NotNull(await db.Receipts.PutReceiptAsync(room, ReadPrivate, user, null, "$private", 15, "{}"));
        Assert.NotNull(await db.Receipts.PutReceiptAsync(room, Read, user, "main", "$main", 12, "{}"));
        Assert.NotNull(await db.Receipts.PutReceiptAsync(room, Read, user, "$root", "$inthread", 11, "{}"));

        Assert.Equal("$unthreaded", (await db.Receipts.GetReceiptAsync(room, Read, user, null))!.EventId);
        Assert.Equal("$private", (await db.Receipts.GetReceiptAsync(room, ReadPrivate, user, null))!.EventId);
        Assert.Equal("$main", (await db.Receipts.GetReceiptAsync(room, Read, user, "main"))!.EventId);
        Assert.Equal("$inthread", (await db.Receipts.GetReceiptAsync(room, Read, user, "$root"))!.EventId);
        Assert.Null(await db.Receipts.GetReceiptAsync(room, ReadPrivate, user, "main"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetChanged_Range_OnlyTheRoomsAndPositionsAsked(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, other, unasked) = (NewRoomId(), NewRoomId(), NewRoomId());
        var a = (await db.Receipts.PutReceiptAsync(room, Read, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;
        var b = (await db.Receipts.PutReceiptAsync(other, Read, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;
        await db.Receipts.PutReceiptAsync(unasked, Read, NewUserId(), null, NewEventId(), 1, "{}");
        var c = (await db.Receipts.PutReceiptAsync(room, ReadPrivate, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;

        var changed = await db.Receipts.GetChangedAsync([room, other], a, c);

        Assert.Equal([b, c], changed.Select(r => r.StreamId));
        Assert.Empty(await db.Receipts.GetChangedAsync([room, other], c, c));
        Assert.Empty(await db.Receipts.GetChangedAsync([], 0, c));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetAllChanged_EveryRoom_InPositionOrder_Limited(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (room, other) = (NewRoomId(), NewRoomId());
        var a = (await db.Receipts.PutReceiptAsync(room, Read, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;
        var b = (await db.Receipts.PutReceiptAsync(other, Read, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;
        var c = (await db.Receipts.PutReceiptAsync(room, Read, NewUserId(), null, NewEventId(), 1, "{}"))!.Value;

        // Other tests write receipts too: only ours are asserted, and the order of all.
        var changed = await db.Receipts.GetAllChangedAsync(a, c, 1000);
        Assert.Equal([b, c], changed.Where(r => r.RoomId == room || r.RoomId == other).Select(r => r.StreamId));
        Assert.Equal(changed.Select(r => r.StreamId).Order(), changed.Select(r => r.StreamId));
        Assert.All(changed, r => Assert.InRange(r.StreamId, a + 1, c));
        Assert.Single(await db.Receipts.GetAllChangedAsync(a, c, 1));
        Assert.Empty(await db.Receipts.GetAllChangedAsync(c, c, 10));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetCurrent_ManyRooms_EveryLatestReceiptUpToThePosition(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        // More rooms than one query takes: the store reads them in chunks.
        var rooms = Enumerable.Range(0, 620).Select(_ => NewRoomId()).ToList();
        var target = rooms[^1];
        await db.Receipts.PutReceiptAsync(target, Read, user, null, "$old", 1, "{}");
        var latest = (await db.Receipts.PutReceiptAsync(target, Read, user, null, "$new", 2, "{}"))!.Value;
        var first = (await db.Receipts.PutReceiptAsync(rooms[0], Read, user, null, "$first", 1, "{}"))!.Value;
        var later = (await db.Receipts.PutReceiptAsync(rooms[1], Read, user, null, "$later", 1, "{}"))!.Value;

        var current = await db.Receipts.GetCurrentAsync(rooms, first);

        Assert.Equal([(target, "$new", latest), (rooms[0], "$first", first)], current.Select(r => (r.RoomId, r.EventId, r.StreamId)));
        Assert.Contains(await db.Receipts.GetCurrentAsync(rooms, later), r => r.EventId == "$later");
    }
}
