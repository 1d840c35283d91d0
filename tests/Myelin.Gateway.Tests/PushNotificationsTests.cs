using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>A single-process homeserver that may push to the test's loopback push gateway (outbound requests to
/// private ranges are refused by default, as Synapse's ip_range_blacklist does).</summary>
public sealed class LoopbackPushFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync("ip_range_whitelist: ['127.0.0.1']");

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    public MatrixClient NewClient() => new(Gateway.BaseUrl);
}

/// <summary>
/// The pusher end to end on the single process: a fake push gateway (an HTTP listener in the test) receives
/// exactly the notifications the push rules call for, in the push gateway API's shape.
/// </summary>
public sealed class PushNotificationsTests(LoopbackPushFixture fx, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<LoopbackPushFixture>, IDisposable
{
    const string Rules = "/_matrix/client/v3/pushrules/global";
    readonly FakePushGateway _gateway = new();

    public void Dispose() => _gateway.Dispose();

    async Task<string> AddPusherAsync(MatrixClient c, JsonObject? extraData = null)
    {
        var pushkey = "pk-" + Guid.NewGuid().ToString("N")[..10];
        var data = new JsonObject { ["url"] = _gateway.NotifyUrl };
        foreach (var (k, v) in extraData ?? []) data[k] = v?.DeepClone();
        var r = await c.PostAsync("/_matrix/client/v3/pushers/set", PusherEndpointsTests.HttpPusher(pushkey, data: data));
        Assert.Equal(200, r.Status);
        return pushkey;
    }

    static async Task SetNameAsync(MatrixClient c, string name) =>
        Assert.Equal(200, (await c.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(c.UserId)}/displayname",
            new { displayname = name })).Status);

    static async Task<string> SendAsync(MatrixClient c, string room, JsonObject content)
    {
        var r = await c.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/{Guid.NewGuid():N}", content);
        Assert.Equal(200, r.Status);
        return (string)r.Json["event_id"]!;
    }

    static JsonObject Text(string body) => new() { ["msgtype"] = "m.text", ["body"] = body };

    /// <summary>Alice's room with Bob (and more members) joined; Bob has a pusher.</summary>
    async Task<(MatrixClient Alice, MatrixClient Bob, string Room, string Pushkey)> RoomAsync(int extraMembers = 0,
        object? createBody = null, JsonObject? pusherData = null)
    {
        var alice = await fx.NewClient().RegisterAsync();
        var bob = await fx.NewClient().RegisterAsync();
        await SetNameAsync(alice, "Alice");
        await SetNameAsync(bob, "Bob");
        var room = await alice.CreateRoomAsync(createBody ?? new { preset = "public_chat" });
        await bob.JoinAsync(room);
        for (var i = 0; i < extraMembers; i++)
        {
            using var other = await fx.NewClient().RegisterAsync();
            await SetNameAsync(other, $"Member{i}");
            await other.JoinAsync(room);
        }
        var pushkey = await AddPusherAsync(bob, pusherData);
        return (alice, bob, room, pushkey);
    }

    [Fact]
    public async Task OneToOneMessage_NotifiesTheOtherMember_InThePushGatewayShape()
    {
        var (alice, bob, room, pushkey) = await RoomAsync(pusherData: new JsonObject { ["custom"] = "kept" });
        var eventId = await SendAsync(alice, room, Text("hello Bob"));

        var n = (await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == eventId), "the message's push"))
            .Single(x => (string?)x["event_id"] == eventId);
        Assert.Equal(eventId, (string)n["id"]!);
        Assert.Equal(room, (string)n["room_id"]!);
        Assert.Equal("m.room.message", (string)n["type"]!);
        Assert.Equal(alice.UserId, (string)n["sender"]!);
        Assert.Equal("Alice", (string)n["sender_display_name"]!);
        // .m.rule.room_one_to_one: notify with the default sound, so high priority; a 1:1 room has no room_name.
        Assert.Equal("high", (string)n["prio"]!);
        Assert.Null(n["room_name"]);
        Assert.Equal("hello Bob", (string)n["content"]!["body"]!);
        Assert.Equal(1, (int)n["counts"]!["unread"]!);
        var device = Assert.Single(n["devices"]!.AsArray())!;
        Assert.Equal("org.example.app", (string)device["app_id"]!);
        Assert.Equal(pushkey, (string)device["pushkey"]!);
        var ts = (long)device["pushkey_ts"]!;
        Assert.InRange(ts, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.Equal("""{"custom":"kept"}""", device["data"]!.ToJsonString());
        Assert.Equal("""{"sound":"default"}""", device["tweaks"]!.ToJsonString());

        // Only Bob has a pusher, and Alice's own message never notifies her anyway.
        await Task.Delay(500);
        Assert.Single(_gateway.ForEvents());
    }

    [Fact]
    public async Task GroupRoom_MessageIsLowPriority_MentionIsHighWithHighlight_RoomNamed()
    {
        var (alice, bob, room, pushkey) = await RoomAsync(extraMembers: 1, createBody: new { preset = "public_chat", name = "Team" });
        var plain = await SendAsync(alice, room, Text("status update"));
        var mention = await SendAsync(alice, room, new JsonObject
        {
            ["msgtype"] = "m.text", ["body"] = "Bob: look",
            ["m.mentions"] = new JsonObject { ["user_ids"] = new JsonArray(bob.UserId) },
        });

        var got = await _gateway.WaitForAsync(r => r.Count(x => x["event_id"] is not null) >= 2, "two pushes");
        var first = got.Single(x => (string?)x["event_id"] == plain);
        var second = got.Single(x => (string?)x["event_id"] == mention);
        Assert.Equal("Team", (string)first["room_name"]!);
        Assert.Equal("low", (string)first["prio"]!);
        Assert.Null(first["devices"]![0]!["tweaks"]);
        Assert.Equal("high", (string)second["prio"]!);
        Assert.Equal("""{"sound":"default","highlight":true}""", second["devices"]![0]!["tweaks"]!.ToJsonString());
        // Unread counts rooms with unread notifications (Synapse's default): one room.
        Assert.Equal(1, (int)second["counts"]!["unread"]!);
        Assert.Equal([plain, mention], _gateway.ForEvents(pushkey).Select(x => (string)x["event_id"]!));
    }

    [Fact]
    public async Task UnnamedGroupRoom_NamedAfterTheOtherMembers()
    {
        var (alice, _, room, _) = await RoomAsync(extraMembers: 1);
        var id = await SendAsync(alice, room, Text("hi all"));
        var n = (await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == id), "the push"))
            .Single(x => (string?)x["event_id"] == id);
        Assert.Equal("Alice and Member0", (string)n["room_name"]!);
    }

    [Fact]
    public async Task MutedRoomAndCustomRule_NoPush_OtherMessagesStillPush()
    {
        var (alice, bob, room, pushkey) = await RoomAsync();
        var quiet = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(quiet);
        // Mute the second room (a room rule without notify) and anything about lunch everywhere.
        Assert.Equal(200, (await bob.PutAsync($"{Rules}/room/{Uri.EscapeDataString(quiet)}", new { actions = Array.Empty<string>() })).Status);
        Assert.Equal(200, (await bob.PutAsync($"{Rules}/content/no_lunch", new { pattern = "lunch", actions = new[] { "dont_notify" } })).Status);

        await SendAsync(alice, quiet, Text("in the muted room"));
        await SendAsync(alice, room, Text("lunch today?"));
        var last = await SendAsync(alice, room, Text("meeting at 3"));

        await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == last), "the unmuted message");
        await Task.Delay(500);
        Assert.Equal([last], _gateway.ForEvents(pushkey).Select(x => (string)x["event_id"]!));
    }

    [Fact]
    public async Task EventIdOnlyFormat_OnlyIdsPriorityAndCounts()
    {
        var (alice, _, room, pushkey) = await RoomAsync(pusherData: new JsonObject { ["format"] = "event_id_only" });
        var id = await SendAsync(alice, room, Text("secret"));
        var n = (await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == id), "the push"))
            .Single(x => (string?)x["event_id"] == id);
        Assert.Equal(["event_id", "room_id", "prio", "counts", "devices"], n.Select(kv => kv.Key));
        var device = n["devices"]![0]!.AsObject();
        Assert.Equal(["app_id", "pushkey", "pushkey_ts", "data"], device.Select(kv => kv.Key));
        Assert.Equal("""{"format":"event_id_only"}""", device["data"]!.ToJsonString());
        Assert.Equal(pushkey, (string)device["pushkey"]!);
    }

    [Fact]
    public async Task FailingGateway_RetriedWithBackOff_NothingLostOrReordered()
    {
        var (alice, _, room, pushkey) = await RoomAsync();
        _gateway.Failing = true;
        var sent = new List<string>();
        for (var i = 0; i < 3; i++) sent.Add(await SendAsync(alice, room, Text($"m{i}")));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_gateway.FailedRequests < 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.True(_gateway.FailedRequests >= 2, "the pusher retried the failing gateway");
        _gateway.Failing = false;

        await _gateway.WaitForAsync(r => r.Count(x => x["event_id"] is not null) >= 3, "the three pushes after the gateway recovered");
        Assert.Equal(sent, _gateway.ForEvents(pushkey).Select(x => (string)x["event_id"]!));
    }

    [Fact]
    public async Task RejectedPushkey_PusherRemoved()
    {
        var (alice, bob, room, pushkey) = await RoomAsync();
        _gateway.Reject[pushkey] = true;
        await SendAsync(alice, room, Text("one"));
        await _gateway.WaitForAsync(r => r.Count(x => x["event_id"] is not null) >= 1, "the first push");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonArray pushers;
        do pushers = (await bob.GetAsync("/_matrix/client/v3/pushers")).Json["pushers"]!.AsArray();
        while (pushers.Count > 0 && DateTime.UtcNow < deadline && await Delay());
        Assert.Empty(pushers);

        await SendAsync(alice, room, Text("two"));
        await Task.Delay(1000);
        Assert.Single(_gateway.ForEvents());
    }

    static async Task<bool> Delay()
    {
        await Task.Delay(100);
        return true;
    }

    [Fact]
    public async Task ReadReceipt_SendsABadgeUpdateWithTheNewCount()
    {
        var (alice, bob, room, _) = await RoomAsync();
        var id = await SendAsync(alice, room, Text("read me"));
        await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == id), "the push");

        Assert.Equal(200, (await bob.PostAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/receipt/m.read/{Uri.EscapeDataString(id)}",
            new { })).Status);
        var badge = (await _gateway.WaitForAsync(r => r.Any(x => x["event_id"] is null), "the badge update")).Single(x => x["event_id"] is null);
        Assert.Equal("", (string)badge["id"]!);
        Assert.Equal(0, (int)badge["counts"]!["unread"]!);
        Assert.Null(badge["devices"]![0]!["tweaks"]);
    }

    [Fact]
    public async Task PusherSetAfterAMessage_PushesOnlyWhatFollows()
    {
        // A pusher set after the message does not push it: it starts from where the stream was.
        var (alice, bob, room, _) = await RoomAsync();
        Assert.Equal(200, (await bob.PostAsync("/_matrix/client/v3/pushers/set", new JsonObject
        {
            ["kind"] = null, ["app_id"] = "org.example.app", ["pushkey"] = (string)(await bob.GetAsync("/_matrix/client/v3/pushers")).Json["pushers"]![0]!["pushkey"]!,
        })).Status);
        await SendAsync(alice, room, Text("before the pusher"));
        var pushkey = await AddPusherAsync(bob);
        var after = await SendAsync(alice, room, Text("after"));
        await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == after), "the push");
        Assert.Equal([after], _gateway.ForEvents(pushkey).Select(x => (string)x["event_id"]!));
    }

    [Fact]
    public async Task Latency_EachMessagePushedPromptly()
    {
        var (alice, _, room, pushkey) = await RoomAsync();
        var latencies = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var id = await SendAsync(alice, room, Text($"m{i}"));
            await _gateway.WaitForAsync(r => r.Any(x => (string?)x["event_id"] == id), "the push", TimeSpan.FromSeconds(5));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
        }
        latencies.Sort();
        output.WriteLine($"send -> push received: p50 {latencies[10]:F0} ms, max {latencies[^1]:F0} ms (20 messages, one at a time)");
        Assert.Equal(20, _gateway.ForEvents(pushkey).Count);
    }
}
