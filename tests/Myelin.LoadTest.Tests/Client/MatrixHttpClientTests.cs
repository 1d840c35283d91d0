using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.Tests.Fakes;
using Reply = Myelin.LoadTest.Tests.Fakes.ScriptedServer.Reply;

namespace Myelin.LoadTest.Tests.Client;

public class MatrixHttpClientTests
{
    private static (MatrixHttpClient Client, ErrorTally Errors, HttpClient Http) ClientFor(Uri url, TimeSpan? timeout = null)
    {
        var errors = new ErrorTally();
        var http = MatrixHttpClient.CreateHttpClient(url, 4);
        return (new MatrixHttpClient(http, errors, timeout ?? TimeSpan.FromSeconds(10), maxRateLimitRetries: 2), errors, http);
    }

    [Fact]
    public async Task GetVersions_ServerDown_ReturnsConnectionFailedWithoutThrowing()
    {
        var (client, errors, http) = ClientFor(new Uri($"http://127.0.0.1:{ScriptedServer.FreePort()}/"));
        using var _ = http;

        var r = await client.GetVersionsAsync(CancellationToken.None);

        Assert.False(r.IsSuccess);
        Assert.Equal(0, r.Status);
        Assert.Equal(LocalErrors.ConnectionFailed, r.ErrCode);
        Assert.Equal([new ErrorCount(0, LocalErrors.ConnectionFailed, 1)], errors.Snapshot());
    }

