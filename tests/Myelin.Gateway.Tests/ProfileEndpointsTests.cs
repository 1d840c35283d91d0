using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ProfileEndpointsTests(GatewayFixture fx)
{
    static string ProfilePath(string userId, string? field = null) =>
        "/_matrix/client/v3/profile/" + Uri.EscapeDataString(userId) + (field is null ? "" : "/" + field);

    static string LocalpartOf(string userId) => userId[1..userId.IndexOf(':')];

    /// <summary>The user's own m.room.member event in the room as an initial sync shows it.</summary>
    static async Task<JsonObject> MemberEventAsync(MatrixClient c, string roomId)
    {
        var sync = await c.SyncAsync();
        var room = sync["rooms"]!["join"]![roomId]!;
        var events = room["timeline"]!["events"]!.AsArray().Concat(room["state"]?["events"]?.AsArray() ?? []);
        return events.Select(e => e!.AsObject())
            .Where(e => (string?)e["type"] == "m.room.member" && (string?)e["state_key"] == c.UserId)
            .OrderBy(e => e["origin_server_ts"]!.GetValue<long>())
            .Last();
    }

    [Fact]
    public async Task GetProfile_NewUser_ReturnsLocalpartAsDisplayName()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var anonymous = fx.NewClient();
        var r = await anonymous.GetAsync(ProfilePath(alice.UserId));
        Assert.Equal(200, r.Status);
        Assert.Equal(LocalpartOf(alice.UserId), (string?)r.Json["displayname"]);
        Assert.False(r.Json.ContainsKey("avatar_url"));
    }

    [Fact]
    public async Task GetProfile_UnknownUser_Returns404NotFound()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(ProfilePath($"@{MatrixClient.NewLocalpart("nobody")}:localhost"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetProfile_InvalidUserId_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(ProfilePath("not-a-user-id"));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_Own_IsReturnedByGet()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var put = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = "Alice Margatroid" });
        Assert.Equal(200, put.Status);
        Assert.Empty(put.Json);

        var field = await alice.GetAsync(ProfilePath(alice.UserId, "displayname"));
        Assert.Equal(200, field.Status);
        Assert.Equal("Alice Margatroid", (string?)field.Json["displayname"]);
        Assert.Equal("Alice Margatroid", (string?)(await alice.GetAsync(ProfilePath(alice.UserId))).Json["displayname"]);
    }

    [Fact]
    public async Task PutAvatarUrl_Own_IsReturnedByGet()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var put = await alice.PutAsync(ProfilePath(alice.UserId, "avatar_url"), new { avatar_url = "mxc://localhost/abcdef" });
        Assert.Equal(200, put.Status);

        var field = await alice.GetAsync(ProfilePath(alice.UserId, "avatar_url"));
        Assert.Equal("mxc://localhost/abcdef", (string?)field.Json["avatar_url"]);
        Assert.Equal("mxc://localhost/abcdef", (string?)(await alice.GetAsync(ProfilePath(alice.UserId))).Json["avatar_url"]);
    }

    [Fact]
    public async Task GetAvatarUrl_NotSet_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(ProfilePath(alice.UserId, "avatar_url"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetDisplayName_UnknownUser_Returns404NotFound()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(ProfilePath($"@{MatrixClient.NewLocalpart("nobody")}:localhost", "displayname"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_OtherUser_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(bob.UserId, "displayname"), new { displayname = "Bobby" });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
        Assert.Equal(LocalpartOf(bob.UserId), (string?)(await bob.GetAsync(ProfilePath(bob.UserId))).Json["displayname"]);
    }

    [Fact]
    public async Task PutDisplayName_WithoutToken_Returns401MissingToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, ProfilePath(alice.UserId, "displayname"), new { displayname = "x" }, auth: false);
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_NotString_Returns400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = 7 });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_Null_Returns400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, ProfilePath(alice.UserId, "displayname"), rawBody: """{"displayname": null}""");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_MissingKey_Returns400MissingParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { avatar_url = "mxc://localhost/x" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_MISSING_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, ProfilePath(alice.UserId, "displayname"), rawBody: "displayname=x");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_BodyNotObject_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, ProfilePath(alice.UserId, "displayname"), rawBody: "[\"x\"]");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_TooLong_Returns400AndKeepsOldName()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = new string('n', 257) });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
        Assert.Equal(LocalpartOf(alice.UserId), (string?)(await alice.GetAsync(ProfilePath(alice.UserId))).Json["displayname"]);
    }

    [Fact]
    public async Task PutDisplayName_At256Chars_IsAccepted()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = new string('n', 256) });
        Assert.Equal(200, r.Status);
    }

    [Fact]
    public async Task PutAvatarUrl_TooLong_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "avatar_url"), new { avatar_url = "mxc://localhost/" + new string('a', 1000) });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_Empty_ClearsIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = "" });
        Assert.Equal(200, r.Status);
        Assert.Equal(404, (await alice.GetAsync(ProfilePath(alice.UserId, "displayname"))).Status);
    }

    [Fact]
    public async Task DeleteAvatarUrl_Own_RemovesIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        await alice.PutAsync(ProfilePath(alice.UserId, "avatar_url"), new { avatar_url = "mxc://localhost/abc" });
        var r = await alice.DeleteAsync(ProfilePath(alice.UserId, "avatar_url"));
        Assert.Equal(200, r.Status);
        Assert.False((await alice.GetAsync(ProfilePath(alice.UserId))).Json.ContainsKey("avatar_url"));
    }

    [Fact]
    public async Task GetProfileField_UnsupportedKey_Returns404Unrecognized()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(ProfilePath(alice.UserId, "m.tz"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_UNRECOGNIZED", r.ErrCode);
    }

    [Fact]
    public async Task PutDisplayName_JoinedRooms_ResendsMemberEventWithNewProfile()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room1 = await alice.CreateRoomAsync();
        var room2 = await alice.CreateRoomAsync();
        await alice.PutAsync(ProfilePath(alice.UserId, "avatar_url"), new { avatar_url = "mxc://localhost/pic" });

        var r = await alice.PutAsync(ProfilePath(alice.UserId, "displayname"), new { displayname = "Alice Renamed" });

        Assert.Equal(200, r.Status);
        foreach (var room in new[] { room1, room2 })
        {
            var content = (await MemberEventAsync(alice, room))["content"]!;
            Assert.Equal("join", (string?)content["membership"]);
            Assert.Equal("Alice Renamed", (string?)content["displayname"]);
            Assert.Equal("mxc://localhost/pic", (string?)content["avatar_url"]);
        }
    }

    [Fact]
    public async Task PutDisplayName_OtherMember_SeesNewNameInSync()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId } });
        await bob.JoinAsync(room);
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();

        await bob.PutAsync(ProfilePath(bob.UserId, "displayname"), new { displayname = "Robert" });

        var next = await alice.SyncAsync(since, timeoutMs: 10000);
        var events = next["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray();
        Assert.Contains(events, e => (string?)e!["type"] == "m.room.member" && (string?)e["state_key"] == bob.UserId
            && (string?)e["content"]!["displayname"] == "Robert");
    }
}
