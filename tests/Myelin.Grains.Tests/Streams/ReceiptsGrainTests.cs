using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Streams;

[Collection(ClusterCollection.Name)]
public sealed class ReceiptsGrainTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    /// <summary>A public room created by alice and joined by bob, with one message from alice.</summary>
    async Task<(string RoomId, IRoomGrain Room, string Alice, string Bob, string Message)> RoomAsync()
    {
        var (alice, bob) = (NewUser(), NewUser());
        var roomId = MatrixIds.NewRoomId("localhost");
        var room = fx.Grains.Room(roomId);
        var powerLevels = new JsonObject { ["users"] = new JsonObject { [alice] = 100 } }.ToJsonString();
        await room.Create(new CreateRoomCommand(alice, "10", "{}", """{"membership":"join"}""", powerLevels,
            [new EventDraft("m.room.join_rules", "", alice, """{"join_rule":"public"}""")], false));
        await room.Send(new EventDraft("m.room.member", bob, bob, """{"membership":"join"}"""), null);
        var message = await SendAsync(room, alice, "hello");
        return (roomId, room, alice, bob, message);
    }

    static Task<string> SendAsync(IRoomGrain room, string sender, string body, JsonObject? relatesTo = null)
    {
        var content = new JsonObject { ["msgtype"] = "m.text", ["body"] = body };
        if (relatesTo is not null) content["m.relates_to"] = relatesTo;
        return room.Send(new EventDraft("m.room.message", null, sender, content.ToJsonString()), null);
    }

    static async Task<MatrixException> FailsAsync(Func<Task> call) => await Assert.ThrowsAsync<MatrixException>(call);

    [Fact]
    public async Task SetReadMarkers_Read_StoresTheReceiptAndPublishesItOnTheStream()
    {
        var (roomId, _, _, bob, message) = await RoomAsync();
        var updates = new ConcurrentQueue<StreamUpdate>();
        using var _ = fx.Bus.Subscribe(u => { if (u.Stream == StreamNames.Receipts && u.RoomIds.Contains(roomId)) updates.Enqueue(u); });

        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, message, null));

        var stored = await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null);
        Assert.NotNull(stored);
        Assert.Equal(message, stored.EventId);
        Assert.Equal((await fx.Db.Events.GetEventAsync(message))!.StreamOrdering, stored.EventStreamOrdering);
        Assert.True(JsonNode.Parse(stored.DataJson)!["ts"]!.GetValue<long>() > 0);
        var update = Assert.Single(updates);
        Assert.Equal(stored.StreamId, update.Position);
        Assert.Contains(bob, update.UserIds);
        Assert.True(fx.Bus.Position(StreamNames.Receipts) >= stored.StreamId);
    }

    [Fact]
    public async Task SetReadMarkers_OlderOrSameEvent_AcceptedButTheReceiptStays()
    {
        var (roomId, room, alice, bob, first) = await RoomAsync();
        var second = await SendAsync(room, alice, "again");
        var receipts = fx.Grains.Receipts(roomId);
        await receipts.SetReadMarkers(bob, new ReadMarkers(null, second, null));
        var before = await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null);

        await receipts.SetReadMarkers(bob, new ReadMarkers(null, first, null));
        await receipts.SetReadMarkers(bob, new ReadMarkers(null, second, null));

        Assert.Equal(before, await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null));
    }

    [Fact]
    public async Task SetReadMarkers_PrivateReceipt_StoredBesideThePublicOne()
    {
        var (roomId, room, alice, bob, first) = await RoomAsync();
        var second = await SendAsync(room, alice, "again");

        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, first, second));

        Assert.Equal(first, (await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null))!.EventId);
        Assert.Equal(second, (await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.ReadPrivate, bob, null))!.EventId);
    }

    [Fact]
    public async Task SetReadMarkers_NotJoined_Forbidden()
    {
        var (roomId, _, _, _, message) = await RoomAsync();

        var e = await FailsAsync(() => fx.Grains.Receipts(roomId).SetReadMarkers(NewUser(), new ReadMarkers(null, message, null)));

        Assert.Equal((403, "M_FORBIDDEN"), (e.Status, e.ErrCode));
    }

    [Fact]
    public async Task SetReadMarkers_UnknownEventOrOtherRoomsEvent_NotFoundAndNothingWritten()
    {
        var (roomId, _, _, bob, message) = await RoomAsync();
        var (_, _, _, _, elsewhere) = await RoomAsync();
        var receipts = fx.Grains.Receipts(roomId);

        var unknown = await FailsAsync(() => receipts.SetReadMarkers(bob, new ReadMarkers(null, "$nope", null)));
        var otherRoom = await FailsAsync(() => receipts.SetReadMarkers(bob, new ReadMarkers(null, elsewhere, null)));
        // One bad marker fails the whole request: the good receipt beside it is not stored.
        var mixed = await FailsAsync(() => receipts.SetReadMarkers(bob, new ReadMarkers("$nope", message, null)));

        Assert.All(new[] { unknown, otherRoom, mixed }, e => Assert.Equal((404, "M_NOT_FOUND"), (e.Status, e.ErrCode)));
        Assert.Null(await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null));
    }

    [Fact]
    public async Task SetReadMarkers_Threads_EventMustBeInTheThreadNamed()
    {
        var (roomId, room, alice, bob, root) = await RoomAsync();
        var inThread = await SendAsync(room, alice, "reply", new JsonObject { ["rel_type"] = "m.thread", ["event_id"] = root });
        var reaction = await room.Send(new EventDraft("m.reaction", null, alice,
            new JsonObject { ["m.relates_to"] = new JsonObject { ["rel_type"] = "m.annotation", ["event_id"] = inThread, ["key"] = "+1" } }.ToJsonString()), null);
        var mainline = await SendAsync(room, alice, "elsewhere");
        var receipts = fx.Grains.Receipts(roomId);

        await receipts.SetReadMarkers(bob, new ReadMarkers(null, inThread, null, root));
        await receipts.SetReadMarkers(bob, new ReadMarkers(null, reaction, null, root));
        await receipts.SetReadMarkers(bob, new ReadMarkers(null, null, mainline, Receipts.MainThread));
        var mainInThread = await FailsAsync(() => receipts.SetReadMarkers(bob, new ReadMarkers(null, inThread, null, Receipts.MainThread)));
        var threadOnMain = await FailsAsync(() => receipts.SetReadMarkers(bob, new ReadMarkers(null, mainline, null, root)));

        Assert.All(new[] { mainInThread, threadOnMain }, e => Assert.Equal((400, "M_INVALID_PARAM"), (e.Status, e.ErrCode)));
        Assert.Equal(reaction, (await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, root))!.EventId);
        Assert.Equal(mainline, (await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.ReadPrivate, bob, Receipts.MainThread))!.EventId);
        Assert.Null(await fx.Db.Receipts.GetReceiptAsync(roomId, Receipts.Read, bob, null));
    }

    [Fact]
    public async Task SetReadMarkers_FullyRead_RoomAccountDataThatOnlyMovesForwards()
    {
        var (roomId, room, alice, bob, first) = await RoomAsync();
        var second = await SendAsync(room, alice, "again");
        var receipts = fx.Grains.Receipts(roomId);

        await receipts.SetReadMarkers(bob, new ReadMarkers(second, null, null));
        await receipts.SetReadMarkers(bob, new ReadMarkers(first, null, null));

        var stored = await fx.Db.AccountData.GetAccountDataAsync(bob, roomId, Receipts.FullyRead);
        Assert.Equal(second, JsonNode.Parse(stored!)!["event_id"]!.GetValue<string>());
        // m.fully_read is not a receipt.
        Assert.Empty(await fx.Db.Receipts.GetCurrentAsync([roomId], long.MaxValue));
    }

    [Fact]
    public async Task SyncSection_PublicReceiptsToEveryone_PrivateOnlyToTheirOwner()
    {
        var (roomId, room, alice, bob, message) = await RoomAsync();
        var since = SyncToken.Current(fx.Bus);
        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, message, message));
        var upTo = SyncToken.Current(fx.Bus);

        var forBob = ReceiptContent(await SyncAsync(bob, since, upTo), roomId);
        var forAlice = ReceiptContent(await SyncAsync(alice, since, upTo), roomId);
        var initialForAlice = ReceiptContent(await SyncAsync(alice, null, upTo), roomId);

        Assert.NotNull(forBob![message]![Receipts.Read]![bob]!["ts"]);
        Assert.NotNull(forBob[message]![Receipts.ReadPrivate]![bob]);
        Assert.NotNull(forAlice![message]![Receipts.Read]![bob]);
        Assert.Null(forAlice[message]![Receipts.ReadPrivate]);
        Assert.NotNull(initialForAlice![message]![Receipts.Read]![bob]);
        Assert.Null(initialForAlice[message]![Receipts.ReadPrivate]);
        // Nothing new after upTo: no m.receipt at all.
        Assert.Null(ReceiptContent(await SyncAsync(alice, upTo, upTo), roomId));
    }

    [Fact]
    public async Task SyncSection_OnlyAPrivateReceiptOfAnother_NothingForTheRoom()
    {
        var (roomId, _, alice, bob, message) = await RoomAsync();
        var since = SyncToken.Current(fx.Bus);
        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, null, message));

        var body = await SyncAsync(alice, since, SyncToken.Current(fx.Bus));

        Assert.Null(ReceiptContent(body, roomId));
    }

    [Fact]
    public async Task SyncSection_OneRangeForManyMembers_SharedWhenPublic_PrivateStillOnlyToItsOwner()
    {
        var (roomId, room, alice, bob, message) = await RoomAsync();
        var section = new ReceiptsSyncSection(fx.Db, new RecentReceiptRanges(fx.Db));
        var since = SyncToken.Current(fx.Bus);
        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, message, null));
        var upTo = SyncToken.Current(fx.Bus);
        var publicForBob = ReceiptContent(await SyncAsync(bob, since, upTo, section), roomId);
        var publicForAlice = ReceiptContent(await SyncAsync(alice, since, upTo, section), roomId);
        Assert.NotNull(publicForAlice![message]![Receipts.Read]![bob]);
        Assert.Equal(publicForBob!.ToJsonString(), publicForAlice.ToJsonString());

        // The owner of a private receipt reads the range first: the next member must not get their view.
        var second = await SendAsync(room, alice, "again");
        var since2 = SyncToken.Current(fx.Bus);
        await fx.Grains.Receipts(roomId).SetReadMarkers(bob, new ReadMarkers(null, second, second));
        var upTo2 = SyncToken.Current(fx.Bus);
        var forBob = ReceiptContent(await SyncAsync(bob, since2, upTo2, section), roomId);
        var forAlice = ReceiptContent(await SyncAsync(alice, since2, upTo2, section), roomId);
        Assert.NotNull(forBob![second]![Receipts.ReadPrivate]![bob]);
        Assert.NotNull(forAlice![second]![Receipts.Read]![bob]);
        Assert.Null(forAlice[second]![Receipts.ReadPrivate]);
    }

    async Task<JsonObject> SyncAsync(string user, SyncToken? since, SyncToken upTo, ReceiptsSyncSection? section = null)
    {
        var builder = new SyncBuilder(fx.Db, new RecentEventsCache(), user, "DEVICE", SyncFilter.Default, since, upTo, fullState: false,
            [section ?? new ReceiptsSyncSection(fx.Db, new RecentReceiptRanges(fx.Db))]);
        return await builder.BuildAsync(await fx.Db.Events.GetMembershipsForUserAsync(user));
    }

    static JsonObject? ReceiptContent(JsonObject sync, string roomId) =>
        (sync["rooms"]!["join"]![roomId]?["ephemeral"]?["events"] as JsonArray)?
            .SingleOrDefault(e => e!["type"]!.GetValue<string>() == Receipts.EventType)?["content"] as JsonObject;
}
