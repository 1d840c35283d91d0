using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Myelin.Silo.Tests.WorkerApps;

/// <summary>An application service for tests: an HTTP listener on a loopback port that records the
/// transactions and pings the homeserver sends it, and can be told to fail or to be slow.</summary>
public sealed class FakeAppservice : IAsyncDisposable
{
    readonly HttpListener _listener = new();
    readonly Task _loop;
    int _failNext;

    public FakeAppservice(string hsToken = "hs-token")
    {
        HsToken = hsToken;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public string HsToken { get; }
    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>Every transaction request, in arrival order (retries included): its txnId and body.</summary>
    public ConcurrentQueue<(long TxnId, JsonObject Body, int Status)> Requests { get; } = new();
    public ConcurrentQueue<JsonObject> Pings { get; } = new();
    /// <summary>Requests that carried another token than <see cref="HsToken"/>.</summary>
    public int Unauthorized;
    /// <summary>How long to wait before answering.</summary>
    public TimeSpan Delay { get; set; }
    /// <summary>The status pings are answered with.</summary>
    public int PingStatus { get; set; } = 200;

    /// <summary>Answers the next <paramref name="count"/> transactions with 500.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failNext, count);

    /// <summary>The events received, once per transaction ID (what a service that de-duplicates keeps).</summary>
    public List<JsonObject> DistinctEvents() =>
        Requests.Where(r => r.Status == 200).GroupBy(r => r.TxnId).OrderBy(g => g.Key)
            .SelectMany(g => g.First().Body["events"]!.AsArray().Select(e => e!.AsObject())).ToList();

    public List<JsonObject> DistinctEphemeral() =>
        Requests.Where(r => r.Status == 200).GroupBy(r => r.TxnId).OrderBy(g => g.Key)
            .SelectMany(g => (g.First().Body["ephemeral"] as JsonArray ?? []).Select(e => e!.AsObject())).ToList();

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    async Task HandleAsync(HttpListenerContext ctx)
    {
        try
        {
            using var reader = new StreamReader(ctx.Request.InputStream);
            var body = JsonNode.Parse(await reader.ReadToEndAsync()) as JsonObject ?? [];
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            var path = ctx.Request.Url!.AbsolutePath;
            var status = 200;
            if (ctx.Request.Headers["Authorization"] != $"Bearer {HsToken}")
            {
                Interlocked.Increment(ref Unauthorized);
                status = 403;
            }
            else if (path.StartsWith("/_matrix/app/v1/transactions/", StringComparison.Ordinal) && ctx.Request.HttpMethod == "PUT")
            {
                var txnId = long.Parse(path[(path.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                if (Interlocked.Decrement(ref _failNext) >= 0) status = 500;
                Requests.Enqueue((txnId, body, status));
            }
            else if (path == "/_matrix/app/v1/ping" && ctx.Request.HttpMethod == "POST")
            {
                Pings.Enqueue(body);
                status = PingStatus;
            }
            else status = 404;
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            var text = status == 200 ? "{}"u8.ToArray() : "{\"errcode\":\"M_UNKNOWN\"}"u8.ToArray();
            await ctx.Response.OutputStream.WriteAsync(text);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            try { ctx.Response.Abort(); } catch (Exception) { }
        }
    }

    static int FreePort()
    {
        return Myelin.TestSupport.TestPorts.Free();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try { await _loop; } catch (Exception) { }
    }
}
