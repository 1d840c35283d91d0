using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RoomSendEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    [Fact]
    public async Task Send_SameTxnId_ReturnsSameEventId()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var path = $"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/txn-{Guid.NewGuid():N}";
        var r1 = await a.PutAsync(path, new { msgtype = "m.text", body = "once" });
        var r2 = await a.PutAsync(path, new { msgtype = "m.text", body = "once" });
        Assert.Equal(200, r1.Status);
        Assert.Equal(r1.Json["event_id"]!.GetValue<string>(), r2.Json["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Send_TransactionId_ReturnedToSendingDeviceOnly()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var txn = $"t{Guid.NewGuid():N}";
        var sent = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/{txn}", new { msgtype = "m.text", body = "x" });
        var id = sent.Json["event_id"]!.GetValue<string>();
        var mine = (await a.SyncAsync())["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray().First(e => e!["event_id"]!.GetValue<string>() == id)!;
        var theirs = (await b.SyncAsync())["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray().First(e => e!["event_id"]!.GetValue<string>() == id)!;
        Assert.Equal(txn, mine["unsigned"]!["transaction_id"]!.GetValue<string>());
        Assert.Null(theirs["unsigned"]!["transaction_id"]);
    }

    [Fact]
    public async Task Send_NotMember_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await b.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/t1", new { body = "x" });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Send_UnknownRoom_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.PutAsync($"/_matrix/client/v3/rooms/{E("!nosuchroom:localhost")}/send/m.room.message/t1", new { body = "x" });
        Assert.Equal(403, r.Status);
    }

    [Theory]
    [InlineData("[1]", "M_BAD_JSON")]
    [InlineData("{bad", "M_NOT_JSON")]
    [InlineData("""{"n": 1.5}""", "M_BAD_JSON")]
    public async Task Send_BadContent_Returns400(string body, string errcode)
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.SendAsync(HttpMethod.Put, $"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/t{Guid.NewGuid():N}", rawBody: body);
        Assert.Equal(400, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task Send_OversizedEvent_Returns413TooLarge()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/t{Guid.NewGuid():N}",
            new { msgtype = "m.text", body = new string('x', 70_000) });
        Assert.Equal(413, r.Status);
        Assert.Equal("M_TOO_LARGE", r.ErrCode);
    }

    [Fact]
    public async Task Send_BodyOverRequestLimit_Returns413()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        MatrixClient.Response r;
        try
        {
            r = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/t{Guid.NewGuid():N}",
                new { msgtype = "m.text", body = new string('x', 2 * 1024 * 1024) });
        }
        catch (HttpRequestException)
        {
            // The server answers 413 from the Content-Length alone and closes the connection; a client still
            // writing the body may see the close before the answer. Nothing was stored either way.
            return;
        }
        Assert.Equal(413, r.Status);
        Assert.Equal("M_TOO_LARGE", r.ErrCode);
    }

    [Fact]
    public async Task PutState_ByAdmin_SetsState_AndNonAdminIsForbidden()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var r = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.topic", new { topic = "new topic" });
        Assert.Equal(200, r.Status);
        var got = await a.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.topic");
        Assert.Equal("new topic", got.Json["topic"]!.GetValue<string>());
        var denied = await b.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.topic", new { topic = "mine" });
        Assert.Equal(403, denied.Status);
    }

    [Fact]
    public async Task PutState_StateKeyWithSlash_RoundTrips()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var r = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/state/org.example.thing/{E("a/b")}", new { v = 1 });
        Assert.Equal(200, r.Status);
        var got = await a.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state/org.example.thing/{E("a/b")}");
        Assert.Equal(200, got.Status);
        Assert.Equal(1, got.Json["v"]!.GetValue<int>());
    }

    [Fact]
    public async Task Redact_OwnMessage_OthersSeeItPruned()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var id = await a.SendMessageAsync(room, "oops");
        var r = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/redact/{E(id)}/t{Guid.NewGuid():N}", new { reason = "typo" });
        Assert.Equal(200, r.Status);
        var ev = await b.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/event/{E(id)}");
        Assert.Equal(200, ev.Status);
        Assert.Empty(ev.Json["content"]!.AsObject());
        Assert.Equal(r.Json["event_id"]!.GetValue<string>(), ev.Json["unsigned"]!["redacted_because"]!["event_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Redact_OthersMessageWithoutPower_Returns403()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var id = await a.SendMessageAsync(room, "mine");
        var r = await b.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/redact/{E(id)}/t1", new { });
        Assert.Equal(403, r.Status);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class SyncEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    [Fact]
    public async Task Sync_LongPoll_WakesWhenMessageArrives()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var since = (await b.SyncAsync())["next_batch"]!.GetValue<string>();
        var started = DateTime.UtcNow;
        var poll = b.SyncAsync(since, timeoutMs: 30000);
        await Task.Delay(300);
        var id = await a.SendMessageAsync(room, "wake up");
        var result = await poll;
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the long-poll should return when the message arrives");
        Assert.Contains(result["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray(), e => e!["event_id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Sync_Timeout_ReturnsEmptyWithSameShape()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var since = (await a.SyncAsync())["next_batch"]!.GetValue<string>();
        var r = await a.SyncAsync(since, timeoutMs: 200);
        Assert.Empty(r["rooms"]!["join"]!.AsObject());
        Assert.NotNull(r["next_batch"]);
    }

    [Fact]
    public async Task Sync_TimelineLimit_IsLimitedWithPrevBatch()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        for (var i = 0; i < 5; i++) await a.SendMessageAsync(room, $"m{i}");
        var r = await a.SyncAsync(filter: """{"room":{"timeline":{"limit":2}}}""");
        var tl = r["rooms"]!["join"]![room]!["timeline"]!;
        Assert.Equal(2, tl["events"]!.AsArray().Count);
        Assert.True(tl["limited"]!.GetValue<bool>());
        Assert.NotNull(tl["prev_batch"]);
        // The state before the timeline holds the room's state (create, members, power levels...).
        Assert.Contains(r["rooms"]!["join"]![room]!["state"]!["events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "m.room.create");
    }

    [Fact]
    public async Task Sync_IncrementalAfterManyMessages_LimitedAndStateOnlyForGap()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync();
        var since = (await a.SyncAsync())["next_batch"]!.GetValue<string>();
        await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.topic", new { topic = "gap topic" });
        for (var i = 0; i < 4; i++) await a.SendMessageAsync(room, $"m{i}");
        var r = await a.SyncAsync(since, filter: """{"room":{"timeline":{"limit":2}}}""");
        var joined = r["rooms"]!["join"]![room]!;
        Assert.True(joined["timeline"]!["limited"]!.GetValue<bool>());
        var state = joined["state"]!["events"]!.AsArray();
        Assert.Contains(state, e => e!["type"]!.GetValue<string>() == "m.room.topic");
        Assert.DoesNotContain(state, e => e!["type"]!.GetValue<string>() == "m.room.create");
    }

    [Fact]
    public async Task Sync_LazyLoadMembers_OnlyTimelineSendersAndSelf()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        using var c = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        await c.JoinAsync(room);
        await b.SendMessageAsync(room, "from b");
        var r = await c.SyncAsync(filter: """{"room":{"timeline":{"limit":1},"state":{"lazy_load_members":true}}}""");
        var members = r["rooms"]!["join"]![room]!["state"]!["events"]!.AsArray()
            .Where(e => e!["type"]!.GetValue<string>() == "m.room.member").Select(e => e!["state_key"]!.GetValue<string>()).ToList();
        Assert.Contains(b.UserId, members);
        Assert.Contains(c.UserId, members);
        Assert.DoesNotContain(a.UserId, members);
    }

    [Fact]
    public async Task Sync_LeftRoom_AppearsInLeaveSection()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var since = (await b.SyncAsync())["next_batch"]!.GetValue<string>();
        await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave");
        var r = await b.SyncAsync(since);
        Assert.NotNull(r["rooms"]!["leave"]![room]);
        Assert.Null(r["rooms"]!["join"]![room]);
    }

    [Fact]
    public async Task Sync_Summary_HasHeroesAndCounts()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { invite = new[] { b.UserId } });
        var r = await a.SyncAsync();
        var summary = r["rooms"]!["join"]![room]!["summary"]!;
        Assert.Equal(1, summary["m.joined_member_count"]!.GetValue<int>());
        Assert.Equal(1, summary["m.invited_member_count"]!.GetValue<int>());
        Assert.Equal(b.UserId, summary["m.heroes"]![0]!.GetValue<string>());
    }

    [Theory]
    [InlineData("since=garbage")]
    [InlineData("timeout=-5")]
    [InlineData("full_state=maybe")]
    [InlineData("filter=notanumber")]
    [InlineData("set_presence=busy")]
    public async Task Sync_BadParameters_Return400(string query)
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.GetAsync("/_matrix/client/v3/sync?" + query);
        Assert.Equal(400, r.Status);
        Assert.NotNull(r.ErrCode);
    }

    [Fact]
    public async Task Sync_UnknownFilterId_Returns404()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.GetAsync("/_matrix/client/v3/sync?filter=999999");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task Sync_InlineFilterBadJson_Returns400()
    {
        using var a = await fx.NewClient().RegisterAsync();
        var r = await a.GetAsync("/_matrix/client/v3/sync?filter=" + E("{bad"));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }
}
