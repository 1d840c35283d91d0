using System.Text.Json.Nodes;
using Dapper;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Sync;

/// <summary>
/// Push actions written by the room grain with each event, and the unread counts /sync builds from them
/// (the counts section run by the real SyncBuilder), including receipts written to the receipts table.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NotificationCountsTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    async Task<(string RoomId, IRoomGrain Room)> RoomWithAsync(string creator, params string[] members)
    {
        var roomId = MatrixIds.NewRoomId("localhost");
        var room = fx.Grains.Room(roomId);
        var levels = new JsonObject { ["users"] = new JsonObject { [creator] = 100 } }.ToJsonString();
        await room.Create(new CreateRoomCommand(creator, "10", "{}", """{"membership":"join"}""", levels,
            [new EventDraft("m.room.join_rules", "", creator, """{"join_rule":"public"}""")], false));
        foreach (var m in members) await room.Send(new EventDraft("m.room.member", m, m, """{"membership":"join"}"""), null);
        return (roomId, room);
    }

    static Task<string> SayAsync(IRoomGrain room, string sender, string body, string? mention = null)
    {
        var content = new JsonObject { ["msgtype"] = "m.text", ["body"] = body };
        if (mention is not null) content["m.mentions"] = new JsonObject { ["user_ids"] = new JsonArray(mention) };
        return room.Send(new EventDraft("m.room.message", null, sender, content.ToJsonString()), null);
    }

    Task<long> ReceiptAsync(string roomId, string userId, string eventId, string type = "m.read", string thread = "") =>
        fx.Db.StreamIds.WriteAtNextAsync(StreamNames.Receipts, async (c, tx, position) =>
        {
            var ordering = (await fx.Db.Events.GetEventAsync(eventId))!.StreamOrdering;
            await c.ExecuteAsync("""
                DELETE FROM receipts WHERE room_id = @RoomId AND receipt_type = @Type AND user_id = @UserId AND thread_id = @Thread;
                INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
                VALUES (@RoomId, @Type, @UserId, @Thread, @EventId, @Ordering, '{}', @Position)
                """, new { RoomId = roomId, Type = type, UserId = userId, Thread = thread, EventId = eventId, Ordering = ordering, Position = position }, tx);
        });

    async Task<SyncToken> NowAsync() => new(
        Events: await fx.Db.Events.GetMaxStreamOrderingAsync(),
        Receipts: await fx.Db.StreamIds.CurrentCommittedAsync(StreamNames.Receipts));

    async Task<(JsonObject Body, bool HasUpdates)> SyncAsync(string userId, SyncToken? since, SyncToken upTo)
    {
        var builder = new SyncBuilder(fx.Db, new RecentEventsCache(), userId, "DEV", SyncFilter.Default, since, upTo, false,
            [new NotificationCountsSection(fx.Db)]);
        var body = await builder.BuildAsync(await fx.Db.Events.GetMembershipsForUserAsync(userId));
        return (body, builder.HasUpdates);
    }

    static (long Notifications, long Highlights)? Counts(JsonObject body, string roomId) =>
        body["rooms"]!["join"]![roomId]?["unread_notifications"] is JsonObject u
            ? ((long)u["notification_count"]!, (long)u["highlight_count"]!) : null;

    [Fact]
    public async Task Send_Message_PushActionsOfTheOtherMembersPersistedWithTheEvent()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);

        var eventId = await SayAsync(room, alice, "hi both", mention: bob);

        var forBob = Assert.Single(await fx.Db.PushActions.GetNotificationsAsync(bob, null, 10, false));
        Assert.Equal(eventId, forBob.Event.EventId);
        Assert.Equal(roomId, forBob.Event.RoomId);
        Assert.True(forBob.Highlight);
        Assert.False(forBob.Read);
        Assert.False(Assert.Single(await fx.Db.PushActions.GetNotificationsAsync(carol, null, 10, false)).Highlight);
        Assert.Empty(await fx.Db.PushActions.GetNotificationsAsync(alice, null, 10, false));
    }

    [Fact]
    public async Task Sync_Initial_CountsEveryNotifyingMessageAndHighlights()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        await SayAsync(room, alice, "one");
        await SayAsync(room, alice, "two", mention: bob);
        await SayAsync(room, bob, "my own");

        var (body, _) = await SyncAsync(bob, null, await NowAsync());

        Assert.Equal((2, 1), Counts(body, roomId));
    }

    [Fact]
    public async Task Sync_UpToBeforeTheLaterMessages_CountsOnlyUpToTheToken()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        await SayAsync(room, alice, "one");
        var upTo = await NowAsync();
        await SayAsync(room, alice, "two");

        var (body, _) = await SyncAsync(bob, null, upTo);

        Assert.Equal((1, 0), Counts(body, roomId));
    }

    [Fact]
    public async Task Sync_ReceiptSinceTheToken_RoomSentWithTheLowerCounts()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        var first = await SayAsync(room, alice, "one", mention: bob);
        await SayAsync(room, alice, "two");
        await SayAsync(room, alice, "three");
        var since = await NowAsync();
        var (_, before) = await SyncAsync(bob, since, since);
        Assert.False(before); // nothing new since the token

        await ReceiptAsync(roomId, bob, first);
        var (body, hasUpdates) = await SyncAsync(bob, since, await NowAsync());

        Assert.True(hasUpdates);
        Assert.Equal((2, 0), Counts(body, roomId));
        Assert.Empty(body["rooms"]!["join"]![roomId]!["timeline"]!["events"]!.AsArray());
    }

    [Fact]
    public async Task Sync_PrivateOrMainThreadReceipt_ClearsCounts_OtherThreadDoesNot()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        await SayAsync(room, alice, "one");
        var second = await SayAsync(room, alice, "two");
        var third = await SayAsync(room, alice, "three");

        await ReceiptAsync(roomId, bob, third, thread: "$someThreadRoot");
        Assert.Equal((3, 0), Counts((await SyncAsync(bob, null, await NowAsync())).Body, roomId));

        await ReceiptAsync(roomId, bob, second, type: "m.read.private", thread: "main");
        Assert.Equal((1, 0), Counts((await SyncAsync(bob, null, await NowAsync())).Body, roomId));

        await ReceiptAsync(roomId, bob, third);
        Assert.Equal((0, 0), Counts((await SyncAsync(bob, null, await NowAsync())).Body, roomId));
    }

    [Fact]
    public async Task Sync_NewMessageSinceTheToken_CountsGrow()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        await SayAsync(room, alice, "one");
        var since = await NowAsync();

        await SayAsync(room, carol, "bob!", mention: bob);
        var (body, hasUpdates) = await SyncAsync(bob, since, await NowAsync());

        Assert.True(hasUpdates);
        Assert.Equal((2, 1), Counts(body, roomId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sync_OneSectionOverSeveralSyncs_AddsNewActionsAndRecountsOnlyAfterTheUsersReceipt(bool fromMemory)
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var (roomId, room) = await RoomWithAsync(alice, bob, carol);
        var (otherId, other) = await RoomWithAsync(carol, bob);
        // From memory: the new actions come from the recent events and the push actions the persister
        // recorded as it committed them, not from the database.
        var section = fromMemory ? new NotificationCountsSection(fx.Db, fx.Recent, fx.PushActions) : new NotificationCountsSection(fx.Db);
        async Task<(JsonObject Body, SyncToken Next)> SyncWith(SyncToken? since)
        {
            var upTo = await NowAsync();
            var builder = new SyncBuilder(fx.Db, new RecentEventsCache(), bob, "DEV", SyncFilter.Default, since, upTo, false, [section]);
            return (await builder.BuildAsync(await fx.Db.Events.GetMembershipsForUserAsync(bob)), upTo);
        }

        await SayAsync(room, alice, "one");
        var (body, token) = await SyncWith(null);
        Assert.Equal((1, 0), Counts(body, roomId));

        // New actions are added to what was counted.
        var two = await SayAsync(room, alice, "two", mention: bob);
        await SayAsync(other, carol, "elsewhere");
        (body, token) = await SyncWith(token);
        Assert.Equal((2, 1), Counts(body, roomId));
        Assert.Equal((1, 0), Counts(body, otherId));

        // Bob's receipt makes the room counted again; the other room keeps its count.
        await ReceiptAsync(roomId, bob, two);
        await SayAsync(room, alice, "three");
        (body, token) = await SyncWith(token);
        Assert.Equal((1, 0), Counts(body, roomId));

        // Someone else's receipt changes nothing of Bob's.
        await ReceiptAsync(otherId, carol, two);
        await SayAsync(other, carol, "again");
        (body, _) = await SyncWith(token);
        Assert.Equal((2, 0), Counts(body, otherId));
        Assert.Null(Counts(body, roomId)); // not sent: nothing new there
    }
}
