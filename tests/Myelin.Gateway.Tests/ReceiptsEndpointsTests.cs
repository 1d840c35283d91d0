using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class ReceiptsEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static string ReceiptPath(string room, string type, string eventId) =>
        $"/_matrix/client/v3/rooms/{E(room)}/receipt/{type}/{E(eventId)}";

    static string ReadMarkersPath(string room) => $"/_matrix/client/v3/rooms/{E(room)}/read_markers";

    /// <summary>A public room of a's that b has joined, with one message from a; and each one's sync token.</summary>
    async Task<(MatrixClient A, MatrixClient B, string Room, string Message)> RoomAsync()
    {
        var a = await fx.NewClient().RegisterAsync();
        var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        var message = await a.SendMessageAsync(room, "hello");
        return (a, b, room, message);
    }

    static string Token(JsonObject sync) => sync["next_batch"]!.GetValue<string>();

    /// <summary>The room's m.receipt content in a sync response, or null when it has none.</summary>
    static JsonObject? Receipts(JsonObject sync, string room) =>
        (sync["rooms"]!["join"]![room]?["ephemeral"]?["events"] as JsonArray)?
            .SingleOrDefault(e => e!["type"]!.GetValue<string>() == "m.receipt")?["content"] as JsonObject;

    static async Task Ok(Task<MatrixClient.Response> call)
    {
        var r = await call;
        Assert.True(r.Status == 200, $"{r.Status} {r.Raw}");
        Assert.Equal("{}", r.Raw);
    }

    [Fact]
    public async Task Receipt_Read_OtherMemberSeesItInIncrementalAndInitialSync()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;
        var since = Token(await a.SyncAsync());

        await Ok(b.PostAsync(ReceiptPath(room, "m.read", message), new { }));

        var incremental = Receipts(await a.SyncAsync(since, timeoutMs: 5000), room);
        Assert.True(incremental?[message]?["m.read"]?[b.UserId]?["ts"]?.GetValue<long>() > 0, incremental?.ToJsonString());
        var initial = Receipts(await a.SyncAsync(), room);
        Assert.NotNull(initial?[message]?["m.read"]?[b.UserId]);
    }

    [Fact]
    public async Task Receipt_Private_OnlyItsOwnerSeesIt()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;
        var sinceA = Token(await a.SyncAsync());
        var sinceB = Token(await b.SyncAsync());

        await Ok(b.PostAsync(ReceiptPath(room, "m.read.private", message), new { }));

        var forB = await b.SyncAsync(sinceB, timeoutMs: 5000);
        Assert.NotNull(Receipts(forB, room)?[message]?["m.read.private"]?[b.UserId]);
        var forA = await a.SyncAsync(sinceA);
        Assert.Null(Receipts(forA, room));
        Assert.Null(Receipts(await a.SyncAsync(), room));

        // A public receipt on the same event then reaches a, still without the private one.
        await Ok(b.PostAsync(ReceiptPath(room, "m.read", message), new { }));
        var later = Receipts(await a.SyncAsync(Token(forA), timeoutMs: 5000), room);
        Assert.NotNull(later?[message]?["m.read"]?[b.UserId]);
        Assert.Null(later![message]!["m.read.private"]);
        Assert.Null(Receipts(await a.SyncAsync(), room)![message]!["m.read.private"]);
    }

    [Fact]
    public async Task ReadMarkers_SetsFullyReadAccountDataAndBothReceipts()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;
        var sinceA = Token(await a.SyncAsync());
        var sinceB = Token(await b.SyncAsync());

        await Ok(b.PostAsync(ReadMarkersPath(room),
            new JsonObject { ["m.fully_read"] = message, ["m.read"] = message, ["m.read.private"] = message }));

        var marker = await b.GetAsync($"/_matrix/client/v3/user/{E(b.UserId)}/rooms/{E(room)}/account_data/m.fully_read");
        Assert.Equal(200, marker.Status);
        Assert.Equal(message, marker.Json["event_id"]!.GetValue<string>());
        var forB = await b.SyncAsync(sinceB, timeoutMs: 5000);
        // The long-poll may return on the first of the changes: collect until both have arrived.
        var accountData = forB["rooms"]!["join"]![room]?["account_data"]?["events"]?.AsArray() ?? [];
        var receipts = Receipts(forB, room);
        if (receipts is null || accountData.Count == 0)
        {
            var more = await b.SyncAsync(sinceB);
            accountData = more["rooms"]!["join"]![room]!["account_data"]!["events"]!.AsArray();
            receipts = Receipts(more, room);
        }
        var fullyRead = Assert.Single(accountData, e => e!["type"]!.GetValue<string>() == "m.fully_read");
        Assert.Equal(message, fullyRead!["content"]!["event_id"]!.GetValue<string>());
        Assert.NotNull(receipts?[message]?["m.read"]?[b.UserId]);
        Assert.NotNull(receipts?[message]?["m.read.private"]?[b.UserId]);
        // m.fully_read is account data, never a receipt; a sees the public receipt only.
        Assert.Null(receipts![message]!["m.fully_read"]);
        var forA = Receipts(await a.SyncAsync(sinceA, timeoutMs: 5000), room);
        Assert.NotNull(forA?[message]?["m.read"]?[b.UserId]);
        Assert.Null(forA![message]!["m.read.private"]);
    }

    [Fact]
    public async Task Receipt_FullyRead_IsTheReadMarker()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;

        await Ok(b.PostAsync(ReceiptPath(room, "m.fully_read", message), new { }));

        var marker = await b.GetAsync($"/_matrix/client/v3/user/{E(b.UserId)}/rooms/{E(room)}/account_data/m.fully_read");
        Assert.Equal(message, marker.Json["event_id"]!.GetValue<string>());
        Assert.Null(Receipts(await a.SyncAsync(), room));
    }

    [Fact]
    public async Task Receipt_LongPoll_WakesWhenAReceiptArrives()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;
        var since = Token(await a.SyncAsync());
        var started = DateTime.UtcNow;
        var poll = a.SyncAsync(since, timeoutMs: 30000);
        await Task.Delay(300);

        await Ok(b.PostAsync(ReceiptPath(room, "m.read", message), new { }));

        var result = await poll;
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the long-poll should return when the receipt arrives");
        Assert.NotNull(Receipts(result, room)?[message]?["m.read"]?[b.UserId]);
    }

    [Fact]
    public async Task Receipt_OlderEvent_AcceptedButTheReceiptStaysOnTheLaterOne()
    {
        var (a, b, room, first) = await RoomAsync();
        using var _a = a; using var _b = b;
        var second = await a.SendMessageAsync(room, "again");
        await Ok(b.PostAsync(ReceiptPath(room, "m.read", second), new { }));
        var since = Token(await a.SyncAsync());

        await Ok(b.PostAsync(ReceiptPath(room, "m.read", first), new { }));

        Assert.Null(Receipts(await a.SyncAsync(since), room));
        var current = Receipts(await a.SyncAsync(), room)!;
        Assert.NotNull(current[second]?["m.read"]?[b.UserId]);
        Assert.Null(current[first]);
    }

    [Fact]
    public async Task Receipt_Thread_ValidThreadAccepted_ThreadIdChecked()
    {
        var (a, b, room, root) = await RoomAsync();
        using var _a = a; using var _b = b;
        var reply = await a.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/{Guid.NewGuid():N}", new JsonObject
        {
            ["msgtype"] = "m.text", ["body"] = "in thread",
            ["m.relates_to"] = new JsonObject { ["rel_type"] = "m.thread", ["event_id"] = root },
        });
        var inThread = reply.Json["event_id"]!.GetValue<string>();
        var since = Token(await a.SyncAsync());

        await Ok(b.PostAsync(ReceiptPath(room, "m.read", inThread), new { thread_id = root }));
        await Ok(b.PostAsync(ReceiptPath(room, "m.read", root), new { thread_id = "main" }));

        var content = Receipts(await a.SyncAsync(since, timeoutMs: 5000), room);
        if (content?[root] is null) content = Receipts(await a.SyncAsync(since), room);
        Assert.Equal(root, content![inThread]!["m.read"]![b.UserId]!["thread_id"]!.GetValue<string>());
        Assert.Equal("main", content[root]!["m.read"]![b.UserId]!["thread_id"]!.GetValue<string>());

        foreach (var (type, body) in new (string, object)[]
        {
            ("m.read", new { thread_id = "main" }),           // the event is in a thread
            ("m.read", new { thread_id = "" }),
            ("m.read", new { thread_id = 5 }),
            ("m.read", new JsonObject { ["thread_id"] = null }),
            ("m.fully_read", new { thread_id = root }),       // no threads for the read marker
        })
        {
            var r = await b.PostAsync(ReceiptPath(room, type, inThread), body);
            Assert.True(r.Status == 400 && r.ErrCode == "M_INVALID_PARAM", $"{type} {System.Text.Json.JsonSerializer.Serialize(body)}: {r.Status} {r.Raw}");
        }
    }

    [Fact]
    public async Task Receipt_BadInput_AnswersTheSpecErrors()
    {
        var (a, b, room, message) = await RoomAsync();
        using var _a = a; using var _b = b;
        using var stranger = await fx.NewClient().RegisterAsync();
        var otherRoom = await a.CreateRoomAsync();
        var elsewhere = await a.SendMessageAsync(otherRoom, "elsewhere");

        async Task Expect(int status, string errcode, Task<MatrixClient.Response> call)
        {
            var r = await call;
            Assert.True(r.Status == status && r.ErrCode == errcode, $"expected {status} {errcode}, got {r.Status} {r.Raw}");
        }

        await Expect(400, "M_INVALID_PARAM", b.PostAsync(ReceiptPath(room, "m.unknown", message), new { }));
        await Expect(400, "M_INVALID_PARAM", b.PostAsync(ReceiptPath(room, "m.read", "not-an-event-id"), new { }));
        await Expect(400, "M_INVALID_PARAM", b.PostAsync(ReceiptPath("not-a-room", "m.read", message), new { }));
        await Expect(404, "M_NOT_FOUND", b.PostAsync(ReceiptPath(room, "m.read", "$unknown"), new { }));
        await Expect(404, "M_NOT_FOUND", b.PostAsync(ReceiptPath(room, "m.read", elsewhere), new { }));
        await Expect(403, "M_FORBIDDEN", stranger.PostAsync(ReceiptPath(room, "m.read", message), new { }));
        await Expect(400, "M_NOT_JSON", b.SendAsync(HttpMethod.Post, ReceiptPath(room, "m.read", message)));
        await Expect(401, "M_MISSING_TOKEN", b.SendAsync(HttpMethod.Post, ReceiptPath(room, "m.read", message), new { }, auth: false));

        await Expect(403, "M_FORBIDDEN", stranger.PostAsync(ReadMarkersPath(room), new JsonObject { ["m.read"] = message }));
        await Expect(404, "M_NOT_FOUND", b.PostAsync(ReadMarkersPath(room), new JsonObject { ["m.fully_read"] = "$unknown", ["m.read"] = message }));
        await Expect(400, "M_BAD_JSON", b.PostAsync(ReadMarkersPath(room), new JsonObject { ["m.read"] = 5 }));
        await Expect(400, "M_INVALID_PARAM", b.PostAsync(ReadMarkersPath(room), new JsonObject { ["m.fully_read"] = "nope" }));
        // The failed requests changed nothing.
        Assert.Null(Receipts(await a.SyncAsync(), room));

        // Nothing to move, or only keys it does not know: accepted, as Synapse.
        await Ok(b.PostAsync(ReadMarkersPath(room), new { }));
        await Ok(b.PostAsync(ReadMarkersPath(room), new JsonObject { ["m.read"] = "", ["org.example.marker"] = message }));
    }
}
