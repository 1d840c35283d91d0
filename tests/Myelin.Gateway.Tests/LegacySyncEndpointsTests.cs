using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class LegacySyncEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static List<JsonObject> Objects(JsonNode? array) => array!.AsArray().Select(e => e!.AsObject()).ToList();

    static string Id(JsonObject e) => e["event_id"]!.GetValue<string>();

    static async Task<JsonObject> InitialSyncAsync(MatrixClient c, string query = "")
    {
        var r = await c.GetAsync("/_matrix/client/v3/initialSync" + query);
        Assert.Equal(200, r.Status);
        return r.Json;
    }

    // ------------------------------------------------------------------ /initialSync

    [Fact]
    public async Task InitialSync_JoinedRoom_HasMessagesStateAndTokens()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++) ids.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var body = await InitialSyncAsync(alice, "?limit=3");

        Assert.NotNull(body["end"]);
        Assert.Empty(body["presence"]!.AsArray());
        Assert.NotNull(body["account_data"]);
        var r = Assert.Single(Objects(body["rooms"]), x => x["room_id"]!.GetValue<string>() == room);
        Assert.Equal("join", r["membership"]!.GetValue<string>());
        Assert.Equal("private", r["visibility"]!.GetValue<string>());
        Assert.Equal(ids.TakeLast(3), Objects(r["messages"]!["chunk"]).Select(Id));
        Assert.Contains(Objects(r["state"]), e => e["type"]!.GetValue<string>() == "m.room.create");

        // messages.start pages back to the event before the chunk.
        var start = r["messages"]!["start"]!.GetValue<string>();
        var back = await alice.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/messages?dir=b&limit=1&from={E(start)}");
        Assert.Equal([ids[0]], Objects(back.Json["chunk"]).Select(Id));
    }

    [Fact]
    public async Task InitialSync_Archived_IncludesLeftRoomsOnlyWhenAsked()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var during = await alice.SendMessageAsync(room, "during");
        Assert.Equal(200, (await bob.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave")).Status);
        await alice.SendMessageAsync(room, "after");

        var current = await InitialSyncAsync(bob);
        var archived = await InitialSyncAsync(bob, "?archived=true");

        Assert.DoesNotContain(Objects(current["rooms"]), x => x["room_id"]!.GetValue<string>() == room);
        var left = Assert.Single(Objects(archived["rooms"]), x => x["room_id"]!.GetValue<string>() == room);
        Assert.Equal("leave", left["membership"]!.GetValue<string>());
        Assert.Equal("private", left["visibility"]!.GetValue<string>()); // joinable, but not in the directory
        var chunk = Objects(left["messages"]!["chunk"]);
        Assert.Equal("leave", chunk[^1]["content"]!["membership"]!.GetValue<string>());
        Assert.Contains(chunk, e => Id(e) == during);
        Assert.DoesNotContain(chunk, e => e["content"]?["body"]?.GetValue<string>() == "after");
    }

    [Fact]
    public async Task InitialSync_InvitedRoom_HasInviteEventAndNoMessages()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId } });

        var body = await InitialSyncAsync(bob);

        var r = Assert.Single(Objects(body["rooms"]), x => x["room_id"]!.GetValue<string>() == room);
        Assert.Equal("invite", r["membership"]!.GetValue<string>());
        Assert.Equal(alice.UserId, r["inviter"]!.GetValue<string>());
        Assert.Equal("invite", r["invite"]!["content"]!["membership"]!.GetValue<string>());
        Assert.Null(r["messages"]);
    }

    [Fact]
    public async Task InitialSync_BadArchived_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync("/_matrix/client/v3/initialSync?archived=maybe");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    // ------------------------------------------------------------------ /rooms/{roomId}/initialSync

    [Fact]
    public async Task RoomInitialSync_Member_ReturnsSnapshot()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { visibility = "public" });
        var id = await alice.SendMessageAsync(room, "hello");

        var r = await alice.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/initialSync");

        Assert.Equal(200, r.Status);
        Assert.Equal(room, r.Json["room_id"]!.GetValue<string>());
        Assert.Equal("join", r.Json["membership"]!.GetValue<string>());
        Assert.Equal("public", r.Json["visibility"]!.GetValue<string>());
        Assert.Equal(id, Id(Objects(r.Json["messages"]!["chunk"])[^1]));
        Assert.NotNull(r.Json["messages"]!["start"]);
        Assert.NotNull(r.Json["messages"]!["end"]);
        Assert.Contains(Objects(r.Json["state"]), e => e["type"]!.GetValue<string>() == "m.room.join_rules");
        Assert.Empty(r.Json["presence"]!.AsArray());
        Assert.NotNull(r.Json["account_data"]);
    }

    [Fact]
    public async Task RoomInitialSync_WorldReadablePeek_HasNoMembership()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new
        {
            initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = "world_readable" } } },
        });
        var id = await alice.SendMessageAsync(room, "readable");

        var r = await eve.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/initialSync");

        Assert.Equal(200, r.Status);
        Assert.Null(r.Json["membership"]);
        Assert.Equal(id, Id(Objects(r.Json["messages"]!["chunk"])[^1]));
    }

    [Fact]
    public async Task RoomInitialSync_NonMember_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await eve.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/initialSync");

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    // ------------------------------------------------------------------ /events

    [Fact]
    public async Task Events_FromInitialSyncEnd_ReturnsNewEventsThenNothing()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var end = (await InitialSyncAsync(alice))["end"]!.GetValue<string>();
        var a = await alice.SendMessageAsync(room, "a");
        var b = await alice.SendMessageAsync(room, "b");

        var r = await alice.GetAsync($"/_matrix/client/v3/events?timeout=0&from={E(end)}");

        Assert.Equal(200, r.Status);
        Assert.Equal(end, r.Json["start"]!.GetValue<string>());
        Assert.Equal([a, b], Objects(r.Json["chunk"]).Select(Id));
        Assert.All(Objects(r.Json["chunk"]), e => Assert.Equal(room, e["room_id"]!.GetValue<string>()));

        var next = await alice.GetAsync($"/_matrix/client/v3/events?timeout=0&from={E(r.Json["end"]!.GetValue<string>())}");
        Assert.Equal(200, next.Status);
        Assert.Empty(next.Json["chunk"]!.AsArray());
    }

    [Fact]
    public async Task Events_Limit_ContinuesFromEndWithoutLoss()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var end = (await InitialSyncAsync(alice))["end"]!.GetValue<string>();
        var sent = new List<string>();
        for (var i = 0; i < 5; i++) sent.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var first = await alice.GetAsync($"/_matrix/client/v3/events?timeout=0&limit=3&from={E(end)}");
        var second = await alice.GetAsync($"/_matrix/client/v3/events?timeout=0&limit=3&from={E(first.Json["end"]!.GetValue<string>())}");

        Assert.Equal(sent, Objects(first.Json["chunk"]).Concat(Objects(second.Json["chunk"])).Select(Id));
    }

    [Fact]
    public async Task Events_LongPoll_WakesOnNewMessage()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var end = (await InitialSyncAsync(bob))["end"]!.GetValue<string>();

        var watch = Stopwatch.StartNew();
        var poll = bob.GetAsync($"/_matrix/client/v3/events?timeout=20000&from={E(end)}");
        await Task.Delay(300);
        var id = await alice.SendMessageAsync(room, "wake up");
        var r = await poll;

        Assert.Equal(200, r.Status);
        Assert.Contains(Objects(r.Json["chunk"]), e => Id(e) == id);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Events_Timeout_ReturnsEmptyChunkWithTokens()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        await alice.CreateRoomAsync();

        var r = await alice.GetAsync("/_matrix/client/v3/events?timeout=200");

        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json["chunk"]!.AsArray());
        Assert.StartsWith("s", r.Json["start"]!.GetValue<string>());
        Assert.StartsWith("s", r.Json["end"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_OtherRoomsEvents_AreNotIncluded()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await eve.CreateRoomAsync();
        var end = (await InitialSyncAsync(eve))["end"]!.GetValue<string>();
        await alice.SendMessageAsync(room, "not for eve");

        var r = await eve.GetAsync($"/_matrix/client/v3/events?timeout=0&from={E(end)}");

        Assert.Equal(200, r.Status);
        Assert.DoesNotContain(Objects(r.Json["chunk"]), e => e["room_id"]!.GetValue<string>() == room);
    }

    [Fact]
    public async Task Events_Invite_DeliversInviteEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var end = (await InitialSyncAsync(bob))["end"]!.GetValue<string>();
        Assert.Equal(200, (await alice.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/invite", new { user_id = bob.UserId })).Status);

        var r = await bob.GetAsync($"/_matrix/client/v3/events?timeout=0&from={E(end)}");

        var invite = Assert.Single(Objects(r.Json["chunk"]));
        Assert.Equal("invite", invite["content"]!["membership"]!.GetValue<string>());
        Assert.Equal(bob.UserId, invite["state_key"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("from=t1-2")]
    [InlineData("from=junk")]
    [InlineData("timeout=soon")]
    public async Task Events_BadParameter_Returns400(string query)
    {
        using var alice = await fx.NewClient().RegisterAsync();

        var r = await alice.GetAsync("/_matrix/client/v3/events?" + query);

        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task Events_PeekRoomNotReadable_Returns403()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await eve.GetAsync($"/_matrix/client/v3/events?timeout=0&room_id={E(room)}");

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    // ------------------------------------------------------------------ /events/{eventId}

    [Fact]
    public async Task EventById_Visible_ReturnsEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var id = await alice.SendMessageAsync(room, "x");

        var r = await alice.GetAsync($"/_matrix/client/r0/events/{E(id)}");

        Assert.Equal(200, r.Status);
        Assert.Equal(id, Id(r.Json));
        Assert.Equal(room, r.Json["room_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task EventById_Unknown_Returns404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync($"/_matrix/client/r0/events/{E("$unknown:localhost")}");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }
}
