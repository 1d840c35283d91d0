using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ToDeviceEndpointsTests(GatewayFixture fx)
{
    static string SendPath(string? txnId = null, string type = "m.test") =>
        $"/_matrix/client/v3/sendToDevice/{Uri.EscapeDataString(type)}/{txnId ?? Guid.NewGuid().ToString("N")}";

    static JsonObject To(string userId, string deviceId, JsonObject content) =>
        new() { ["messages"] = new JsonObject { [userId] = new JsonObject { [deviceId] = content } } };

    static List<JsonObject> ToDevice(JsonObject sync) =>
        sync["to_device"]!["events"]!.AsArray().Select(e => e!.AsObject()).ToList();

    static string NextBatch(JsonObject sync) => sync["next_batch"]!.GetValue<string>();

    /// <summary>Logs the user in again: a second device with its own token. Returns it and its device ID.</summary>
    async Task<(MatrixClient Client, string DeviceId)> LoginAgainAsync(MatrixClient user)
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
        return (c, r.Json["device_id"]!.GetValue<string>());
    }

    async Task SendOkAsync(MatrixClient from, JsonObject body, string? txnId = null, string type = "m.test")
    {
        var r = await from.PutAsync(SendPath(txnId, type), body);
        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json);
    }

    [Fact]
    public async Task Send_ToADevice_SyncDeliversItOnceAndNotAfterTheNextToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var since = NextBatch(await bob.SyncAsync());

        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["hello"] = "bob" }), type: "m.room_key_request");

        var sync = await bob.SyncAsync(since, timeoutMs: 10_000);
        var ev = Assert.Single(ToDevice(sync));
        Assert.Equal(["type", "sender", "content"], ev.Select(p => p.Key));
        Assert.Equal("m.room_key_request", ev["type"]!.GetValue<string>());
        Assert.Equal(alice.UserId, ev["sender"]!.GetValue<string>());
        Assert.Equal("bob", ev["content"]!["hello"]!.GetValue<string>());

        var next = await bob.SyncAsync(NextBatch(sync));
        Assert.Empty(ToDevice(next));
        // Acknowledged by that sync, so gone: even a sync from the start does not bring it back.
        Assert.Empty(ToDevice(await bob.SyncAsync()));
    }

    [Fact]
    public async Task Send_UnacknowledgedMessage_ComesAgainWithTheSameToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var since = NextBatch(await bob.SyncAsync());

        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["n"] = 1 }));

        Assert.Single(ToDevice(await bob.SyncAsync(since, timeoutMs: 10_000)));
        // The response was lost: the client syncs again from its old token and gets the message again.
        Assert.Single(ToDevice(await bob.SyncAsync(since)));
    }

    [Fact]
    public async Task Sync_LongPollFromTheTokenThatCarriedMessages_AcknowledgesThemWithoutWaiting()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var since = NextBatch(await bob.SyncAsync());
        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["n"] = 1 }));
        var sync = await bob.SyncAsync(since, timeoutMs: 10_000);
        Assert.Single(ToDevice(sync));

        // The next long-poll parks (nothing new), but its token acknowledges the message at once: a sync
        // from the start made meanwhile no longer finds it.
        var parked = bob.SyncAsync(NextBatch(sync), timeoutMs: 3_000);
        await Task.Delay(500);
        Assert.False(parked.IsCompleted);
        Assert.Empty(ToDevice(await bob.SyncAsync()));
        Assert.Empty(ToDevice(await parked));
    }

    [Fact]
    public async Task Send_Star_ReachesEachDeviceOfTheUserOnce()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var (bobPhone, _) = await LoginAgainAsync(bob);
        using var _phone = bobPhone;

        await SendOkAsync(alice, To(bob.UserId, "*", new JsonObject { ["to"] = "all" }));

        foreach (var device in new[] { bob, bobPhone })
        {
            var sync = await device.SyncAsync();
            Assert.Equal("all", Assert.Single(ToDevice(sync))["content"]!["to"]!.GetValue<string>());
            Assert.Empty(ToDevice(await device.SyncAsync(NextBatch(sync))));
        }
    }

    [Fact]
    public async Task Send_ToOneDevice_OtherDevicesOfTheUserGetNothing()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var (bobPhone, phoneId) = await LoginAgainAsync(bob);
        using var _phone = bobPhone;

        await SendOkAsync(alice, To(bob.UserId, phoneId, new JsonObject { ["to"] = "phone" }));

        Assert.Single(ToDevice(await bobPhone.SyncAsync()));
        Assert.Empty(ToDevice(await bob.SyncAsync()));
    }

    [Fact]
    public async Task Sync_LongPolling_WakesWhenAMessageArrives()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var since = NextBatch(await bob.SyncAsync());

        var clock = Stopwatch.StartNew();
        var poll = bob.SyncAsync(since, timeoutMs: 30_000);
        await Task.Delay(500);
        Assert.False(poll.IsCompleted);
        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["wake"] = true }));
        var sync = await poll;

        Assert.Single(ToDevice(sync));
        // Well before the timeout (at which a last read would also have found it).
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Send_RetriedTransaction_IsDeliveredOnce()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var txn = Guid.NewGuid().ToString("N");

        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["try"] = 1 }), txn);
        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["try"] = 2 }), txn);
        // spec: the same txnId on another path (another event type) is another request.
        await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["try"] = 3 }), txn, type: "m.other");

        var events = ToDevice(await bob.SyncAsync());
        Assert.Equal([1, 3], events.Select(e => e["content"]!["try"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Sync_MoreThanAHundredMessages_ComeOverSeveralSyncs()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        const int count = 130;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            await SendOkAsync(alice, To(bob.UserId, bob.DeviceId, new JsonObject { ["i"] = i })));

        var first = await bob.SyncAsync();
        // A long-poll from the capped token answers at once with the rest.
        var clock = Stopwatch.StartNew();
        var second = await bob.SyncAsync(NextBatch(first), timeoutMs: 20_000);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        var third = await bob.SyncAsync(NextBatch(second));

        Assert.Equal(100, ToDevice(first).Count);
        Assert.Equal(count - 100, ToDevice(second).Count);
        Assert.Empty(ToDevice(third));
        var all = ToDevice(first).Concat(ToDevice(second)).Select(e => e["content"]!["i"]!.GetValue<int>()).Order();
        Assert.Equal(Enumerable.Range(0, count), all);
    }

    [Fact]
    public async Task Send_UnknownUserOrDevice_IsSkipped()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var body = new JsonObject
        {
            ["messages"] = new JsonObject
            {
                [bob.UserId] = new JsonObject { ["NOSUCHDEVICE"] = new JsonObject() },
                ["@nobody" + Guid.NewGuid().ToString("N")[..8] + ":localhost"] = new JsonObject { ["*"] = new JsonObject() },
            },
        };

        await SendOkAsync(alice, body);

        Assert.Empty(ToDevice(await bob.SyncAsync()));
    }

    [Fact]
    public async Task Send_RemoteUser_IsForbiddenAndNothingIsDelivered()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var body = To(bob.UserId, bob.DeviceId, new JsonObject());
        body["messages"]!["@carol:elsewhere.example"] = new JsonObject { ["*"] = new JsonObject() };

        var r = await alice.PutAsync(SendPath(), body);

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
        Assert.Empty(ToDevice(await bob.SyncAsync()));
    }

    [Theory]
    [InlineData("not json", 400, "M_NOT_JSON")]
    [InlineData("[]", 400, "M_BAD_JSON")]
    [InlineData("{}", 400, "M_MISSING_PARAM")]
    [InlineData("""{"messages":["@u:localhost"]}""", 400, "M_BAD_JSON")]
    [InlineData("""{"messages":{"@u:localhost":"DEV"}}""", 400, "M_BAD_JSON")]
    [InlineData("""{"messages":{"@u:localhost":{"DEV":[1]}}}""", 400, "M_BAD_JSON")]
    public async Task Send_BadBody_AnswersTheMatrixError(string raw, int status, string errCode)
    {
        using var alice = await fx.NewClient().RegisterAsync();

        var r = await alice.SendAsync(HttpMethod.Put, SendPath(), rawBody: raw);

        Assert.Equal(status, r.Status);
        Assert.Equal(errCode, r.ErrCode);
    }

    [Fact]
    public async Task Send_OversizedMessage_IsTooLarge()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();

        var r = await alice.PutAsync(SendPath(), To(bob.UserId, bob.DeviceId, new JsonObject { ["p"] = new string('x', 70_000) }));

        Assert.Equal(413, r.Status);
        Assert.Equal("M_TOO_LARGE", r.ErrCode);
        Assert.Empty(ToDevice(await bob.SyncAsync()));
    }

    [Fact]
    public async Task Send_WithoutToken_IsUnauthorized()
    {
        using var anonymous = fx.NewClient();

        var r = await anonymous.PutAsync(SendPath(), To("@u:localhost", "DEV", new JsonObject()));

        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task DeleteDevice_DropsItsWaitingMessages()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var (bobPhone, phoneId) = await LoginAgainAsync(bob);
        bobPhone.Dispose();
        await SendOkAsync(alice, To(bob.UserId, phoneId, new JsonObject()));

        var challenge = await bob.PostAsync("/_matrix/client/v3/delete_devices", new { devices = new[] { phoneId } });
        var session = challenge.Json["session"]!.GetValue<string>();
        var deleted = await bob.PostAsync("/_matrix/client/v3/delete_devices", new
        {
            devices = new[] { phoneId },
            auth = new { type = "m.login.password", identifier = new { type = "m.id.user", user = bob.UserId }, password = "correct horse", session },
        });
        Assert.Equal(200, deleted.Status);

        // The same device ID logged in again starts with an empty inbox.
        var relogin = fx.NewClient();
        var r = await relogin.PostAsync("/_matrix/client/v3/login", new
        {
            type = "m.login.password",
            identifier = new { type = "m.id.user", user = bob.UserId },
            password = "correct horse",
            device_id = phoneId,
        });
        Assert.Equal(200, r.Status);
        relogin.AccessToken = r.Json["access_token"]!.GetValue<string>();
        using var _ = relogin;
        Assert.Empty(ToDevice(await relogin.SyncAsync()));
    }
}
