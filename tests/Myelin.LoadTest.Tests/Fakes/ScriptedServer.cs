using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Myelin.LoadTest.Tests.Fakes;

/// <summary>A loopback HTTP server whose every answer comes from a test-supplied function.</summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    public sealed record Reply(int Status, string Body, TimeSpan Delay = default);
    public sealed record Received(string Method, string Path, string Body);

    private readonly HttpListener _listener = new();
    private readonly Func<Received, int, Reply> _script;
    private readonly Task _loop;
    private int _count;

    public ScriptedServer(Func<Received, int, Reply> script)
    {
        _script = script;
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Uri Url => new($"http://127.0.0.1:{Port}/");
    public List<Received> Requests { get; } = [];

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
                var received = new Received(ctx.Request.HttpMethod, ctx.Request.Url!.PathAndQuery, await reader.ReadToEndAsync());
                int n;
                lock (Requests)
                {
                    Requests.Add(received);
                    n = _count++;
                }
                var reply = _script(received, n);
                try
                {
                    if (reply.Delay > TimeSpan.Zero)
                        await Task.Delay(reply.Delay);
                    var bytes = Encoding.UTF8.GetBytes(reply.Body);
                    ctx.Response.StatusCode = reply.Status;
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.OutputStream.WriteAsync(bytes);
                    ctx.Response.Close();
                }
                catch (Exception)
                {
                    // The client gave up first.
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