    [Fact]
    public async Task SendMessage_ServerAnswers500WithoutJson_ReturnsStatusAndText()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(500, "Internal Server Error"));
        var (client, errors, http) = ClientFor(server.Url);
        using var _ = http;

        var r = await client.SendMessageAsync("tok", "!r:hs", "t1", new JsonObject(), CancellationToken.None);

        Assert.Equal(500, r.Status);
        Assert.Null(r.ErrCode);
        Assert.Equal("Internal Server Error", r.Error);
        Assert.Equal(1, errors.Total);
    }

    [Fact]
    public async Task SendMessage_MatrixError_ReturnsErrcode()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(403, """{"errcode":"M_FORBIDDEN","error":"not in room"}"""));
        var (client, errors, http) = ClientFor(server.Url);
        using var _ = http;

        var r = await client.SendMessageAsync("tok", "!r:hs", "t1", new JsonObject(), CancellationToken.None);

        Assert.Equal((403, "M_FORBIDDEN", "not in room"), (r.Status, r.ErrCode, r.Error));
        Assert.Equal([new ErrorCount(403, "M_FORBIDDEN", 1)], errors.Snapshot());
    }

    [Fact]
    public async Task SendMessage_429ThenOk_WaitsRetryAfterAndSucceeds()
    {
        await using var server = new ScriptedServer((_, n) => n == 0
            ? new Reply(429, """{"errcode":"M_LIMIT_EXCEEDED","error":"slow down","retry_after_ms":200}""")
            : new Reply(200, """{"event_id":"$e1"}"""));
        var (client, errors, http) = ClientFor(server.Url);
        using var _ = http;

        var r = await client.SendMessageAsync("tok", "!r:hs", "t1", new JsonObject(), CancellationToken.None);

        Assert.True(r.IsSuccess);
        Assert.Equal("$e1", r.Value);
        Assert.True(r.Elapsed >= TimeSpan.FromMilliseconds(190), $"waited only {r.Elapsed}");
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal([new ErrorCount(429, "M_LIMIT_EXCEEDED", 1)], errors.Snapshot());
    }

    [Fact]
    public async Task SendMessage_Always429_GivesUpAfterRetries()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(429, """{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1}"""));
        var (client, errors, http) = ClientFor(server.Url);
        using var _ = http;

        var r = await client.SendMessageAsync("tok", "!r:hs", "t1", new JsonObject(), CancellationToken.None);

        Assert.Equal(429, r.Status);
        Assert.Equal(3, server.Requests.Count); // first try and two retries
        Assert.Equal(3, errors.Total);
    }

    [Fact]
    public async Task WhoAmI_ServerTooSlow_ReturnsTimeout()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(200, """{"user_id":"@a:hs"}""", TimeSpan.FromSeconds(3)));
        var (client, _, http) = ClientFor(server.Url, TimeSpan.FromMilliseconds(200));
        using var __ = http;

        var r = await client.WhoAmIAsync("tok", CancellationToken.None);

        Assert.Equal((0, LocalErrors.Timeout), (r.Status, r.ErrCode));
    }

    [Fact]
    public async Task WhoAmI_CallerCancels_Throws()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(200, """{"user_id":"@a:hs"}""", TimeSpan.FromSeconds(3)));
        var (client, _, http) = ClientFor(server.Url);
        using var __ = http;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.WhoAmIAsync("tok", cts.Token));
    }

    [Fact]
    public async Task CreateRoom_OkWithUnexpectedShape_ReturnsBadResponse()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(200, """{"roomid":"oops"}"""));
        var (client, _, http) = ClientFor(server.Url);
        using var __ = http;

        var r = await client.CreateRoomAsync("tok", "name", CancellationToken.None);

        Assert.Equal((200, LocalErrors.BadResponse), (r.Status, r.ErrCode));
        Assert.False(r.IsSuccess);
    }

    [Fact]
    public async Task Register_401WithSession_RetriesDummyStageWithThatSession()
    {
        await using var server = new ScriptedServer((req, _) => req.Body.Contains("\"session\"", StringComparison.Ordinal)
            ? new Reply(200, """{"user_id":"@alice:hs","access_token":"t","device_id":"D"}""")
            : new Reply(401, """{"session":"s1","flows":[{"stages":["m.login.dummy"]}],"params":{}}"""));
        var (client, errors, http) = ClientFor(server.Url);
        using var _ = http;

        var r = await client.RegisterAsync("alice", "pw", CancellationToken.None);

        Assert.True(r.IsSuccess);
        Assert.Equal(new Session("@alice:hs", "t", "D"), r.Value);
        var second = JsonNode.Parse(server.Requests[1].Body)!;
        Assert.Equal("s1", second["auth"]!["session"]!.GetValue<string>());
        Assert.Equal("m.login.dummy", second["auth"]!["type"]!.GetValue<string>());
        Assert.Equal(0, errors.Total);
    }

    [Fact]
    public async Task Sync_SendsSinceTimeoutFilterAndToken()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(200, """{"next_batch":"s2"}"""));
        var (client, _, http) = ClientFor(server.Url);
        using var __ = http;

        var r = await client.SyncAsync("tok", "s1", 1000, """{"room":{}}""", CancellationToken.None);

        Assert.Equal("s2", r.Value!.NextBatch);
        Assert.Equal("/_matrix/client/v3/sync?timeout=1000&since=s1&filter=%7B%22room%22%3A%7B%7D%7D", server.Requests[0].Path);
    }

    [Fact]
    public void SharedSecretMac_KnownInput_MatchesHmacSha1()
    {
        Assert.Equal("42e32623fe124933c326f9d2d67ff7c617915a10",
            MatrixHttpClient.SharedSecretMac("secret", "abc", "alice", "pw", admin: false));
    }

    [Theory]
    [InlineData("""{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":1500}""", 1500)]
    [InlineData("""{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":999999}""", 10000)]
    [InlineData("""{"errcode":"M_LIMIT_EXCEEDED"}""", 1000)]
    public void RetryDelay_Body_UsesRetryAfterMsCapped(string body, int expectedMs)
    {
        using var doc = JsonDocument.Parse(body);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), MatrixHttpClient.RetryDelay(doc.RootElement, null));
    }

    [Fact]
    public void RetryDelay_NoBodyValue_UsesHeader()
    {
        using var doc = JsonDocument.Parse("{}");
        Assert.Equal(TimeSpan.FromSeconds(2), MatrixHttpClient.RetryDelay(doc.RootElement, TimeSpan.FromSeconds(2)));
    }
}
