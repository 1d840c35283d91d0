using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.LoadTest.Tests.Fakes;

/// <summary>
/// A tiny in-memory homeserver on a loopback port, just enough of the Client-Server API for the harness:
/// register, login, whoami, createRoom, join, send, sync (long-poll), typing, receipts. Faults can be
/// injected: drop or duplicate a timeline event for a receiver, or answer everything with a fixed error.
/// </summary>
public sealed class FakeHomeserver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _tokens = new();      // token -> user
    private readonly Dictionary<string, string> _passwords = new();   // user -> password
    private readonly Dictionary<string, HashSet<string>> _members = new(); // room -> users
    private readonly Dictionary<string, string> _txns = new();        // user|txn -> event id
    private readonly List<(long Pos, string RoomId, JsonObject Event)> _events = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _pos;

    public FakeHomeserver()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>(receiver, event ordinal among messages) pairs whose event the receiver's /sync never returns.</summary>
    public Func<string, long, bool> DropFor { get; set; } = (_, _) => false;

    /// <summary>(receiver, event ordinal) pairs whose event the receiver's /sync returns twice.</summary>
    public Func<string, long, bool> DuplicateFor { get; set; } = (_, _) => false;

    /// <summary>When set, every request (but /versions) is answered with this status and errcode.</summary>
    public (int Status, string Errcode)? FailEverything { get; set; }

    public int Requests;
    public int Registrations;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(ctx));
        }
    }

    private async Task HandleAsync(HttpListenerContext ctx)
    {
        Interlocked.Increment(ref Requests);
        int status;
        JsonNode body;
        try
        {
            (status, body) = await RouteAsync(ctx.Request);
        }
        catch (Exception e)
        {
            (status, body) = (500, Error("M_UNKNOWN", e.Message));
        }
        try
        {
            var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            // Client went away (e.g. a cancelled long-poll).
        }
    }

    private static JsonObject Error(string errcode, string error) => new() { ["errcode"] = errcode, ["error"] = error };

    private async Task<(int, JsonNode)> RouteAsync(HttpListenerRequest req)
    {
        var path = req.Url!.AbsolutePath;
        if (path == "/_matrix/client/versions")
            return (200, new JsonObject { ["versions"] = new JsonArray("v1.11") });
        if (FailEverything is { } fail)
            return (fail.Status, Error(fail.Errcode, "injected failure"));

        JsonObject? json = null;
        if (req.HasEntityBody)
        {
            using var reader = new StreamReader(req.InputStream, Encoding.UTF8);
            json = JsonNode.Parse(await reader.ReadToEndAsync()) as JsonObject;
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        // segments: _matrix client v3 ...
        var rest = segments.Skip(3).ToArray();

        if (rest is ["register"])
        {
            Interlocked.Increment(ref Registrations);
            var user = $"@{json!["username"]!.GetValue<string>()}:fake";
            lock (_gate)
            {
                if (_passwords.ContainsKey(user))
                    return (400, Error("M_USER_IN_USE", "taken"));
                _passwords[user] = json["password"]!.GetValue<string>();
            }
            return (200, NewSession(user));
        }
        if (rest is ["login"])
        {
            var user = $"@{json!["identifier"]!["user"]!.GetValue<string>()}:fake";
            lock (_gate)
            {
                if (!_passwords.TryGetValue(user, out var pw) || pw != json["password"]!.GetValue<string>())
                    return (403, Error("M_FORBIDDEN", "bad login"));
            }
            return (200, NewSession(user));
        }

        var token = req.Headers["Authorization"]?.Replace("Bearer ", "", StringComparison.Ordinal);
        string? me;
        lock (_gate)
            me = token is not null && _tokens.TryGetValue(token, out var u) ? u : null;
        if (me is null)
            return (401, Error("M_UNKNOWN_TOKEN", "who are you"));

        switch (rest)
        {
            case ["account", "whoami"]:
                return (200, new JsonObject { ["user_id"] = me });
            case ["createRoom"]:
            {
                var roomId = $"!{Guid.NewGuid():N}:fake";
                lock (_gate)
                    _members[roomId] = [me];
                return (200, new JsonObject { ["room_id"] = roomId });
            }
            case ["rooms", var roomId, "join"]:
                lock (_gate)
                {
                    if (!_members.TryGetValue(roomId, out var m))
                        return (404, Error("M_NOT_FOUND", "no room"));
                    m.Add(me);
                }
                return (200, new JsonObject { ["room_id"] = roomId });
            case ["rooms", var roomId, "send", var type, var txn]:
                lock (_gate)
                {
                    if (!_members.TryGetValue(roomId, out var m) || !m.Contains(me))
                        return (403, Error("M_FORBIDDEN", "not a member"));
                    if (!_txns.TryGetValue(me + "|" + txn, out var eventId))
                    {
                        eventId = $"${Guid.NewGuid():N}";
                        _txns[me + "|" + txn] = eventId;
                        Append(roomId, new JsonObject { ["event_id"] = eventId, ["type"] = type, ["sender"] = me, ["content"] = json!.DeepClone() });
                    }
                    return (200, new JsonObject { ["event_id"] = eventId });
                }
            case ["rooms", var roomId, "typing", _]:
                lock (_gate)
                    Append(roomId, new JsonObject { ["type"] = "m.typing", ["content"] = new JsonObject { ["user_ids"] = json!["typing"]!.GetValue<bool>() ? new JsonArray(me) : new JsonArray() } });
                return (200, new JsonObject());
            case ["rooms", var roomId, "receipt", var receiptType, var eventId]:
                lock (_gate)
                    Append(roomId, new JsonObject
                    {
                        ["type"] = "m.receipt",
                        ["content"] = new JsonObject { [eventId] = new JsonObject { [receiptType] = new JsonObject { [me] = new JsonObject { ["ts"] = 1 } } } },
                    });
                return (200, new JsonObject());
            case ["sync"]:
                return (200, await SyncAsync(me, req.QueryString["since"], int.Parse(req.QueryString["timeout"] ?? "0", System.Globalization.CultureInfo.InvariantCulture)));
            default:
                return (404, Error("M_UNRECOGNIZED", "unknown endpoint " + path));
        }
    }

    private JsonObject NewSession(string user)
    {
        var token = Guid.NewGuid().ToString("N");
        lock (_gate)
            _tokens[token] = user;
        return new JsonObject { ["user_id"] = user, ["access_token"] = token, ["device_id"] = "DEV" + token[..6] };
    }

    private void Append(string roomId, JsonObject ev)
    {
        _events.Add((++_pos, roomId, ev));
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private async Task<JsonObject> SyncAsync(string me, string? since, int timeoutMs)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var from = since is null ? _pos : long.Parse(since, System.Globalization.CultureInfo.InvariantCulture);
                var mine = _members.Where(kv => kv.Value.Contains(me)).Select(kv => kv.Key).ToHashSet();
                var news = _events.Where(e => e.Pos > from && mine.Contains(e.RoomId)).ToList();
                if (since is null || news.Count > 0 || DateTime.UtcNow >= deadline)
                {
                    var join = new JsonObject();
                    foreach (var roomId in since is null ? mine : news.Select(e => e.RoomId).Distinct())
                    {
                        var timeline = new JsonArray();
                        var ephemeral = new JsonArray();
                        foreach (var (pos, _, ev) in news.Where(e => e.RoomId == roomId))
                        {
                            var isEphemeral = ev["event_id"] is null;
                            if (!isEphemeral && DropFor(me, pos))
                                continue;
                            var target = isEphemeral ? ephemeral : timeline;
                            target.Add(ev.DeepClone());
                            if (!isEphemeral && DuplicateFor(me, pos))
                                target.Add(ev.DeepClone());
                        }
                        join[roomId] = new JsonObject
                        {
                            ["timeline"] = new JsonObject { ["events"] = timeline, ["limited"] = false },
                            ["ephemeral"] = new JsonObject { ["events"] = ephemeral },
                        };
                    }
                    return new JsonObject
                    {
                        ["next_batch"] = _pos.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["rooms"] = new JsonObject { ["join"] = join },
                    };
                }
                changed = _changed.Task;
            }
            var remaining = deadline - DateTime.UtcNow;
            if (remaining > TimeSpan.Zero)
                await Task.WhenAny(changed, Task.Delay(remaining, _stop.Token));
            if (_stop.IsCancellationRequested)
                return new JsonObject { ["next_batch"] = since };
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
        }
        _stop.Dispose();
    }
}
