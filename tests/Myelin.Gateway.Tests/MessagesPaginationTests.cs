using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MessagesPaginationTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static string Messages(string roomId, string query) => $"/_matrix/client/v3/rooms/{E(roomId)}/messages?{query}";

    static List<JsonObject> Chunk(MatrixClient.Response r) => r.Json["chunk"]!.AsArray().Select(e => e!.AsObject()).ToList();

    static string Id(JsonObject e) => e["event_id"]!.GetValue<string>();

    static string? Body(JsonObject e) => e["type"]!.GetValue<string>() == "m.room.message" ? e["content"]!["body"]!.GetValue<string>() : null;

    /// <summary>Pages through /messages until no end token comes back, returning every event in the order received.</summary>
    static async Task<List<JsonObject>> PageAllAsync(MatrixClient c, string roomId, string dir, string? from, int limit)
    {
        var all = new List<JsonObject>();
        for (var i = 0; i < 200; i++)
        {
            var q = $"dir={dir}&limit={limit}" + (from is null ? "" : "&from=" + E(from));
            var r = await c.GetAsync(Messages(roomId, q));
            Assert.Equal(200, r.Status);
            all.AddRange(Chunk(r));
            if (r.Json["end"] is null) return all;
            from = r.Json["end"]!.GetValue<string>();
        }
        throw new InvalidOperationException("pagination did not end");
    }

    [Fact]
    public async Task Messages_BackwardsFromSyncPrevBatchThenForwardsFromStart_EveryMessageOnceInOrder()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var sent = new List<string>();
        for (var i = 0; i < 25; i++) sent.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var sync = await alice.SyncAsync(filter: """{"room":{"timeline":{"limit":5}}}""");
        var timeline = sync["rooms"]!["join"]![room]!["timeline"]!;
        var timelineEvents = timeline["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        Assert.Equal(sent.TakeLast(5), timelineEvents.Select(Id));
        Assert.True(timeline["limited"]!.GetValue<bool>());

        var backwards = await PageAllAsync(alice, room, "b", timeline["prev_batch"]!.GetValue<string>(), limit: 7);
        var history = backwards.AsEnumerable().Reverse().Concat(timelineEvents).ToList();
        var ids = history.Select(Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("m.room.create", history[0]["type"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"m{i}"), history.Select(Body).OfType<string>());
        Assert.Equal(sent, history.Where(e => Body(e) is not null).Select(Id));

        var forwards = await PageAllAsync(alice, room, "f", from: null, limit: 6);
        Assert.Equal(ids, forwards.Select(Id));
    }

    [Fact]
    public async Task Messages_ForwardsFromPrevBatch_ReturnsTheSyncTimeline()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        for (var i = 0; i < 8; i++) await alice.SendMessageAsync(room, $"m{i}");
        var sync = await alice.SyncAsync(filter: """{"room":{"timeline":{"limit":3}}}""");
        var timeline = sync["rooms"]!["join"]![room]!["timeline"]!;
        var expected = timeline["events"]!.AsArray().Select(e => Id(e!.AsObject())).ToList();

        var forwards = await PageAllAsync(alice, room, "f", timeline["prev_batch"]!.GetValue<string>(), limit: 2);

        Assert.Equal(expected, forwards.Select(Id));
    }

    [Fact]
    public async Task Messages_BackwardsFromNextBatch_StartsAtNewestEvent()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await alice.SendMessageAsync(room, "older");
        var newest = await alice.SendMessageAsync(room, "newest");
        var sync = await alice.SyncAsync();

        var r = await alice.GetAsync(Messages(room, $"dir=b&limit=1&from={E(sync["next_batch"]!.GetValue<string>())}"));

        Assert.Equal(200, r.Status);
        Assert.Equal([newest], Chunk(r).Select(Id));
        Assert.Equal(sync["next_batch"]!.GetValue<string>(), r.Json["start"]!.GetValue<string>());
        Assert.NotNull(r.Json["end"]);
    }

    [Fact]
    public async Task Messages_NoFromBackwards_StartsAtNewestWithDefaultLimit()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var sent = new List<string>();
        for (var i = 0; i < 12; i++) sent.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var r = await alice.GetAsync(Messages(room, "dir=b"));

        Assert.Equal(200, r.Status);
        Assert.Equal(sent.AsEnumerable().Reverse().Take(10), Chunk(r).Select(Id));
        Assert.NotNull(r.Json["start"]);
        Assert.NotNull(r.Json["end"]);
    }

    [Fact]
    public async Task Messages_ToToken_StopsBeforeIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        await alice.SendMessageAsync(room, "before");
        var mark = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        var a = await alice.SendMessageAsync(room, "a");
        var b = await alice.SendMessageAsync(room, "b");

        var r = await alice.GetAsync(Messages(room, $"dir=b&limit=50&to={E(mark)}"));

        Assert.Equal(200, r.Status);
        Assert.Equal([b, a], Chunk(r).Select(Id));
        Assert.Null(r.Json["end"]);
    }

    [Fact]
    public async Task Messages_TypesFilter_ReturnsOnlyMatchingEventsUpToLimit()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        for (var i = 0; i < 4; i++) await alice.SendMessageAsync(room, $"m{i}");
        var filter = E("""{"types":["m.room.member"]}""");

        var r = await alice.GetAsync(Messages(room, $"dir=f&limit=5&filter={filter}"));

        Assert.Equal(200, r.Status);
        var chunk = Chunk(r);
        Assert.Single(chunk);
        Assert.Equal("m.room.member", chunk[0]["type"]!.GetValue<string>());
        Assert.Null(r.Json["end"]);
    }

    [Fact]
    public async Task Messages_NotSendersFilter_LeavesOutThatSender()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        await alice.SendMessageAsync(room, "from alice");
        var fromBob = await bob.SendMessageAsync(room, "from bob");
        var filter = E($$"""{"not_senders":["{{alice.UserId}}"]}""");

        var r = await alice.GetAsync(Messages(room, $"dir=b&limit=1&filter={filter}"));

        Assert.Equal(200, r.Status);
        Assert.Equal([fromBob], Chunk(r).Select(Id));
    }

    [Fact]
    public async Task Messages_LazyLoadMembers_ReturnsMemberEventsOfSenders()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        await bob.SendMessageAsync(room, "hi");
        var filter = E("""{"lazy_load_members":true,"types":["m.room.message"]}""");

        var r = await alice.GetAsync(Messages(room, $"dir=b&limit=1&filter={filter}"));

        Assert.Equal(200, r.Status);
        var state = r.Json["state"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var member = Assert.Single(state);
        Assert.Equal("m.room.member", member["type"]!.GetValue<string>());
        Assert.Equal(bob.UserId, member["state_key"]!.GetValue<string>());
    }

    [Fact]
    public async Task Messages_JoinedVisibility_NewMemberSeesFromOwnJoinOnly()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new
        {
            preset = "public_chat",
            initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = "joined" } } },
        });
        await alice.SendMessageAsync(room, "secret");
        await bob.JoinAsync(room);
        var after = await alice.SendMessageAsync(room, "after");

        var events = await PageAllAsync(bob, room, "b", from: null, limit: 5);

        // The room's creation events came before the visibility was set, under the default (shared).
        Assert.Equal(after, Id(events[0]));
        Assert.Equal("m.room.member", events[1]["type"]!.GetValue<string>());
        Assert.Equal(bob.UserId, events[1]["state_key"]!.GetValue<string>());
        Assert.Equal("m.room.history_visibility", events[2]["type"]!.GetValue<string>());
        Assert.DoesNotContain(events, e => Body(e) == "secret");
    }

    [Fact]
    public async Task Messages_LeftUser_SeesHistoryUpToOwnLeave()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var during = await alice.SendMessageAsync(room, "while bob is here");
        Assert.Equal(200, (await bob.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave")).Status);
        await alice.SendMessageAsync(room, "after bob left");

        var r = await bob.GetAsync(Messages(room, "dir=b&limit=2"));

        Assert.Equal(200, r.Status);
        var chunk = Chunk(r);
        Assert.Equal("m.room.member", chunk[0]["type"]!.GetValue<string>());
        Assert.Equal("leave", chunk[0]["content"]!["membership"]!.GetValue<string>());
        Assert.Equal(during, Id(chunk[1]));
        var forwards = await PageAllAsync(bob, room, "f", from: null, limit: 50);
        Assert.DoesNotContain(forwards, e => Body(e) == "after bob left");
        Assert.Contains(forwards, e => Body(e) == "while bob is here");
    }

    [Fact]
    public async Task Messages_WorldReadableRoom_NonMemberCanRead()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new
        {
            initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = "world_readable" } } },
        });
        var msg = await alice.SendMessageAsync(room, "public");

        var r = await eve.GetAsync(Messages(room, "dir=b&limit=1"));

        Assert.Equal(200, r.Status);
        Assert.Equal([msg], Chunk(r).Select(Id));
    }

    [Fact]
    public async Task Messages_NonMember_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var eve = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await eve.GetAsync(Messages(room, "dir=b"));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Theory]
    [InlineData("dir=b&from=garbage", 400, "M_INVALID_PARAM")]
    [InlineData("dir=b&from=t12", 400, "M_INVALID_PARAM")]
    [InlineData("dir=b&to=sx_1", 400, "M_INVALID_PARAM")]
    [InlineData("dir=x", 400, "M_INVALID_PARAM")]
    [InlineData("limit=5", 400, "M_MISSING_PARAM")]
    [InlineData("dir=b&limit=lots", 400, "M_INVALID_PARAM")]
    [InlineData("dir=b&limit=-1", 400, "M_INVALID_PARAM")]
    [InlineData("dir=b&filter=%7Bnot%20json", 400, "M_NOT_JSON")]
    [InlineData("dir=b&filter=%5B1%5D", 400, "M_BAD_JSON")]
    [InlineData("dir=b&filter=%7B%22types%22%3A%22m.room.message%22%7D", 400, "M_BAD_JSON")]
    public async Task Messages_BadParameters_Return400(string query, int status, string errcode)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();

        var r = await alice.GetAsync(Messages(room, query));

        Assert.Equal(status, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task Messages_NoAccessToken_Returns401MissingToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        using var anon = fx.NewClient();

        var r = await anon.GetAsync(Messages(room, "dir=b"));

        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }
}
