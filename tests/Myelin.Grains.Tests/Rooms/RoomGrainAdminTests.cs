using System.Text.Json.Nodes;
using Myelin.Grains.Rooms;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Rooms;

/// <summary>The admin API's hold on a room grain: blocking and purging.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RoomGrainAdminTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    async Task<(string RoomId, IRoomGrain Room)> CreatePublicRoomAsync(string creator)
    {
        var roomId = MatrixIds.NewRoomId("localhost");
        var room = fx.Grains.Room(roomId);
        var power = new JsonObject { ["users"] = new JsonObject { [creator] = 100 }, ["invite"] = 0 }.ToJsonString();
        await room.Create(new CreateRoomCommand(creator, "10", "{}", """{"membership":"join"}""", power,
            [new EventDraft("m.room.join_rules", "", creator, """{"join_rule":"public"}""")], false));
        return (roomId, room);
    }

    static EventDraft Member(string user, string sender, string membership) =>
        new("m.room.member", user, sender, new JsonObject { ["membership"] = membership }.ToJsonString());

    [Fact]
    public async Task Block_JoinsAndInvitesRefused_LeavesAndMessagesAllowed()
    {
        var alice = NewUser();
        var bob = NewUser();
        var carol = NewUser();
        var (_, room) = await CreatePublicRoomAsync(alice);
        await room.Send(Member(bob, bob, "join"), null);

        await room.Block();

        var join = await Assert.ThrowsAsync<MatrixException>(() => room.Send(Member(carol, carol, "join"), null));
        Assert.Equal((403, "M_FORBIDDEN"), (join.Status, join.ErrCode));
        await Assert.ThrowsAsync<MatrixException>(() => room.Send(Member(carol, alice, "invite"), null));
        await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"still here","msgtype":"m.text"}"""), null);
        await room.Send(Member(bob, bob, "leave"), null);
        Assert.Equal("leave", await room.GetMembership(bob));
    }

    [Fact]
    public async Task Purge_RoomGoneFromDatabaseAndGrain_SendsRefused()
    {
        var alice = NewUser();
        var (roomId, room) = await CreatePublicRoomAsync(alice);
        await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"x","msgtype":"m.text"}"""), null);

        await room.Purge();

        Assert.Null(await fx.Db.Rooms.GetRoomAsync(roomId));
        Assert.Empty(await fx.Db.Events.GetCurrentStateAsync(roomId));
        Assert.Null(await fx.Db.Events.GetLatestEventAsync(roomId));
        await Assert.ThrowsAsync<MatrixException>(() => room.Send(new EventDraft("m.room.message", null, alice, """{"body":"y","msgtype":"m.text"}"""), null));
        Assert.Null(await room.GetInfo());
    }
}
