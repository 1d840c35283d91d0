using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>
/// A push gateway for tests (spec: push gateway API): an HTTP listener on a free loopback port that records every
/// <c>POST /_matrix/push/v1/notify</c> body. It can be told to fail (answer 500) and which pushkeys to reject.
/// </summary>
public sealed class FakePushGateway : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<JsonObject> _received = new();
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public FakePushGateway()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string NotifyUrl => $"http://127.0.0.1:{Port}/_matrix/push/v1/notify";

    /// <summary>While true, every request is answered 500 and not recorded.</summary>
    public volatile bool Failing;
    /// <summary>Requests answered 500 while <see cref="Failing"/>.</summary>
    public int FailedRequests => _failed;
    int _failed;
    /// <summary>Pushkeys answered as rejected.</summary>
    public readonly ConcurrentDictionary<string, bool> Reject = new();

    /// <summary>Every notification received, in arrival order (the <c>notification</c> object).</summary>
    public IReadOnlyList<JsonObject> Received => _received.ToList();

    /// <summary>Notifications about an event (badge-only updates have an empty id and no event_id).</summary>
    public IReadOnlyList<JsonObject> ForEvents(string? pushkey = null) => Received
        .Where(n => n["event_id"] is not null)
        .Where(n => pushkey is null || (string?)n["devices"]![0]!["pushkey"] == pushkey).ToList();

    public async Task<IReadOnlyList<JsonObject>> WaitForAsync(Func<IReadOnlyList<JsonObject>, bool> done, string what,
        TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            var r = Received;
            if (done(r)) return r;
            await Task.Delay(50);
        }
        throw new TimeoutException($"push gateway: {what} did not happen; received:\n" + string.Join("\n", Received.Select(n => n.ToJsonString())));
    }

    async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening) { return; }
            catch (HttpListenerException) { continue; }
            try
            {
                using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
                var text = await reader.ReadToEndAsync();
                if (Failing || ctx.Request.Url?.AbsolutePath != "/_matrix/push/v1/notify")
                {
                    Interlocked.Increment(ref _failed);
                    await AnswerAsync(ctx, 500, """{"error":"down"}""");
                    continue;
                }
                var n = (JsonNode.Parse(text) as JsonObject)?["notification"] as JsonObject ?? [];
                _received.Enqueue(n);
                var rejected = (n["devices"] as JsonArray ?? []).Select(d => (string?)d?["pushkey"])
                    .Where(k => k is not null && Reject.ContainsKey(k)).Select(k => (JsonNode)k!).ToArray();
                await AnswerAsync(ctx, 200, new JsonObject { ["rejected"] = new JsonArray(rejected) }.ToJsonString());
            }
            catch (Exception)
            {
                try { ctx.Response.Abort(); } catch (Exception) { }
            }
        }
    }

    static async Task AnswerAsync(HttpListenerContext ctx, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength64 = bytes.Length;
        await ctx.Response.OutputStream.WriteAsync(bytes);
        ctx.Response.Close();
    }

    static int FreePort()
    {
        return Myelin.TestSupport.TestPorts.Free();
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _listener.Stop(); _listener.Close(); } catch (Exception) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (Exception) { }
    }
}
