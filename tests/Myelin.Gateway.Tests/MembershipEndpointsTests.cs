using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MembershipEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static async Task<string?> MembershipAsync(MatrixClient viewer, string room, string user)
    {
        var r = await viewer.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.member/{E(user)}");
        return r.Status == 200 ? r.Json["membership"]!.GetValue<string>() : null;
    }

    [Fact]
    public async Task Join_InviteOnlyWithoutInvite_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/join");
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Join_PublicRoomByAlias_Joins()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var aliasName = MatrixClient.NewLocalpart("a");
        var room = await a.CreateRoomAsync(new { preset = "public_chat", room_alias_name = aliasName });
        var r = await b.PostAsync($"/_matrix/client/v3/join/{E($"#{aliasName}:localhost")}");
        Assert.Equal(200, r.Status);
        Assert.Equal(room, r.Json["room_id"]!.GetValue<string>());
        Assert.Equal("join", await MembershipAsync(a, room, b.UserId));
    }

    [Fact]
    public async Task Join_UnknownAlias_Returns404()
    {
        using var b = await fx.NewClient().RegisterAsync();
        var r = await b.PostAsync($"/_matrix/client/v3/join/{E("#nope-" + Guid.NewGuid().ToString("N") + ":localhost")}");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task Join_UnknownRoom_Returns404()
    {
        using var b = await fx.NewClient().RegisterAsync();
        var r = await b.PostAsync($"/_matrix/client/v3/rooms/{E("!unknownroomxyz:localhost")}/join");
        Assert.Equal(404, r.Status);
    }

    [Fact]
    public async Task Join_InvalidRoomId_Returns400()
    {
        using var b = await fx.NewClient().RegisterAsync();
        var r = await b.PostAsync($"/_matrix/client/v3/rooms/not-a-room/join");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task InviteThenJoin_Works_AndLeaveEndsMembership()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        Assert.Equal(200, (await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/invite", new { user_id = b.UserId })).Status);
        Assert.Equal("invite", await MembershipAsync(a, room, b.UserId));
        await b.JoinAsync(room);
        Assert.Equal("join", await MembershipAsync(a, room, b.UserId));
        Assert.Equal(200, (await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave")).Status);
        Assert.Equal("leave", await MembershipAsync(a, room, b.UserId));
    }

    [Fact]
    public async Task Invite_BadUserId_Returns400()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/invite", new { user_id = "bob" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task Invite_NonMember_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        using var c = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/invite", new { user_id = c.UserId });
        Assert.Equal(403, r.Status);
    }

    [Fact]
    public async Task KickBanUnban_ByAdmin_ChangeMembership_AndBannedCannotRejoin()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        Assert.Equal(200, (await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/kick", new { user_id = b.UserId, reason = "bye" })).Status);
        Assert.Equal("leave", await MembershipAsync(a, room, b.UserId));
        await b.JoinAsync(room);
        Assert.Equal(200, (await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/ban", new { user_id = b.UserId })).Status);
        Assert.Equal("ban", await MembershipAsync(a, room, b.UserId));
        Assert.Equal(403, (await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/join")).Status);
        Assert.Equal(200, (await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/unban", new { user_id = b.UserId })).Status);
        Assert.Equal("leave", await MembershipAsync(a, room, b.UserId));
        await b.JoinAsync(room);
    }

    [Fact]
    public async Task Kick_ByUnprivilegedMember_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var r = await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/kick", new { user_id = a.UserId });
        Assert.Equal(403, r.Status);
    }

    [Fact]
    public async Task Forget_WhileJoined_Returns400_AfterLeaveRoomDropsFromSync()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var joined = await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/forget");
        Assert.Equal(400, joined.Status);
        await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave");
        Assert.Equal(200, (await a.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/forget")).Status);
        var sync = await a.SyncAsync(filter: """{"room":{"include_leave":true}}""");
        Assert.Null(sync["rooms"]!["leave"]![room]);
    }
}
