using System.Net;
using System.Net.Sockets;
using System.Text;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.Tests.Fakes;
using Reply = Myelin.LoadTest.Tests.Fakes.ScriptedServer.Reply;

namespace Myelin.LoadTest.Tests.Client;

public class LongPollConnectionTests
{
    private const string SyncBody = """{"next_batch":"s9","rooms":{"join":{"!r:hs":{"timeline":{"events":[]},"ephemeral":{"events":[{"type":"m.typing","content":{"user_ids":["@a:hs"]}}]}}}}}""";

    [Fact]
    public async Task Sync_ChunkedAnswers_AreReadWhole_WithTheQueryAClientSends()
    {
        // HttpListener answers without a Content-Length: chunked.
        await using var server = new ScriptedServer((_, _) => new Reply(200, SyncBody));
        await using var conn = new LongPollConnection(server.Url, new ErrorTally(), TimeSpan.FromSeconds(10));

        var first = await conn.SyncAsync("tok", null, 0, "7", CancellationToken.None);
        var second = await conn.SyncAsync("tok", "s1_2", 30_000, "7", CancellationToken.None);

        Assert.True(first.IsSuccess, first.ToString());
        Assert.Equal("s9", second.Value!.NextBatch);
        Assert.Equal("@a:hs", second.Value.Rooms.Single().Ephemeral.Single().Content.GetProperty("user_ids")[0].GetString());
        Assert.Equal(["/_matrix/client/v3/sync?timeout=0&filter=7", "/_matrix/client/v3/sync?timeout=30000&since=s1_2&filter=7"],
            server.Requests.Select(r => r.Path));
    }

    [Fact]
    public async Task Sync_KeepsOneConnection_AndOpensANewOneWhenTheServerClosedIt()
    {
        await using var server = new RawServer(closeAfter: 2);
        await using var conn = new LongPollConnection(server.Url, new ErrorTally(), TimeSpan.FromSeconds(10));

        for (var i = 0; i < 3; i++)
        {
            var r = await conn.SyncAsync("tok", $"s{i}", 0, null, CancellationToken.None);
            Assert.True(r.IsSuccess, r.ToString());
            Assert.Equal("s9", r.Value!.NextBatch);
        }

        Assert.Equal(2, server.Connections); // two answers on the first, the third on a new one
        Assert.Contains("Authorization: Bearer tok", server.FirstRequest);
    }

    [Fact]
    public async Task Sync_MatrixError_ReturnsErrcode_AndCountsIt()
    {
        await using var server = new ScriptedServer((_, _) => new Reply(401, """{"errcode":"M_UNKNOWN_TOKEN","error":"Unknown access token"}"""));
        var errors = new ErrorTally();
        await using var conn = new LongPollConnection(server.Url, errors, TimeSpan.FromSeconds(10));

        var r = await conn.SyncAsync("tok", "s1", 0, null, CancellationToken.None);

        Assert.Equal(401, r.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", r.ErrCode);
        Assert.Equal([new ErrorCount(401, "M_UNKNOWN_TOKEN", 1)], errors.Snapshot());
    }

    [Fact]
    public async Task Sync_NoAnswer_TimesOut_ServerDown_FailsToConnect_NeitherThrows()
    {
        await using var silent = new RawServer(closeAfter: 0, answer: false);
        var errors = new ErrorTally();
        await using var conn = new LongPollConnection(silent.Url, errors, TimeSpan.FromMilliseconds(200));
        var timedOut = await conn.SyncAsync("tok", "s1", 0, null, CancellationToken.None);
        Assert.Equal(LocalErrors.Timeout, timedOut.ErrCode);

        await using var down = new LongPollConnection(new Uri($"http://127.0.0.1:{ScriptedServer.FreePort()}/"), errors, TimeSpan.FromSeconds(5));
        var refused = await down.SyncAsync("tok", "s1", 0, null, CancellationToken.None);
        Assert.Equal(LocalErrors.ConnectionFailed, refused.ErrCode);
        Assert.Equal(2, errors.Total);
    }

    [Fact]
    public void Https_IsLeftToHttpClient() =>
        Assert.Throws<ArgumentException>(() => new LongPollConnection(new Uri("https://matrix.org/"), null, TimeSpan.FromSeconds(1)));

    /// <summary>Answers each request on a connection with a Content-Length body, and closes the connection
    /// (without saying so) after <c>closeAfter</c> answers; or reads and never answers.</summary>
    private sealed class RawServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _connections;

        public RawServer(int closeAfter, bool answer = true)
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                    catch (Exception) { return; }
                    Interlocked.Increment(ref _connections);
                    _ = Task.Run(() => ServeAsync(client, closeAfter, answer));
                }
            });
        }

        public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        public int Connections => Volatile.Read(ref _connections);
        public string FirstRequest { get; private set; } = "";

        private async Task ServeAsync(TcpClient client, int closeAfter, bool answer)
        {
            using var _ = client;
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var pending = "";
            try
            {
                for (var answered = 0; answer ? answered < closeAfter : true;)
                {
                    var n = await stream.ReadAsync(buffer, _stop.Token);
                    if (n == 0)
                        return;
                    pending += Encoding.ASCII.GetString(buffer, 0, n);
                    while (pending.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                    {
                        if (FirstRequest.Length == 0)
                            FirstRequest = pending[..end];
                        pending = pending[(end + 4)..];
                        if (!answer)
                            continue;
                        var body = Encoding.UTF8.GetBytes(SyncBody);
                        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
                        await stream.WriteAsync(head.Concat(body).ToArray(), _stop.Token);
                        answered++;
                    }
                }
            }
            catch (Exception)
            {
                // stopped
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try { await _loop; } catch (Exception) { }
            _stop.Dispose();
        }
    }
}
