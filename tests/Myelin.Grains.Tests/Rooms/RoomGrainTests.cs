using System.Text.Json.Nodes;
using Myelin.Grains.Rooms;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Rooms;

[Collection(ClusterCollection.Name)]
public sealed class RoomGrainTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    static string PowerLevels(string creator) =>
        new JsonObject { ["users"] = new JsonObject { [creator] = 100 }, ["state_default"] = 50, ["events_default"] = 0, ["invite"] = 0 }.ToJsonString();

    async Task<(string RoomId, IRoomGrain Room)> CreateRoomAsync(string creator, string joinRule = "invite")
    {
        var roomId = MatrixIds.NewRoomId("localhost");
        var room = fx.Grains.Room(roomId);
        await room.Create(new CreateRoomCommand(creator, "10", "{}", """{"membership":"join"}""", PowerLevels(creator),
            [new EventDraft("m.room.join_rules", "", creator, new JsonObject { ["join_rule"] = joinRule }.ToJsonString())], false));
        return (roomId, room);
    }

    [Fact]
    public async Task Create_NewRoom_PersistsCreateMemberAndPowerLevels()
    {
        var alice = NewUser();
        var (roomId, room) = await CreateRoomAsync(alice);
        var state = await fx.Db.Events.GetCurrentStateAsync(roomId);
        Assert.Contains(state, e => e.Type == "m.room.create");
        Assert.Contains(state, e => e.Type == "m.room.member" && e.StateKey == alice);
        Assert.Contains(state, e => e.Type == "m.room.power_levels");
        Assert.Equal("join", await room.GetMembership(alice));
    }

    [Fact]
    public async Task Send_EventsLinkTheDag_PrevEventsIsTheLastEventAndDepthGrows()
    {
        var alice = NewUser();
        var (roomId, room) = await CreateRoomAsync(alice);
        var first = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"1","msgtype":"m.text"}"""), null);
        var second = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"2","msgtype":"m.text"}"""), null);
        var e1 = (await fx.Db.Events.GetEventAsync(first))!;
        var e2 = (await fx.Db.Events.GetEventAsync(second))!;
        var pdu2 = JsonNode.Parse(e2.Json)!.AsObject();
        Assert.Equal(first, pdu2["prev_events"]![0]!.GetValue<string>());
        Assert.Equal(e1.Depth + 1, e2.Depth);
        Assert.True(e2.StreamOrdering > e1.StreamOrdering);
        // The event ID is the reference hash of the stored PDU (room version 10).
        Assert.Equal(second, EventHashing.ComputeEventId(pdu2, RoomVersions.V10));
        Assert.NotEmpty(pdu2["auth_events"]!.AsArray());
    }

    [Fact]
    public async Task Send_SameTxnTwice_ReturnsSameEventOnce()
    {
        var alice = NewUser();
        var (roomId, room) = await CreateRoomAsync(alice);
        var txn = new TxnKey(alice, "DEV", "txn-1");
        var draft = new EventDraft("m.room.message", null, alice, """{"body":"once","msgtype":"m.text"}""");
        var results = await Task.WhenAll(room.Send(draft, txn), room.Send(draft, txn));
        Assert.Equal(results[0], results[1]);
        var events = await fx.Db.Events.GetRoomEventsAsync(roomId, 0, long.MaxValue, 100);
        Assert.Single(events, e => e.Type == "m.room.message");
    }

    [Fact]
    public async Task Send_NonMember_IsForbidden()
    {
        var (_, room) = await CreateRoomAsync(NewUser());
        var e = await Assert.ThrowsAsync<MatrixException>(() =>
            room.Send(new EventDraft("m.room.message", null, NewUser(), """{"body":"x"}"""), null));
        Assert.Equal(403, e.Status);
        Assert.Equal("M_FORBIDDEN", e.ErrCode);
    }

    [Fact]
    public async Task Join_InviteOnlyWithoutInvite_IsForbiddenAndWithInviteSucceeds()
    {
        var alice = NewUser();
        var bob = NewUser();
        var (_, room) = await CreateRoomAsync(alice);
        await Assert.ThrowsAsync<MatrixException>(() =>
            room.Send(new EventDraft("m.room.member", bob, bob, """{"membership":"join"}"""), null));
        await room.Send(new EventDraft("m.room.member", bob, alice, """{"membership":"invite"}"""), null);
        await room.Send(new EventDraft("m.room.member", bob, bob, """{"membership":"join"}"""), null);
        Assert.Equal("join", await room.GetMembership(bob));
    }

    [Fact]
    public async Task Send_ManyConcurrent_AllPersistedInOrderWithDistinctDepths()
    {
        var alice = NewUser();
        var (roomId, room) = await CreateRoomAsync(alice);
        var ids = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            room.Send(new EventDraft("m.room.message", null, alice, $$"""{"body":"{{i}}","msgtype":"m.text"}"""), null)));
        var events = (await fx.Db.Events.GetRoomEventsAsync(roomId, 0, long.MaxValue, 1000)).Where(e => e.Type == "m.room.message").ToList();
        Assert.Equal(50, events.Count);
        Assert.Equal(ids.Order(), events.Select(e => e.EventId).Order());
        // Stream order and DAG order agree: each event's prev_event is the one before it.
        for (var i = 1; i < events.Count; i++)
        {
            Assert.Equal(events[i - 1].Depth + 1, events[i].Depth);
            var prev = JsonNode.Parse(events[i].Json)!["prev_events"]![0]!.GetValue<string>();
            Assert.Equal(events[i - 1].EventId, prev);
        }
    }

    [Fact]
    public async Task Redact_OwnMessage_PrunesStoredContent()
    {
        var alice = NewUser();
        var (_, room) = await CreateRoomAsync(alice);
        var msg = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"secret","msgtype":"m.text"}"""), null);
        var redaction = await room.Send(new EventDraft("m.room.redaction", null, alice, "{}", msg), null);
        var stored = JsonNode.Parse((await fx.Db.Events.GetEventAsync(msg))!.Json)!.AsObject();
        Assert.Empty(stored["content"]!.AsObject());
        Assert.Equal(redaction, stored["unsigned"]!["redacted_because"]!["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Redact_OthersMessageWithoutPower_IsForbidden()
    {
        var alice = NewUser();
        var bob = NewUser();
        var (_, room) = await CreateRoomAsync(alice, joinRule: "public");
        await room.Send(new EventDraft("m.room.member", bob, bob, """{"membership":"join"}"""), null);
        var msg = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"mine"}"""), null);
        var e = await Assert.ThrowsAsync<MatrixException>(() =>
            room.Send(new EventDraft("m.room.redaction", null, bob, "{}", msg), null));
        Assert.Equal(403, e.Status);
    }

    [Fact]
    public async Task Reactivation_AfterDeactivate_ContinuesTheDag()
    {
        var alice = NewUser();
        var (roomId, room) = await CreateRoomAsync(alice);
        var before = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"a"}"""), null);
        var mgmt = fx.Cluster.Client.GetGrain<IManagementGrain>(0);
        await mgmt.ForceActivationCollection(TimeSpan.Zero);
        var after = await room.Send(new EventDraft("m.room.message", null, alice, """{"body":"b"}"""), null);
        var pdu = JsonNode.Parse((await fx.Db.Events.GetEventAsync(after))!.Json)!;
        Assert.Equal(before, pdu["prev_events"]![0]!.GetValue<string>());
    }
}
