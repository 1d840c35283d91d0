using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>GET /pushers and POST /pushers/set through HTTP: creating, replacing, deleting, the append rule,
/// what a device's logout takes with it, and every error the spec and Synapse give.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PusherEndpointsTests(GatewayFixture fx)
{
    const string Set = "/_matrix/client/v3/pushers/set";
    const string List = "/_matrix/client/v3/pushers";
    const string Url = "https://push.example.org/_matrix/push/v1/notify";

    internal static JsonObject HttpPusher(string pushkey, string url = Url, string appId = "org.example.app", JsonObject? data = null) => new()
    {
        ["kind"] = "http",
        ["app_id"] = appId,
        ["app_display_name"] = "Example",
        ["device_display_name"] = "Alice's phone",
        ["pushkey"] = pushkey,
        ["lang"] = "en",
        ["profile_tag"] = "xyz",
        ["data"] = data ?? new JsonObject { ["url"] = url },
    };

    static async Task<JsonArray> PushersAsync(MatrixClient c)
    {
        var r = await c.GetAsync(List);
        Assert.Equal(200, r.Status);
        return r.Json["pushers"]!.AsArray();
    }

    async Task<MatrixClient> LoginAgainAsync(MatrixClient user)
    {
        var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/login", new
        {
            type = "m.login.password",
            identifier = new { type = "m.id.user", user = user.UserId },
            password = "correct horse",
        });
        Assert.Equal(200, r.Status);
        c.AccessToken = r.Json["access_token"]!.GetValue<string>();
        return c;
    }

    [Fact]
    public async Task SetPusher_Http_ListedWithItsFields()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Empty(await PushersAsync(alice));
        var body = HttpPusher("key1", data: new JsonObject { ["url"] = Url, ["format"] = "event_id_only", ["custom"] = 7 });
        var r = await alice.PostAsync(Set, body);
        Assert.Equal(200, r.Status);
        Assert.Equal("{}", r.Json.ToJsonString());

        var p = Assert.Single(await PushersAsync(alice))!.AsObject();
        Assert.Equal(new JsonObject
        {
            ["app_display_name"] = "Example",
            ["app_id"] = "org.example.app",
            ["data"] = new JsonObject { ["url"] = Url, ["format"] = "event_id_only", ["custom"] = 7 },
            ["device_display_name"] = "Alice's phone",
            ["kind"] = "http",
            ["lang"] = "en",
            ["profile_tag"] = "xyz",
            ["pushkey"] = "key1",
        }.ToJsonString(), p.ToJsonString());
    }

    [Fact]
    public async Task SetPusher_SameAppIdAndPushkey_ReplacesIt_OtherPushkeyAdds()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher("k"))).Status);
        var changed = HttpPusher("k");
        changed["lang"] = "fr";
        changed.Remove("profile_tag");
        Assert.Equal(200, (await alice.PostAsync(Set, changed)).Status);
        var p = Assert.Single(await PushersAsync(alice))!;
        Assert.Equal("fr", (string)p["lang"]!);
        Assert.Equal("", (string)p["profile_tag"]!);

        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher("k2"))).Status);
        Assert.Equal(["k", "k2"], (await PushersAsync(alice)).Select(x => (string)x!["pushkey"]!));
    }

    [Fact]
    public async Task SetPusher_KindNull_DeletesIt_AndDeletingNothingIsFine()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher("k"))).Status);
        var delete = new JsonObject { ["kind"] = null, ["app_id"] = "org.example.app", ["pushkey"] = "k" };
        Assert.Equal(200, (await alice.PostAsync(Set, delete)).Status);
        Assert.Empty(await PushersAsync(alice));
        Assert.Equal(200, (await alice.PostAsync(Set, delete)).Status);
    }

    [Fact]
    public async Task SetPusher_WithoutAppend_TakesThePushkeyFromOtherUsers_AppendKeepsThem()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var key = "shared-" + Guid.NewGuid().ToString("N");
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher(key))).Status);

        var appended = HttpPusher(key);
        appended["append"] = true;
        Assert.Equal(200, (await bob.PostAsync(Set, appended)).Status);
        Assert.Single(await PushersAsync(alice));
        Assert.Single(await PushersAsync(bob));

        // spec: otherwise the homeserver must remove other users' pushers with the same app_id and pushkey.
        Assert.Equal(200, (await bob.PostAsync(Set, HttpPusher(key))).Status);
        Assert.Empty(await PushersAsync(alice));
        Assert.Single(await PushersAsync(bob));
    }

    [Fact]
    public async Task SetPusher_MissingParams_400MissingParamNamingThem()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var body = HttpPusher("k");
        body.Remove("lang");
        body.Remove("data");
        var r = await alice.PostAsync(Set, body);
        Assert.Equal((400, "M_MISSING_PARAM"), (r.Status, r.ErrCode));
        Assert.Equal("Missing params: ['lang', 'data']", (string)r.Json["error"]!);

        // A null kind without app_id is not a deletion: the same check answers.
        r = await alice.PostAsync(Set, new JsonObject { ["kind"] = null, ["pushkey"] = "k" });
        Assert.Equal((400, "M_MISSING_PARAM"), (r.Status, r.ErrCode));
        Assert.Empty(await PushersAsync(alice));
    }

    [Theory]
    [InlineData(null, "'data' key can not be null for HTTP pusher")]
    [InlineData("{}", "'url' required in data for HTTP pusher")]
    [InlineData("""{"url":5}""", "'url' must be a string")]
    [InlineData("""{"url":"https://push.example.org/notify"}""", "'url' must have a path of '/_matrix/push/v1/notify'")]
    [InlineData("""{"url":"/_matrix/push/v1/notify"}""", "'url' must be an http or https URL")]
    [InlineData("""{"url":"ftp://push.example.org/_matrix/push/v1/notify"}""", "'url' must be an http or https URL")]
    public async Task SetPusher_BadHttpData_400ConfigError(string? data, string problem)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var body = HttpPusher("k");
        body["data"] = data is null ? null : JsonNode.Parse(data);
        var r = await alice.PostAsync(Set, body);
        Assert.Equal((400, "M_MISSING_PARAM"), (r.Status, r.ErrCode));
        Assert.Equal("Config Error: " + problem, (string)r.Json["error"]!);
        Assert.Empty(await PushersAsync(alice));
    }

    [Theory]
    [InlineData("app_id", "5")]
    [InlineData("pushkey", "true")]
    [InlineData("kind", "[]")]
    [InlineData("lang", "{}")]
    [InlineData("append", "\"yes\"")]
    [InlineData("data", "\"https://push.example.org/_matrix/push/v1/notify\"")]
    [InlineData("app_id", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"")]
    public async Task SetPusher_WrongTypeOrTooLong_400InvalidParam(string field, string value)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var body = HttpPusher("k");
        body[field] = JsonNode.Parse(value);
        var r = await alice.PostAsync(Set, body);
        Assert.Equal((400, "M_INVALID_PARAM"), (r.Status, r.ErrCode));
        Assert.Empty(await PushersAsync(alice));
    }

    [Fact]
    public async Task SetPusher_PushkeyOver512Bytes_400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync(Set, HttpPusher(new string('é', 257)));
        Assert.Equal((400, "M_INVALID_PARAM"), (r.Status, r.ErrCode));
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher(new string('k', 512)))).Status);
    }

    [Fact]
    public async Task SetPusher_Email_WithoutThatAddressAsA3pid_400ThreepidNotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var body = HttpPusher("alice@example.org", appId: "m.email");
        body["kind"] = "email";
        body["data"] = new JsonObject();
        var r = await alice.PostAsync(Set, body);
        Assert.Equal((400, "M_THREEPID_NOT_FOUND"), (r.Status, r.ErrCode));
        Assert.Empty(await PushersAsync(alice));
    }

    [Fact]
    public async Task Pushers_BadRequests_MatrixErrors()
    {
        using var anon = fx.NewClient();
        Assert.Equal((401, "M_MISSING_TOKEN"), await StatusOf(anon.GetAsync(List)));
        Assert.Equal((401, "M_MISSING_TOKEN"), await StatusOf(anon.PostAsync(Set, HttpPusher("k"))));
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Equal((400, "M_NOT_JSON"), await StatusOf(alice.SendAsync(HttpMethod.Post, Set, rawBody: "{nope")));
        Assert.Equal((400, "M_BAD_JSON"), await StatusOf(alice.SendAsync(HttpMethod.Post, Set, rawBody: "[1]")));
    }

    static async Task<(int, string?)> StatusOf(Task<MatrixClient.Response> request)
    {
        var r = await request;
        return (r.Status, r.ErrCode);
    }

    [Fact]
    public async Task Logout_RemovesThatDevicesPushers_OnlyThem()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher("desk"))).Status);
        Assert.Equal(200, (await phone.PostAsync(Set, HttpPusher("phone"))).Status);
        // Set again from the first device: it stays the phone's (Synapse keeps the device of an edited pusher).
        var edited = HttpPusher("phone");
        edited["lang"] = "de";
        Assert.Equal(200, (await alice.PostAsync(Set, edited)).Status);

        Assert.Equal(200, (await phone.PostAsync("/_matrix/client/v3/logout")).Status);
        Assert.Equal(["desk"], (await PushersAsync(alice)).Select(p => (string)p!["pushkey"]!));
    }

    [Fact]
    public async Task LogoutAll_RemovesEveryPusher()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        Assert.Equal(200, (await alice.PostAsync(Set, HttpPusher("desk"))).Status);
        Assert.Equal(200, (await phone.PostAsync(Set, HttpPusher("phone"))).Status);
        Assert.Equal(200, (await phone.PostAsync("/_matrix/client/v3/logout/all")).Status);
        using var again = await LoginAgainAsync(alice);
        Assert.Empty(await PushersAsync(again));
    }

    [Fact]
    public async Task PusherOnALoopbackAddress_NothingSentByDefault()
    {
        // Synapse's default ip_range_blacklist: a pusher URL cannot make the server call into its own network.
        using var gateway = new FakePushGateway();
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        Assert.Equal(200, (await bob.PostAsync(Set, HttpPusher("loop", gateway.NotifyUrl))).Status);
        await alice.SendMessageAsync(room, "hello");
        await Task.Delay(2000);
        Assert.Empty(gateway.Received);
        Assert.Equal(0, gateway.FailedRequests);
    }
}
