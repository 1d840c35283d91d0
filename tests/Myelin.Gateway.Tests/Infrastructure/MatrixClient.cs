using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>A small hand-held client for HTTP tests: raw requests plus the common set-up steps.</summary>
public sealed class MatrixClient(Uri baseUrl) : IDisposable
{
    readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };

    public string? AccessToken { get; set; }
    public string UserId { get; private set; } = "";
    public string DeviceId { get; private set; } = "";

    public sealed record Response(int Status, JsonNode? Body, string Raw)
    {
        public JsonObject Json => Body as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {Raw}");
        public string? ErrCode => (Body as JsonObject)?["errcode"]?.GetValue<string>();
    }

    public async Task<Response> SendAsync(HttpMethod method, string path, object? body = null, string? rawBody = null, bool auth = true)
    {
        using var req = new HttpRequestMessage(method, path);
        if (auth && AccessToken is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessToken);
        if (rawBody is not null) req.Content = new StringContent(rawBody, Encoding.UTF8, "application/json");
        else if (body is not null)
            req.Content = new StringContent(body is JsonNode n ? n.ToJsonString() : System.Text.Json.JsonSerializer.Serialize(body),
                Encoding.UTF8, "application/json");
        using var resp = await _http.SendAsync(req);
        var raw = await resp.Content.ReadAsStringAsync();
        JsonNode? parsed = null;
        try { parsed = raw.Length > 0 ? JsonNode.Parse(raw) : null; } catch (System.Text.Json.JsonException) { }
        return new Response((int)resp.StatusCode, parsed, raw);
    }

    public Task<Response> GetAsync(string path) => SendAsync(HttpMethod.Get, path);
    public Task<Response> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body ?? new { });
    public Task<Response> PutAsync(string path, object? body = null) => SendAsync(HttpMethod.Put, path, body ?? new { });
    public Task<Response> DeleteAsync(string path, object? body = null) => SendAsync(HttpMethod.Delete, path, body);

    public static string NewLocalpart(string prefix = "u") => $"{prefix}{Guid.NewGuid():N}"[..16];

    /// <summary>Registers a fresh user (m.login.dummy) and keeps its token.</summary>
    public async Task<MatrixClient> RegisterAsync(string? localpart = null, string password = "correct horse")
    {
        localpart ??= NewLocalpart();
        var r = await PostAsync("/_matrix/client/v3/register",
            new { username = localpart, password, auth = new { type = "m.login.dummy" } });
        if (r.Status != 200) throw new InvalidOperationException($"register failed: {r.Status} {r.Raw}");
        AccessToken = r.Json["access_token"]!.GetValue<string>();
        UserId = r.Json["user_id"]!.GetValue<string>();
        DeviceId = r.Json["device_id"]!.GetValue<string>();
        return this;
    }

    public async Task<string> CreateRoomAsync(object? body = null)
    {
        var r = await PostAsync("/_matrix/client/v3/createRoom", body ?? new { });
        if (r.Status != 200) throw new InvalidOperationException($"createRoom failed: {r.Status} {r.Raw}");
        return r.Json["room_id"]!.GetValue<string>();
    }

    public async Task JoinAsync(string roomIdOrAlias)
    {
        var r = await PostAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(roomIdOrAlias)}");
        if (r.Status != 200) throw new InvalidOperationException($"join failed: {r.Status} {r.Raw}");
    }

    public async Task<string> SendMessageAsync(string roomId, string text)
    {
        var r = await PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/send/m.room.message/{Guid.NewGuid():N}",
            new { msgtype = "m.text", body = text });
        if (r.Status != 200) throw new InvalidOperationException($"send failed: {r.Status} {r.Raw}");
        return r.Json["event_id"]!.GetValue<string>();
    }

    public async Task<JsonObject> SyncAsync(string? since = null, int timeoutMs = 0, string? filter = null)
    {
        var q = new List<string> { $"timeout={timeoutMs}" };
        if (since is not null) q.Add("since=" + Uri.EscapeDataString(since));
        if (filter is not null) q.Add("filter=" + Uri.EscapeDataString(filter));
        var r = await GetAsync("/_matrix/client/v3/sync?" + string.Join('&', q));
        if (r.Status != 200) throw new InvalidOperationException($"sync failed: {r.Status} {r.Raw}");
        return r.Json;
    }

    public void Dispose() => _http.Dispose();
}
