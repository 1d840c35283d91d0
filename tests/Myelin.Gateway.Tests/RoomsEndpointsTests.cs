using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RoomsEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    async Task<JsonObject> StateEventAsync(MatrixClient c, string room, string type, string key = "")
    {
        var r = await c.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state");
        Assert.Equal(200, r.Status);
        return r.Body!.AsArray().Select(x => x!.AsObject())
            .First(e => e["type"]!.GetValue<string>() == type && e["state_key"]!.GetValue<string>() == key);
    }

    [Fact]
    public async Task CreateRoom_PublicPresetWithNameTopicAlias_SetsState()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var aliasName = MatrixClient.NewLocalpart("a");
        var r = await a.PostAsync("/_matrix/client/v3/createRoom",
            new { preset = "public_chat", name = "The Room", topic = "About", room_alias_name = aliasName });
        Assert.Equal(200, r.Status);
        var room = r.Json["room_id"]!.GetValue<string>();
        Assert.Equal($"#{aliasName}:localhost", r.Json["room_alias"]!.GetValue<string>());
        Assert.Equal("public", (await StateEventAsync(a, room, "m.room.join_rules"))["content"]!["join_rule"]!.GetValue<string>());
        Assert.Equal("The Room", (await StateEventAsync(a, room, "m.room.name"))["content"]!["name"]!.GetValue<string>());
        Assert.Equal("About", (await StateEventAsync(a, room, "m.room.topic"))["content"]!["topic"]!.GetValue<string>());
        Assert.Equal($"#{aliasName}:localhost",
            (await StateEventAsync(a, room, "m.room.canonical_alias"))["content"]!["alias"]!.GetValue<string>());
        var create = await StateEventAsync(a, room, "m.room.create");
        Assert.Equal("10", create["content"]!["room_version"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateRoom_PrivateDefault_IsInviteOnlyWithGuestAccess()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        Assert.Equal("invite", (await StateEventAsync(a, room, "m.room.join_rules"))["content"]!["join_rule"]!.GetValue<string>());
        Assert.Equal("can_join", (await StateEventAsync(a, room, "m.room.guest_access"))["content"]!["guest_access"]!.GetValue<string>());
        Assert.Equal("shared", (await StateEventAsync(a, room, "m.room.history_visibility"))["content"]!["history_visibility"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateRoom_Version11AndPowerOverride_Applied()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { room_version = "11", power_level_content_override = new { events_default = 20 } });
        var create = await StateEventAsync(a, room, "m.room.create");
        Assert.Equal("11", create["content"]!["room_version"]!.GetValue<string>());
        Assert.Null(create["content"]!["creator"]); // v11: the creator is the sender
        var pl = await StateEventAsync(a, room, "m.room.power_levels");
        Assert.Equal(20, pl["content"]!["events_default"]!.GetValue<int>());
        Assert.Equal(100, pl["content"]!["users"]![a.UserId]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateRoom_InitialStateReplacesPresetEvent()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new
        {
            preset = "private_chat",
            initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = "joined" } } },
        });
        Assert.Equal("joined", (await StateEventAsync(a, room, "m.room.history_visibility"))["content"]!["history_visibility"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateRoom_InviteIsDirect_InviteeSeesDirectInvite()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { invite = new[] { b.UserId }, is_direct = true, preset = "trusted_private_chat" });
        var sync = await b.SyncAsync();
        var inviteState = sync["rooms"]!["invite"]![room]!["invite_state"]!["events"]!.AsArray();
        var member = inviteState.First(e => e!["type"]!.GetValue<string>() == "m.room.member" && e["state_key"]!.GetValue<string>() == b.UserId)!;
        Assert.Equal("invite", member["content"]!["membership"]!.GetValue<string>());
        Assert.True(member["content"]!["is_direct"]!.GetValue<bool>());
        var pl = await StateEventAsync(a, room, "m.room.power_levels");
        Assert.Equal(100, pl["content"]!["users"]![b.UserId]!.GetValue<int>()); // trusted_private_chat
    }

    [Fact]
    public async Task CreateRoom_UnsupportedVersion_Returns400UnsupportedRoomVersion()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.PostAsync("/_matrix/client/v3/createRoom", new { room_version = "1" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNSUPPORTED_ROOM_VERSION", r.ErrCode);
    }

    [Fact]
    public async Task CreateRoom_AliasTaken_Returns400RoomInUse()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var aliasName = MatrixClient.NewLocalpart("a");
        await a.CreateRoomAsync(new { room_alias_name = aliasName });
        var r = await a.PostAsync("/_matrix/client/v3/createRoom", new { room_alias_name = aliasName });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_ROOM_IN_USE", r.ErrCode);
    }

    [Theory]
    [InlineData("""{"visibility":"secret"}""", "M_INVALID_PARAM")]
    [InlineData("""{"preset":"nope"}""", "M_INVALID_PARAM")]
    [InlineData("""{"invite":["not-a-user"]}""", "M_INVALID_PARAM")]
    [InlineData("""{"name":5}""", "M_BAD_JSON")]
    [InlineData("""{"initial_state":[{"type":"m.room.power_levels","content":{}}]}""", "M_BAD_JSON")]
    [InlineData("[1,2]", "M_BAD_JSON")]
    [InlineData("{oops", "M_NOT_JSON")]
    public async Task CreateRoom_BadInput_Returns400(string body, string errcode)
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.SendAsync(HttpMethod.Post, "/_matrix/client/v3/createRoom", rawBody: body);
        Assert.Equal(400, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task CreateRoom_NoToken_Returns401()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/createRoom", new { });
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }
}
