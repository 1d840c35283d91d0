using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class PresenceEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);
    static string Status(string userId) => $"/_matrix/client/v3/presence/{E(userId)}/status";

    /// <summary>Two users sharing a room, and a third who shares none.</summary>
    async Task<(MatrixClient A, MatrixClient B, MatrixClient Stranger)> UsersAsync()
    {
        var a = await fx.NewClient().RegisterAsync();
        var b = await fx.NewClient().RegisterAsync();
        var stranger = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        return (a, b, stranger);
    }

    static async Task<JsonObject> SyncAsync(MatrixClient c, string? since = null, int timeoutMs = 0, string? setPresence = null)
    {
        var q = $"timeout={timeoutMs}" + (since is null ? "" : "&since=" + E(since)) + (setPresence is null ? "" : "&set_presence=" + setPresence);
        var r = await c.GetAsync("/_matrix/client/v3/sync?" + q);
        Assert.Equal(200, r.Status);
        return r.Json;
    }

    /// <summary>The content of the last m.presence event from the sender in a sync response, or null.</summary>
    static JsonObject? PresenceOf(JsonObject sync, string sender) =>
        sync["presence"]!["events"]!.AsArray().LastOrDefault(e => (string?)e!["sender"] == sender && (string?)e["type"] == "m.presence")
            ?["content"]?.AsObject();

    /// <summary>Long-polls until the sender's presence satisfies the check (other presence can wake a poll first).</summary>
    static async Task<JsonObject> WaitForPresenceAsync(MatrixClient c, string since, string sender, Func<JsonObject, bool> check)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var sync = await SyncAsync(c, since, timeoutMs: 5000);
            if (PresenceOf(sync, sender) is { } p && check(p)) return p;
            since = (string)sync["next_batch"]!;
        }
        throw new TimeoutException($"no matching m.presence from {sender}");
    }

    [Fact]
    public async Task Put_ThenGetOwn_ReturnsStateAndStatus()
    {
        using var a = await fx.NewClient().RegisterAsync();

        var put = await a.PutAsync(Status(a.UserId), new { presence = "online", status_msg = "coding" });
        Assert.Equal(200, put.Status);
        Assert.Empty(put.Json);

        var got = await a.GetAsync(Status(a.UserId));
        Assert.Equal(200, got.Status);
        Assert.Equal("online", (string?)got.Json["presence"]);
        Assert.Equal("coding", (string?)got.Json["status_msg"]);
        Assert.True((bool?)got.Json["currently_active"]);
        Assert.InRange((long)got.Json["last_active_ago"]!, 0, 60_000);
    }

    [Fact]
    public async Task Put_RoomMateSeesMPresenceInSync_StrangerDoesNot()
    {
        var (a, b, stranger) = await UsersAsync();
        using var _a = a; using var _b = b; using var _s = stranger;
        var bSince = (string)(await SyncAsync(b))["next_batch"]!;
        var strangerSince = (string)(await SyncAsync(stranger))["next_batch"]!;
        await SyncAsync(a); // online, and so active once

        Assert.Equal(200, (await a.PutAsync(Status(a.UserId), new { presence = "unavailable", status_msg = "brb" })).Status);

        var seen = await WaitForPresenceAsync(b, bSince, a.UserId, p => (string?)p["presence"] == "unavailable");
        Assert.Equal("brb", (string?)seen["status_msg"]);
        Assert.True(seen.ContainsKey("last_active_ago"));
        Assert.False(seen.ContainsKey("currently_active"));
        var strangers = await SyncAsync(stranger, strangerSince, timeoutMs: 1000);
        Assert.Null(PresenceOf(strangers, a.UserId));
        Assert.Null(PresenceOf(await SyncAsync(stranger), a.UserId));
    }

    [Fact]
    public async Task InitialSync_CarriesRoomMatesCurrentPresence()
    {
        var (a, b, stranger) = await UsersAsync();
        using var _a = a; using var _b = b; using var _s = stranger;
        await a.PutAsync(Status(a.UserId), new { presence = "online", status_msg = "here" });

        var sync = await SyncAsync(b);

        var p = PresenceOf(sync, a.UserId);
        Assert.NotNull(p);
        Assert.Equal("online", (string?)p!["presence"]);
        Assert.Equal("here", (string?)p["status_msg"]);
        // The user's own presence comes too: this sync brought them online.
        Assert.Equal("online", (string?)PresenceOf(sync, b.UserId)?["presence"]);
    }

    [Fact]
    public async Task SetPresenceUnavailable_OnSync_SetsIt_AndRoomMatesSeeIt()
    {
        var (a, b, stranger) = await UsersAsync();
        using var _a = a; using var _b = b; using var _s = stranger;
        var aSince = (string)(await SyncAsync(a))["next_batch"]!;

        var own = await SyncAsync(b, setPresence: "unavailable");

        Assert.Equal("unavailable", (string?)PresenceOf(own, b.UserId)?["presence"]);
        Assert.Equal("unavailable", (string?)(await b.GetAsync(Status(b.UserId))).Json["presence"]);
        await WaitForPresenceAsync(a, aSince, b.UserId, p => (string?)p["presence"] == "unavailable");
    }

    [Fact]
    public async Task SendingAMessage_WhenUnavailable_BringsTheUserOnline()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        await SyncAsync(a, setPresence: "unavailable");
        Assert.Equal("unavailable", (string?)(await a.GetAsync(Status(a.UserId))).Json["presence"]);

        await a.SendMessageAsync(room, "back");

        // Told to the presence grain in the background.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        JsonObject got;
        do got = (await a.GetAsync(Status(a.UserId))).Json;
        while ((string?)got["presence"] != "online" && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal("online", (string?)got["presence"]);
        Assert.True((bool?)got["currently_active"]);

        static async Task<bool> Delay() { await Task.Delay(100); return true; }
    }

    [Fact]
    public async Task SetPresenceOffline_OnSync_LeavesPresenceAlone()
    {
        using var a = await fx.NewClient().RegisterAsync();
        await a.PutAsync(Status(a.UserId), new { presence = "unavailable" });

        await SyncAsync(a, setPresence: "offline");

        Assert.Equal("unavailable", (string?)(await a.GetAsync(Status(a.UserId))).Json["presence"]);
    }

    [Fact]
    public async Task Sync_BadSetPresence_Returns400()
    {
        using var a = await fx.NewClient().RegisterAsync();

        var r = await a.GetAsync("/_matrix/client/v3/sync?set_presence=away");

        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task Get_RoomMate_200_Stranger_403()
    {
        var (a, b, stranger) = await UsersAsync();
        using var _a = a; using var _b = b; using var _s = stranger;
        await a.PutAsync(Status(a.UserId), new { presence = "online" });

        var mate = await b.GetAsync(Status(a.UserId));
        Assert.Equal(200, mate.Status);
        Assert.Equal("online", (string?)mate.Json["presence"]);

        var denied = await stranger.GetAsync(Status(a.UserId));
        Assert.Equal(403, denied.Status);
        Assert.Equal("M_FORBIDDEN", denied.ErrCode);
    }

    [Fact]
    public async Task Get_NeverSeenSelf_Offline()
    {
        using var a = await fx.NewClient().RegisterAsync();

        var r = await a.GetAsync(Status(a.UserId));

        Assert.Equal(200, r.Status);
        Assert.Equal("offline", (string?)r.Json["presence"]);
    }

    [Fact]
    public async Task Put_OtherUser_403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();

        var r = await b.PutAsync(Status(a.UserId), new { presence = "online" });

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Theory]
    [InlineData("""{"presence":"away"}""", "M_INVALID_PARAM")]
    [InlineData("""{"presence":"busy"}""", "M_INVALID_PARAM")]
    [InlineData("""{"status_msg":"hi"}""", "M_MISSING_PARAM")]
    [InlineData("""{"presence":1}""", "M_BAD_JSON")]
    [InlineData("""{"presence":"online","status_msg":5}""", "M_BAD_JSON")]
    [InlineData("""{"presence":"online","mood":"good"}""", "M_BAD_JSON")]
    [InlineData("""[]""", "M_BAD_JSON")]
    [InlineData("""{presence""", "M_NOT_JSON")]
    public async Task Put_BadBody_400(string body, string errcode)
    {
        using var a = await fx.NewClient().RegisterAsync();

        var r = await a.SendAsync(HttpMethod.Put, Status(a.UserId), rawBody: body);

        Assert.Equal(400, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task Get_InvalidUserId_400()
    {
        using var a = await fx.NewClient().RegisterAsync();

        var r = await a.GetAsync("/_matrix/client/v3/presence/not-a-user/status");

        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task NoToken_401()
    {
        using var c = fx.NewClient();

        var r = await c.GetAsync(Status("@someone:localhost"));

        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task PresenceDisabled_GetAnswersOffline_PutIsAccepted_SyncCarriesNone()
    {
        await using var gateway = await GatewayProcess.StartAsync("presence:\n  enabled: false");
        using var a = await new MatrixClient(gateway.BaseUrl).RegisterAsync();
        using var b = await new MatrixClient(gateway.BaseUrl).RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var since = (string)(await SyncAsync(b))["next_batch"]!;

        var put = await a.PutAsync(Status(a.UserId), new { presence = "online", status_msg = "hi" });
        Assert.Equal(200, put.Status);
        Assert.Empty(put.Json);

        var own = await a.GetAsync(Status(a.UserId));
        Assert.Equal(200, own.Status);
        Assert.Equal(new JsonObject { ["presence"] = "offline" }.ToJsonString(), own.Json.ToJsonString());
        // As Synapse: not even the room check is made.
        using var stranger = await new MatrixClient(gateway.BaseUrl).RegisterAsync();
        Assert.Equal("offline", (string?)(await stranger.GetAsync(Status(a.UserId))).Json["presence"]);

        Assert.Empty((await SyncAsync(a))["presence"]!["events"]!.AsArray());
        Assert.Empty((await SyncAsync(b, since, timeoutMs: 500))["presence"]!["events"]!.AsArray());
    }
}
