using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AccountDataEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    [Fact]
    public async Task PutGlobal_ThenGet_ReturnsContent_AndSyncCarriesIt()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var since = (await a.SyncAsync())["next_batch"]!.GetValue<string>();
        var put = await a.PutAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/m.direct", new Dictionary<string, string[]> { ["@x:localhost"] = ["!r:localhost"] });
        Assert.Equal(200, put.Status);
        var got = await a.GetAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/m.direct");
        Assert.Equal(200, got.Status);
        Assert.Equal("!r:localhost", got.Json["@x:localhost"]![0]!.GetValue<string>());
        var sync = await a.SyncAsync(since, timeoutMs: 5000);
        Assert.Contains(sync["account_data"]!["events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "m.direct");
    }

    [Fact]
    public async Task PutRoom_ThenGet_AndSyncShowsItInTheRoom()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var since = (await a.SyncAsync())["next_batch"]!.GetValue<string>();
        await a.PutAsync($"/_matrix/client/v3/user/{E(a.UserId)}/rooms/{E(room)}/account_data/org.example.note", new { text = "hi" });
        var got = await a.GetAsync($"/_matrix/client/v3/user/{E(a.UserId)}/rooms/{E(room)}/account_data/org.example.note");
        Assert.Equal("hi", got.Json["text"]!.GetValue<string>());
        var sync = await a.SyncAsync(since, timeoutMs: 5000);
        var events = sync["rooms"]!["join"]![room]!["account_data"]!["events"]!.AsArray();
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "org.example.note");
    }

    [Fact]
    public async Task Get_Missing_Returns404()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.GetAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/org.example.none");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task PutOrGet_OtherUsersData_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        Assert.Equal(403, (await b.PutAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/m.direct", new { })).Status);
        Assert.Equal(403, (await b.GetAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/m.direct")).Status);
    }

    [Theory]
    [InlineData("m.fully_read")]
    [InlineData("m.push_rules")]
    public async Task Put_ServerManagedType_Returns400(string type)
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.PutAsync($"/_matrix/client/v3/user/{E(a.UserId)}/account_data/{type}", new { });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task Put_NotAnObject_Returns400()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.SendAsync(HttpMethod.Put, $"/_matrix/client/v3/user/{E(a.UserId)}/account_data/m.direct", rawBody: "[1]");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task Tags_PutGetDelete_RoundTrip()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var basePath = $"/_matrix/client/v3/user/{E(a.UserId)}/rooms/{E(room)}/tags";
        Assert.Equal(200, (await a.PutAsync($"{basePath}/m.favourite", new { order = 0.25 })).Status);
        Assert.Equal(200, (await a.PutAsync($"{basePath}/u.work", new { })).Status);
        var tags = (await a.GetAsync(basePath)).Json["tags"]!.AsObject();
        Assert.Equal(0.25, tags["m.favourite"]!["order"]!.GetValue<double>());
        Assert.NotNull(tags["u.work"]);
        Assert.Equal(200, (await a.DeleteAsync($"{basePath}/u.work")).Status);
        tags = (await a.GetAsync(basePath)).Json["tags"]!.AsObject();
        Assert.Null(tags["u.work"]);
        var sync = await a.SyncAsync();
        var tagEvent = sync["rooms"]!["join"]![room]!["account_data"]!["events"]!.AsArray().First(e => e!["type"]!.GetValue<string>() == "m.tag")!;
        Assert.NotNull(tagEvent["content"]!["tags"]!["m.favourite"]);
    }

    [Fact]
    public async Task Tags_OrderNotNumber_Returns400()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.PutAsync($"/_matrix/client/v3/user/{E(a.UserId)}/rooms/{E(room)}/tags/m.favourite", new { order = "high" });
        Assert.Equal(400, r.Status);
    }

    [Fact]
    public async Task Tags_EmptyRoom_ReturnsEmptyTags()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.GetAsync($"/_matrix/client/v3/user/{E(a.UserId)}/rooms/{E(room)}/tags");
        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json["tags"]!.AsObject());
    }
}
