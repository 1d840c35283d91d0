using Dapper;

namespace Myelin.Storage.Tests;

public sealed class PushActionStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    /// <summary>Persists the events in one batch with fresh positions; returns the positions.</summary>
    static async Task<long[]> PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        var rows = events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList();
        await db.Events.PersistEventsAsync(rows);
        return rows.Select(r => r.Item2).ToArray();
    }

    static NewEvent Message(string room, string sender, params (string User, bool Highlight)[] notify) =>
        EventFactory.Message(room, sender) with
        {
            PushActions = notify.Select(n => new NewPushAction(n.User,
                n.Highlight ? """["notify",{"set_tweak":"highlight"}]""" : """["notify"]""", true, n.Highlight)).ToList(),
        };

    /// <summary>Writes a receipt row as the receipts writer does: at the receipts stream's next position.</summary>
    static Task<long> ReceiptAsync(MyelinDatabase db, string room, string user, string eventId, long eventOrdering,
        string type = "m.read", string thread = "") =>
        db.StreamIds.WriteAtNextAsync("receipts", (c, tx, position) => c.ExecuteAsync("""
            DELETE FROM receipts WHERE room_id = @Room AND receipt_type = @Type AND user_id = @User AND thread_id = @Thread;
            INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
            VALUES (@Room, @Type, @User, @Thread, @EventId, @Ordering, '{"ts":1}', @Position)
            """, new { Room = room, Type = type, User = user, Thread = thread, EventId = eventId, Ordering = eventOrdering, Position = position }, tx));

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_WithPushActions_ActionsWrittenWithTheEvents(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), alice = NewUserId(), bob = NewUserId(), carol = NewUserId();
        var first = Message(room, alice, (bob, false), (carol, true));
        var second = Message(room, alice, (bob, true));

        var positions = await PersistAsync(db, first, second);

        var forBob = await db.PushActions.GetNotificationsAsync(bob, null, 10, false);
        Assert.Equal([second.EventId, first.EventId], forBob.Select(n => n.Event.EventId));
        Assert.Equal([positions[1], positions[0]], forBob.Select(n => n.Event.StreamOrdering));
        Assert.Equal("""["notify",{"set_tweak":"highlight"}]""", forBob[0].ActionsJson);
        Assert.Equal([true, false], forBob.Select(n => n.Highlight));
        Assert.All(forBob, n => Assert.False(n.Read));
        Assert.Equal(second.Json, forBob[0].Event.Json);
        Assert.Single(await db.PushActions.GetNotificationsAsync(carol, null, 10, false));
        Assert.Empty(await db.PushActions.GetNotificationsAsync(alice, null, 10, false));
    }

    [Theory, SqliteData, PostgresData]
    public async Task PersistEvents_BatchFails_ItsPushActionsAreNotWrittenEither(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), alice = NewUserId(), bob = NewUserId();
        var existing = EventFactory.Message(room, alice);
        await PersistAsync(db, existing);
        var fresh = Message(room, alice, (bob, true));

        // The second event's ID is taken: the whole batch fails, the push actions with it.
        await Assert.ThrowsAnyAsync<Exception>(() => PersistAsync(db, fresh, existing with { PushActions = [new(bob, "[\"notify\"]", true, false)] }));

        Assert.Empty(await db.PushActions.GetNotificationsAsync(bob, null, 10, false));
        Assert.Equal((0, 0), await CountsAsync(db, bob, room, long.MaxValue));
    }

    static async Task<(long, long)> CountsAsync(MyelinDatabase db, string user, string room, long upTo)
    {
        var c = Assert.Single(await db.PushActions.GetUnreadCountsAsync(user, [room], upTo));
        Assert.Equal(room, c.RoomId);
        return (c.Notifications, c.Highlights);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUnreadCounts_AfterReceipts_OnlyLaterActionsCount(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), alice = NewUserId(), bob = NewUserId();
        var events = new[] { Message(room, alice, (bob, true)), Message(room, alice, (bob, false)), Message(room, alice, (bob, true)) };
        var positions = await PersistAsync(db, events);
        Assert.Equal((3, 2), await CountsAsync(db, bob, room, positions[2]));

        await ReceiptAsync(db, room, bob, events[0].EventId, positions[0]);
        Assert.Equal((2, 1), await CountsAsync(db, bob, room, positions[2]));

        // A private receipt further on counts as well; the latest of the counting receipts wins.
        var receiptPosition = await ReceiptAsync(db, room, bob, events[1].EventId, positions[1], type: "m.read.private");
        Assert.Equal((1, 1), await CountsAsync(db, bob, room, positions[2]));
        var counts = Assert.Single(await db.PushActions.GetUnreadCountsAsync(bob, [room], positions[2]));
        Assert.Equal(receiptPosition, counts.ReceiptStreamId);
        Assert.Equal(positions[2], counts.LatestUnread);

        // Up to a position before the last event: nothing unread.
        Assert.Equal((0, 0), await CountsAsync(db, bob, room, positions[1]));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUnreadCounts_ReceiptInAThread_DoesNotCount_MainThreadDoes(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), alice = NewUserId(), bob = NewUserId();
        var events = new[] { Message(room, alice, (bob, false)), Message(room, alice, (bob, false)) };
        var positions = await PersistAsync(db, events);

        await ReceiptAsync(db, room, bob, events[1].EventId, positions[1], thread: "$root");
        await ReceiptAsync(db, room, bob, events[1].EventId, positions[1], type: "m.fully_read");
        Assert.Equal((2, 0), await CountsAsync(db, bob, room, positions[1]));

        await ReceiptAsync(db, room, bob, events[0].EventId, positions[0], thread: "main");
        Assert.Equal((1, 0), await CountsAsync(db, bob, room, positions[1]));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUnreadCounts_ManyRooms_OneRowPerRoomAndOtherUsersIgnored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string quiet = NewRoomId(), busy = NewRoomId(), other = NewRoomId(), alice = NewUserId(), bob = NewUserId(), carol = NewUserId();
        var positions = await PersistAsync(db,
            Message(busy, alice, (bob, false), (carol, true)),
            Message(busy, alice, (bob, true)),
            Message(other, alice, (bob, false)),
            EventFactory.Message(quiet, alice));

        var counts = (await db.PushActions.GetUnreadCountsAsync(bob, [quiet, busy, busy], positions[^1]))
            .ToDictionary(c => c.RoomId);

        Assert.Equal(2, counts.Count); // the room asked for twice is one row; the other room was not asked for
        Assert.Equal((0L, 0L, 0L), (counts[quiet].Notifications, counts[quiet].Highlights, counts[quiet].LatestUnread));
        Assert.Equal((2L, 1L, positions[1]), (counts[busy].Notifications, counts[busy].Highlights, counts[busy].LatestUnread));
        Assert.Equal(0, counts[busy].ReceiptStreamId);
        Assert.Empty(await db.PushActions.GetUnreadCountsAsync(bob, [], positions[^1]));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetNotifications_PagesNewestFirst_OnlyHighlight_ReadFlag(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), alice = NewUserId(), bob = NewUserId();
        var events = Enumerable.Range(0, 5).Select(i => Message(room, alice, (bob, i % 2 == 0))).ToArray();
        var positions = await PersistAsync(db, events);
        await ReceiptAsync(db, room, bob, events[1].EventId, positions[1]);

        var page1 = await db.PushActions.GetNotificationsAsync(bob, null, 2, false);
        var page2 = await db.PushActions.GetNotificationsAsync(bob, page1[^1].Event.StreamOrdering, 2, false);
        var page3 = await db.PushActions.GetNotificationsAsync(bob, page2[^1].Event.StreamOrdering, 2, false);

        Assert.Equal(events.Reverse().Select(e => e.EventId), page1.Concat(page2).Concat(page3).Select(n => n.Event.EventId));
        Assert.Equal([false, false, false, true, true], page1.Concat(page2).Concat(page3).Select(n => n.Read));
        var highlights = await db.PushActions.GetNotificationsAsync(bob, null, 10, true);
        Assert.Equal([events[4].EventId, events[2].EventId, events[0].EventId], highlights.Select(n => n.Event.EventId));
        Assert.Empty(await db.PushActions.GetNotificationsAsync(bob, null, 0, false));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetPushRules_StoredRulesets_ByUser(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string bob = NewUserId(), carol = NewUserId();
        await db.AccountData.PutAccountDataAsync(bob, null, "m.push_rules", """{"global":{}}""");
        await db.AccountData.PutAccountDataAsync(bob, NewRoomId(), "m.push_rules", """{"room":"level"}""");
        await db.AccountData.PutAccountDataAsync(carol, null, "m.other", "{}");

        var rules = await db.PushActions.GetPushRulesAsync([bob, carol]);

        Assert.Equal("""{"global":{}}""", Assert.Single(rules, r => r.Key == bob).Value);
        Assert.False(rules.ContainsKey(carol));
    }
}
