using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class TypingEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    static string TypingPath(string roomId, string userId) => $"/_matrix/client/v3/rooms/{E(roomId)}/typing/{E(userId)}";

    async Task<(MatrixClient A, MatrixClient B, string Room)> TwoInARoomAsync()
    {
        var a = await fx.NewClient().RegisterAsync();
        var b = await fx.NewClient().RegisterAsync();
        var room = await a.CreateRoomAsync(new { preset = "public_chat" });
        await b.JoinAsync(room);
        return (a, b, room);
    }

    /// <summary>The user IDs of the room's m.typing event in a sync response; null when there is none.</summary>
    static string[]? TypingIn(JsonObject sync, string roomId) =>
        (sync["rooms"]!["join"]![roomId]?["ephemeral"]?["events"]?.AsArray()
            .FirstOrDefault(e => e!["type"]!.GetValue<string>() == "m.typing"))?["content"]!["user_ids"]!.AsArray()
            .Select(u => u!.GetValue<string>()).ToArray();

    static string[] Typing(JsonObject sync, string roomId) =>
        TypingIn(sync, roomId) ?? throw new Xunit.Sdk.XunitException($"no m.typing for {roomId} in {sync.ToJsonString()}");

    [Fact]
    public async Task Typing_SeenInTheOtherUsersSync_ThenStopped()
    {
        var (a, b, room) = await TwoInARoomAsync();
        using var _a = a;
        using var _b = b;
        var since = (await b.SyncAsync())["next_batch"]!.GetValue<string>();

        var put = await a.PutAsync(TypingPath(room, a.UserId), new { typing = true, timeout = 30000 });
        Assert.Equal(200, put.Status);
        Assert.Empty(put.Json);
        var sync = await b.SyncAsync(since, timeoutMs: 5000);
        Assert.Equal([a.UserId], Typing(sync, room));
        // A first sync carries whoever is typing now.
        Assert.Equal([a.UserId], Typing(await b.SyncAsync(), room));

        Assert.Equal(200, (await a.PutAsync(TypingPath(room, a.UserId), new { typing = false })).Status);
        sync = await b.SyncAsync(sync["next_batch"]!.GetValue<string>(), timeoutMs: 5000);
        Assert.Equal([], Typing(sync, room));
        Assert.Null(TypingIn(await b.SyncAsync(), room));
    }

    [Fact]
    public async Task LongPoll_WakesWhenSomeoneStartsTyping()
    {
        var (a, b, room) = await TwoInARoomAsync();
        using var _a = a;
        using var _b = b;
        var since = (await b.SyncAsync())["next_batch"]!.GetValue<string>();
        var started = DateTime.UtcNow;
        var poll = b.SyncAsync(since, timeoutMs: 30000);
        await Task.Delay(300);
        Assert.Equal(200, (await a.PutAsync(TypingPath(room, a.UserId), new { typing = true })).Status);
        var sync = await poll;
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "the long-poll should return when typing starts");
        Assert.Equal([a.UserId], Typing(sync, room));
    }

    [Fact]
    public async Task Leaving_StopsTyping()
    {
        var (a, b, room) = await TwoInARoomAsync();
        using var _a = a;
        using var _b = b;
        Assert.Equal(200, (await b.PutAsync(TypingPath(room, b.UserId), new { typing = true, timeout = 60000 })).Status);
        Assert.Equal([b.UserId], Typing(await a.SyncAsync(), room));
        Assert.Equal(200, (await b.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/leave")).Status);
        // The room tells the typing writer after the leave is persisted, without waiting: poll briefly.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string[]? typing;
        do typing = TypingIn(await a.SyncAsync(), room);
        while (typing is not null && DateTime.UtcNow < deadline);
        Assert.Null(typing);
    }

    [Fact]
    public async Task Errors_AnswerTheSpecsErrorJson()
    {
        var (a, b, room) = await TwoInARoomAsync();
        using var _a = a;
        using var _b = b;
        using var outsider = await fx.NewClient().RegisterAsync();

        async Task Expect(MatrixClient c, string path, string? rawBody, int status, string errcode)
        {
            var r = await c.SendAsync(HttpMethod.Put, path, rawBody: rawBody);
            Assert.True(r.Status == status && r.ErrCode == errcode, $"{path} {rawBody}: expected {status} {errcode}, got {r.Status} {r.Raw}");
        }

        await Expect(a, TypingPath(room, b.UserId), """{"typing":true}""", 403, "M_FORBIDDEN");
        await Expect(outsider, TypingPath(room, outsider.UserId), """{"typing":true}""", 403, "M_FORBIDDEN");
        await Expect(outsider, TypingPath(room, outsider.UserId), """{"typing":false}""", 403, "M_FORBIDDEN");
        await Expect(a, TypingPath(room, a.UserId), """{"timeout":1000}""", 400, "M_BAD_JSON");
        await Expect(a, TypingPath(room, a.UserId), """{"typing":"yes"}""", 400, "M_BAD_JSON");
        await Expect(a, TypingPath(room, a.UserId), """{"typing":true,"timeout":"soon"}""", 400, "M_BAD_JSON");
        await Expect(a, TypingPath(room, a.UserId), """{"typing":true,"timeout":-1}""", 400, "M_INVALID_PARAM");
        await Expect(a, TypingPath(room, a.UserId), "{not json", 400, "M_NOT_JSON");
        await Expect(a, TypingPath("not-a-room", a.UserId), """{"typing":true}""", 400, "M_INVALID_PARAM");
        Assert.Null(TypingIn(await b.SyncAsync(), room));
    }
}
