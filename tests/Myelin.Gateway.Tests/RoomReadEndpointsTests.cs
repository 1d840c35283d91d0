using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RoomReadEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static string Room(string roomId, string rest) => $"/_matrix/client/v3/rooms/{E(roomId)}/{rest}";

    static List<JsonObject> Objects(JsonNode? array) => array!.AsArray().Select(e => e!.AsObject()).ToList();

    static async Task LeaveAsync(MatrixClient c, string roomId) =>
        Assert.Equal(200, (await c.PostAsync(Room(roomId, "leave"))).Status);

    static async Task SetNameAsync(MatrixClient c, string roomId, string name) =>
        Assert.Equal(200, (await c.PutAsync(Room(roomId, "state/m.room.name"), new { name })).Status);

    static object WithVisibility(string visibility, string preset = "public_chat") => new
    {
        preset,
        initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = visibility } } },
    };

    // ------------------------------------------------------------------ joined_rooms

    [Fact]
    public async Task JoinedRooms_AfterCreateJoinAndLeave_ListsOnlyJoinedRooms()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var kept = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var left = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(kept);
        await bob.JoinAsync(left);
        await LeaveAsync(bob, left);

        var r = await bob.GetAsync("/_matrix/client/v3/joined_rooms");

        Assert.Equal(200, r.Status);
        Assert.Equal([kept], r.Json["joined_rooms"]!.AsArray().Select(x => x!.GetValue<string>()));
    }

    [Fact]
    public async Task JoinedRooms_NoToken_Returns401()
    {
        using var anon = fx.NewClient();
        var r = await anon.GetAsync("/_matrix/client/v3/joined_rooms");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    // ------------------------------------------------------------------ members

    [Fact]
    public async Task Members_Default_ReturnsEveryMemberEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        using var carol = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", invite = new[] { carol.UserId } });
        await bob.JoinAsync(room);

        var r = await alice.GetAsync(Room(room, "members"));

        Assert.Equal(200, r.Status);
        var chunk = Objects(r.Json["chunk"]);
        Assert.All(chunk, e => Assert.Equal("m.room.member", e["type"]!.GetValue<string>()));
        Assert.All(chunk, e => Assert.Equal(room, e["room_id"]!.GetValue<string>()));
        var byUser = chunk.ToDictionary(e => e["state_key"]!.GetValue<string>(), e => e["content"]!["membership"]!.GetValue<string>());
        Assert.Equal("join", byUser[alice.UserId]);
        Assert.Equal("join", byUser[bob.UserId]);
        Assert.Equal("invite", byUser[carol.UserId]);
        Assert.Equal(3, byUser.Count);
    }

    [Fact]
    public async Task Members_MembershipAndNotMembership_FilterTheChunk()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        using var carol = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", invite = new[] { carol.UserId } });
        await bob.JoinAsync(room);
        await LeaveAsync(bob, room);

        var joined = await alice.GetAsync(Room(room, "members?membership=join"));
        var notLeave = await alice.GetAsync(Room(room, "members?not_membership=leave"));

        Assert.Equal([alice.UserId], Objects(joined.Json["chunk"]).Select(e => e["state_key"]!.GetValue<string>()));
        Assert.Equal(new[] { alice.UserId, carol.UserId }.Order(),
            Objects(notLeave.Json["chunk"]).Select(e => e["state_key"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task Members_AtSyncToken_ReturnsMembershipAsOfThen()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var before = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        await bob.JoinAsync(room);

        var then = await alice.GetAsync(Room(room, $"members?at={E(before)}"));
        var now = await alice.GetAsync(Room(room, "members"));

        Assert.Equal(200, then.Status);
        Assert.Equal([alice.UserId], Objects(then.Json["chunk"]).Select(e => e["state_key"]!.GetValue<string>()));
        Assert.Equal(2, Objects(now.Json["chunk"]).Count);
    }

    [Fact]
    public async Task Members_AtPrevBatch_ReturnsMembershipBeforeTimeline()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var sync = await alice.SyncAsync(filter: """{"room":{"timeline":{"limit":1}}}""");
        var prevBatch = sync["rooms"]!["join"]![room]!["timeline"]!["prev_batch"]!.GetValue<string>();

        // The timeline holds only bob's join, so the point before it has alice alone.
        var r = await alice.GetAsync(Room(room, $"members?at={E(prevBatch)}"));

        Assert.Equal(200, r.Status);
        Assert.Equal([alice.UserId], Objects(r.Json["chunk"]).Select(e => e["state_key"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Members_LeftUser_SeesMembersAsOfTheirLeave()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        using var carol = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        await LeaveAsync(bob, room);
        await carol.JoinAsync(room);

        var r = await bob.GetAsync(Room(room, "members"));

        Assert.Equal(200, r.Status);
        var users = Objects(r.Json["chunk"]).Select(e => e["state_key"]!.GetValue<string>()).ToList();
        Assert.Contains(bob.UserId, users);
        Assert.DoesNotContain(carol.UserId, users);
    }

    [Theory]
    [InlineData("members?membership=joined", "M_INVALID_PARAM")]
    [InlineData("members?not_membership=x", "M_INVALID_PARAM")]
    [InlineData("members?at=nonsense", "M_INVALID_PARAM")]
    public async Task Members_BadParameter_Returns400(string rest, string errcode)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Room(room, rest));

        Assert.Equal(400, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task Members_NonMember_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await eve.GetAsync(Room(room, "members"));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Members_InvalidRoomId_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync("/_matrix/client/v3/rooms/not-a-room/members");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    // ------------------------------------------------------------------ joined_members

    [Fact]
    public async Task JoinedMembers_Members_MapsJoinedUsersToTheirMemberProfile()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        using var carol = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", invite = new[] { carol.UserId } });
        await bob.JoinAsync(room);

        var r = await alice.GetAsync(Room(room, "joined_members"));

        Assert.Equal(200, r.Status);
        var joined = r.Json["joined"]!.AsObject();
        Assert.Equal(new[] { alice.UserId, bob.UserId }.Order(), joined.Select(kv => kv.Key).Order());
        var member = (await alice.GetAsync(Room(room, $"state/m.room.member/{E(bob.UserId)}"))).Json;
        Assert.Equal(member["displayname"]?.GetValue<string>(), joined[bob.UserId]!["display_name"]?.GetValue<string>());
        Assert.True(joined[bob.UserId]!.AsObject().ContainsKey("avatar_url"));
    }

    [Fact]
    public async Task JoinedMembers_LeftUser_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        await LeaveAsync(bob, room);

        var r = await bob.GetAsync(Room(room, "joined_members"));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    // ------------------------------------------------------------------ state

    [Fact]
    public async Task State_Member_ReturnsCurrentStateEvents()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await SetNameAsync(alice, room, "first");
        await SetNameAsync(alice, room, "second");

        var r = await alice.GetAsync(Room(room, "state"));

        Assert.Equal(200, r.Status);
        var events = Objects(r.Body);
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "m.room.create");
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "m.room.power_levels");
        var name = Assert.Single(events, e => e["type"]!.GetValue<string>() == "m.room.name");
        Assert.Equal("second", name["content"]!["name"]!.GetValue<string>());
        Assert.All(events, e => Assert.NotNull(e["state_key"]));
    }

    [Fact]
    public async Task State_LeftUser_SeesStateAsOfTheirLeave()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await SetNameAsync(alice, room, "old");
        await bob.JoinAsync(room);
        await LeaveAsync(bob, room);
        await SetNameAsync(alice, room, "new");

        var all = await bob.GetAsync(Room(room, "state"));
        var one = await bob.GetAsync(Room(room, "state/m.room.name/"));

        Assert.Equal(200, all.Status);
        Assert.Equal("old", Objects(all.Body).Single(e => e["type"]!.GetValue<string>() == "m.room.name")["content"]!["name"]!.GetValue<string>());
        Assert.Equal("old", one.Json["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task State_NonMember_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var all = await eve.GetAsync(Room(room, "state"));
        var one = await eve.GetAsync(Room(room, "state/m.room.create"));

        Assert.Equal(403, all.Status);
        Assert.Equal("M_FORBIDDEN", all.ErrCode);
        Assert.Equal(403, one.Status);
    }

    [Fact]
    public async Task State_WorldReadableRoom_NonMemberCanRead()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(WithVisibility("world_readable", "private_chat"));

        var r = await eve.GetAsync(Room(room, "state/m.room.create?format=event"));

        Assert.Equal(200, r.Status);
        Assert.Equal(alice.UserId, r.Json["sender"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("state/m.room.name")]
    [InlineData("state/m.room.name/")]
    public async Task StateEvent_EmptyStateKeyForms_ReturnContent(string rest)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await SetNameAsync(alice, room, "The Room");

        var r = await alice.GetAsync(Room(room, rest));

        Assert.Equal(200, r.Status);
        Assert.Equal("The Room", r.Json["name"]!.GetValue<string>());
        Assert.Null(r.Json["type"]);
    }

    [Fact]
    public async Task StateEvent_FormatEvent_ReturnsWholeEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await SetNameAsync(alice, room, "The Room");

        var r = await alice.GetAsync(Room(room, "state/m.room.name/?format=event"));

        Assert.Equal(200, r.Status);
        Assert.Equal("m.room.name", r.Json["type"]!.GetValue<string>());
        Assert.Equal("", r.Json["state_key"]!.GetValue<string>());
        Assert.Equal(alice.UserId, r.Json["sender"]!.GetValue<string>());
        Assert.Equal("The Room", r.Json["content"]!["name"]!.GetValue<string>());
        Assert.StartsWith("$", r.Json["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task StateEvent_StateKeyWithSlash_RoundTrips()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var put = await alice.PutAsync(Room(room, "state/org.example.thing/a%2Fb"), new { v = 1 });
        Assert.Equal(200, put.Status);

        var r = await alice.GetAsync(Room(room, "state/org.example.thing/a%2Fb"));

        Assert.Equal(200, r.Status);
        Assert.Equal(1, r.Json["v"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("state/m.room.topic")]
    [InlineData("state/m.room.member/@nobody:localhost")]
    public async Task StateEvent_Absent_Returns404NotFound(string rest)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Room(room, rest));

        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task StateEvent_BadFormat_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Room(room, "state/m.room.create?format=xml"));

        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    // ------------------------------------------------------------------ event

    [Fact]
    public async Task Event_Known_ReturnsClientEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(room, "hello");

        var r = await alice.GetAsync(Room(room, $"event/{E(id)}"));

        Assert.Equal(200, r.Status);
        Assert.Equal(id, r.Json["event_id"]!.GetValue<string>());
        Assert.Equal(room, r.Json["room_id"]!.GetValue<string>());
        Assert.Equal("hello", r.Json["content"]!["body"]!.GetValue<string>());
        Assert.NotNull(r.Json["unsigned"]?["transaction_id"]);
    }

    [Fact]
    public async Task Event_Unknown_Returns404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Room(room, $"event/{E("$nosuchevent:localhost")}"));

        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task Event_FromAnotherRoom_Returns404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var other = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(other, "elsewhere");

        var r = await alice.GetAsync(Room(room, $"event/{E(id)}"));

        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task Event_NonMember_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(room, "private");

        var r = await eve.GetAsync(Room(room, $"event/{E(id)}"));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Event_BeforeJoinUnderJoinedVisibility_Returns404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(WithVisibility("joined"));
        var early = await alice.SendMessageAsync(room, "before bob");
        await bob.JoinAsync(room);
        var late = await alice.SendMessageAsync(room, "after bob");

        var hidden = await bob.GetAsync(Room(room, $"event/{E(early)}"));
        var shown = await bob.GetAsync(Room(room, $"event/{E(late)}"));

        Assert.Equal(404, hidden.Status);
        Assert.Equal("M_NOT_FOUND", hidden.ErrCode);
        Assert.Equal(200, shown.Status);
    }

    [Fact]
    public async Task Event_InvitedVisibility_VisibleFromInvite()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(WithVisibility("invited", "private_chat"));
        var early = await alice.SendMessageAsync(room, "before invite");
        Assert.Equal(200, (await alice.PostAsync(Room(room, "invite"), new { user_id = bob.UserId })).Status);
        var invited = await alice.SendMessageAsync(room, "while invited");
        await bob.JoinAsync(room);

        Assert.Equal(404, (await bob.GetAsync(Room(room, $"event/{E(early)}"))).Status);
        Assert.Equal(200, (await bob.GetAsync(Room(room, $"event/{E(invited)}"))).Status);
    }

    [Fact]
    public async Task Event_SharedVisibility_NewMemberSeesEarlierHistory()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(WithVisibility("shared"));
        var early = await alice.SendMessageAsync(room, "before bob");
        await bob.JoinAsync(room);

        Assert.Equal(200, (await bob.GetAsync(Room(room, $"event/{E(early)}"))).Status);
    }

    [Fact]
    public async Task Event_AfterLeaving_LaterEventsReturn404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var during = await alice.SendMessageAsync(room, "during");
        await LeaveAsync(bob, room);
        var later = await alice.SendMessageAsync(room, "later");

        Assert.Equal(200, (await bob.GetAsync(Room(room, $"event/{E(during)}"))).Status);
        Assert.Equal(404, (await bob.GetAsync(Room(room, $"event/{E(later)}"))).Status);
    }

    // ------------------------------------------------------------------ context

    [Fact]
    public async Task Context_Limit_SplitsBeforeAndAfterWithUsableTokens()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var ids = new List<string>();
        for (var i = 0; i < 9; i++) ids.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var r = await alice.GetAsync(Room(room, $"context/{E(ids[4])}?limit=4"));

        Assert.Equal(200, r.Status);
        Assert.Equal(ids[4], r.Json["event"]!["event_id"]!.GetValue<string>());
        Assert.Equal([ids[3], ids[2]], Objects(r.Json["events_before"]).Select(e => e["event_id"]!.GetValue<string>()));
        Assert.Equal([ids[5], ids[6]], Objects(r.Json["events_after"]).Select(e => e["event_id"]!.GetValue<string>()));
        Assert.Contains(Objects(r.Json["state"]), e => e["type"]!.GetValue<string>() == "m.room.create");

        var back = await alice.GetAsync(Room(room, $"messages?dir=b&limit=1&from={E(r.Json["start"]!.GetValue<string>())}"));
        var fwd = await alice.GetAsync(Room(room, $"messages?dir=f&limit=1&from={E(r.Json["end"]!.GetValue<string>())}"));
        Assert.Equal(ids[1], Objects(back.Json["chunk"]).Single()["event_id"]!.GetValue<string>());
        Assert.Equal(ids[7], Objects(fwd.Json["chunk"]).Single()["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Context_LimitZero_ReturnsOnlyTheEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await alice.SendMessageAsync(room, "a");
        var id = await alice.SendMessageAsync(room, "b");
        await alice.SendMessageAsync(room, "c");

        var r = await alice.GetAsync(Room(room, $"context/{E(id)}?limit=0"));

        Assert.Equal(200, r.Status);
        Assert.Equal(id, r.Json["event"]!["event_id"]!.GetValue<string>());
        Assert.Empty(r.Json["events_before"]!.AsArray());
        Assert.Empty(r.Json["events_after"]!.AsArray());
    }

    [Fact]
    public async Task Context_Filter_AppliesToSurroundingEventsOnly()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var first = await alice.SendMessageAsync(room, "first");
        await SetNameAsync(alice, room, "named");
        var target = await alice.SendMessageAsync(room, "target");
        var filter = E("""{"types":["m.room.message"]}""");

        var r = await alice.GetAsync(Room(room, $"context/{E(target)}?limit=2&filter={filter}"));

        Assert.Equal(200, r.Status);
        Assert.Equal([first], Objects(r.Json["events_before"]).Select(e => e["event_id"]!.GetValue<string>()));
        Assert.Empty(Objects(r.Json["state"]));
    }

    [Fact]
    public async Task Context_UnknownEvent_Returns404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Room(room, $"context/{E("$missing:localhost")}"));

        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task Context_NonMember_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(room, "x");

        var r = await eve.GetAsync(Room(room, $"context/{E(id)}"));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Context_BadFilter_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(room, "x");

        var r = await alice.GetAsync(Room(room, $"context/{E(id)}?filter=%7Bbroken"));

        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }
}
