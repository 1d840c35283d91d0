using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Client;

/// <summary>
/// <see cref="IMatrixClient"/> over one shared HttpClient. Never throws for server or network failures:
/// they come back as <see cref="MatrixResult{T}"/> and are counted in the <see cref="ErrorTally"/>.
/// Only cancellation by the caller throws. 429 answers are retried after retry_after_ms, a few times.
/// </summary>
public sealed class MatrixHttpClient : IMatrixClient
{
    private const string ClientV3 = "_matrix/client/v3/";
    private static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly ErrorTally? _errors;
    private readonly TimeSpan _requestTimeout;
    private readonly int _maxRateLimitRetries;

    public MatrixHttpClient(HttpClient http, ErrorTally? errors, TimeSpan requestTimeout, int maxRateLimitRetries = 5)
    {
        if (http.BaseAddress is null)
            throw new ArgumentException("HttpClient needs a BaseAddress", nameof(http));
        _http = http;
        _errors = errors;
        _requestTimeout = requestTimeout;
        _maxRateLimitRetries = maxRateLimitRetries;
    }

    /// <summary>An HttpClient whose connection count to the server is bounded; timeouts are per request.</summary>
    public static HttpClient CreateHttpClient(Uri baseUrl, int maxConnections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            AutomaticDecompression = DecompressionMethods.All,
            UseCookies = false,
        };
        return new HttpClient(handler)
        {
            BaseAddress = baseUrl,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Task<MatrixResult<IReadOnlyList<string>>> GetVersionsAsync(CancellationToken ct) =>
        CallAsync<IReadOnlyList<string>>(HttpMethod.Get, "_matrix/client/versions", null, null, _requestTimeout, ct,
            root => root.TryGetProperty("versions", out var v) && v.ValueKind == JsonValueKind.Array
                ? v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList()
                : null);

    public async Task<MatrixResult<Session>> RegisterAsync(string username, string password, CancellationToken ct)
    {
        JsonObject Body(string? session)
        {
            var auth = new JsonObject { ["type"] = "m.login.dummy" };
            if (session is not null)
                auth["session"] = session;
            return new JsonObject
            {
                ["username"] = username,
                ["password"] = password,
                ["initial_device_display_name"] = "myelin-loadtest",
                ["auth"] = auth,
            };
        }

        // Most servers complete the dummy stage in one request; the spec's flow asks for a session first,
        // so a 401 that carries one is answered once more with it.
        string? session = null;
        var first = await CallAsync(HttpMethod.Post, ClientV3 + "register", null, Body(null), _requestTimeout, ct, ParseSession,
            onError: root => session = root.TryGetProperty("session", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null,
            track: false);
        if (first.IsSuccess || first.Status != 401 || session is null)
            return Track(first);
        return Track(await CallAsync(HttpMethod.Post, ClientV3 + "register", null, Body(session), _requestTimeout, ct, ParseSession, track: false));
    }

    public async Task<MatrixResult<Session>> RegisterWithSharedSecretAsync(string username, string password, string sharedSecret, CancellationToken ct)
    {
        const string path = "_synapse/admin/v1/register";
        var nonce = await CallAsync(HttpMethod.Get, path, null, null, _requestTimeout, ct,
            root => root.TryGetProperty("nonce", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null);
        if (!nonce.IsSuccess)
            return nonce.As<Session>();
        var body = new JsonObject
        {
            ["nonce"] = nonce.Value,
            ["username"] = username,
            ["password"] = password,
            ["admin"] = false,
            ["mac"] = SharedSecretMac(sharedSecret, nonce.Value!, username, password, admin: false),
        };
        return await CallAsync(HttpMethod.Post, path, null, body, _requestTimeout, ct, ParseSession);
    }

    /// <summary>HMAC-SHA1 over nonce, user, password and admin flag separated by NULs, as the admin API defines.</summary>
    public static string SharedSecretMac(string sharedSecret, string nonce, string username, string password, bool admin)
    {
        var message = $"{nonce}\0{username}\0{password}\0{(admin ? "admin" : "notadmin")}";
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(sharedSecret), Encoding.UTF8.GetBytes(message));
        return Convert.ToHexStringLower(mac);
    }

    public Task<MatrixResult<Session>> LoginAsync(string username, string password, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["type"] = "m.login.password",
            ["identifier"] = new JsonObject { ["type"] = "m.id.user", ["user"] = username },
            ["password"] = password,
            ["initial_device_display_name"] = "myelin-loadtest",
        };
        return CallAsync(HttpMethod.Post, ClientV3 + "login", null, body, _requestTimeout, ct, ParseSession);
    }

    public Task<MatrixResult<string>> WhoAmIAsync(string accessToken, CancellationToken ct) =>
        CallAsync(HttpMethod.Get, ClientV3 + "account/whoami", accessToken, null, _requestTimeout, ct, root => Str(root, "user_id"));

    public Task<MatrixResult<string>> CreateRoomAsync(string accessToken, string name, CancellationToken ct)
    {
        var body = new JsonObject { ["preset"] = "public_chat", ["name"] = name, ["visibility"] = "private" };
        return CallAsync(HttpMethod.Post, ClientV3 + "createRoom", accessToken, body, _requestTimeout, ct, root => Str(root, "room_id"));
    }

    public Task<MatrixResult<string>> CreateFilterAsync(string accessToken, string userId, string filterJson, CancellationToken ct) =>
        CallAsync(HttpMethod.Post, $"{ClientV3}user/{Esc(userId)}/filter", accessToken, JsonNode.Parse(filterJson), _requestTimeout, ct,
            root => Str(root, "filter_id"), track: false); // a server that stores no filters gets them inline: not an error

    public Task<MatrixResult<string>> JoinRoomAsync(string accessToken, string roomId, CancellationToken ct) =>
        CallAsync(HttpMethod.Post, $"{ClientV3}rooms/{Esc(roomId)}/join", accessToken, new JsonObject(), _requestTimeout, ct,
            root => Str(root, "room_id"));

    public Task<MatrixResult<string>> SendMessageAsync(string accessToken, string roomId, string txnId, JsonObject content, CancellationToken ct) =>
        CallAsync(HttpMethod.Put, $"{ClientV3}rooms/{Esc(roomId)}/send/m.room.message/{Esc(txnId)}", accessToken, content, _requestTimeout, ct,
            root => Str(root, "event_id"));

    public Task<MatrixResult<SyncResponse>> SyncAsync(string accessToken, string? since, int timeoutMs, string? filter, CancellationToken ct)
    {
        var query = new StringBuilder(ClientV3).Append("sync?timeout=").Append(timeoutMs.ToString(CultureInfo.InvariantCulture));
        if (since is not null)
            query.Append("&since=").Append(Uri.EscapeDataString(since));
        if (filter is not null)
            query.Append("&filter=").Append(Uri.EscapeDataString(filter));
        // The long-poll may legitimately take timeoutMs; allow that on top of the ordinary request timeout.
        var timeout = _requestTimeout + TimeSpan.FromMilliseconds(timeoutMs);
        return CallAsync(HttpMethod.Get, query.ToString(), accessToken, null, timeout, ct, SyncResponse.Parse);
    }

    public Task<MatrixResult<MessagesPage>> GetMessagesBackwardsAsync(string accessToken, string roomId, string from, int limit, string? filter, CancellationToken ct)
    {
        var query = new StringBuilder($"{ClientV3}rooms/{Esc(roomId)}/messages?dir=b&from={Uri.EscapeDataString(from)}&limit={limit.ToString(CultureInfo.InvariantCulture)}");
        if (filter is not null)
            query.Append("&filter=").Append(Uri.EscapeDataString(filter));
        return CallAsync(HttpMethod.Get, query.ToString(), accessToken, null, _requestTimeout, ct,
            root => new MessagesPage(SyncResponse.ParseEvents(root, "chunk"), Str(root, "end")));
    }

    public async Task<MatrixResult<bool>> SetTypingAsync(string accessToken, string roomId, string userId, bool typing, int timeoutMs, CancellationToken ct)
    {
        var body = new JsonObject { ["typing"] = typing };
        if (typing)
            body["timeout"] = timeoutMs;
        return Unwrap(await CallAsync(HttpMethod.Put, $"{ClientV3}rooms/{Esc(roomId)}/typing/{Esc(userId)}", accessToken, body, _requestTimeout, ct, _ => (bool?)true));
    }

    public async Task<MatrixResult<bool>> SendReadReceiptAsync(string accessToken, string roomId, string eventId, CancellationToken ct) =>
        Unwrap(await CallAsync(HttpMethod.Post, $"{ClientV3}rooms/{Esc(roomId)}/receipt/m.read/{Esc(eventId)}", accessToken, new JsonObject(), _requestTimeout, ct, _ => (bool?)true));

    private static MatrixResult<bool> Unwrap(MatrixResult<bool?> r) => r.IsSuccess
        ? MatrixResult<bool>.Success(true, r.Status, r.Elapsed)
        : MatrixResult<bool>.Failure(r.Status, r.ErrCode, r.Error, r.Elapsed);

    private static Session? ParseSession(JsonElement root)
    {
        var userId = Str(root, "user_id");
        var token = Str(root, "access_token");
        return userId is null || token is null ? null : new Session(userId, token, Str(root, "device_id"));
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string Esc(string segment) => Uri.EscapeDataString(segment);

    private MatrixResult<T> Track<T>(MatrixResult<T> result)
    {
        if (!result.IsSuccess)
            _errors?.Record(result.Status, result.ErrCode);
        return result;
    }

    private async Task<MatrixResult<T>> CallAsync<T>(
        HttpMethod method, string path, string? accessToken, JsonNode? body, TimeSpan timeout, CancellationToken ct,
        Func<JsonElement, T?> parse, Action<JsonElement>? onError = null, bool track = true)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path);
            if (accessToken is not null)
                request.Headers.Authorization = new("Bearer", accessToken);
            if (body is not null)
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeoutCts.CancelAfter(timeout);
            int status;
            byte[] payload;
            TimeSpan? retryAfterHeader;
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeoutCts.Token);
                status = (int)response.StatusCode;
                retryAfterHeader = response.Headers.RetryAfter?.Delta;
                payload = await response.Content.ReadAsByteArrayAsync(timeoutCts.Token);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                return Finish(MatrixResult<T>.Failure(0, LocalErrors.Timeout, $"no answer within {timeout.TotalSeconds:F0} s", Stopwatch.GetElapsedTime(started)), track);
            }
            catch (HttpRequestException e)
            {
                return Finish(MatrixResult<T>.Failure(0, LocalErrors.ConnectionFailed, e.Message, Stopwatch.GetElapsedTime(started)), track);
            }

            JsonDocument? doc = null;
            try
            {
                doc = payload.Length > 0 ? JsonDocument.Parse(payload) : null;
            }
            catch (JsonException)
            {
                // Handled below: a success without JSON is a bad response, an error without JSON keeps its status.
            }

            using (doc)
            {
                var root = doc?.RootElement ?? default;
                if (status is >= 200 and < 300)
                {
                    T? value = default;
                    try
                    {
                        value = doc is null ? default : parse(root);
                    }
                    catch (FormatException)
                    {
                    }
                    return value is null
                        ? Finish(MatrixResult<T>.Failure(status, LocalErrors.BadResponse, "response did not have the expected shape", Stopwatch.GetElapsedTime(started)), track)
                        : MatrixResult<T>.Success(value, status, Stopwatch.GetElapsedTime(started));
                }

                var errcode = root.ValueKind == JsonValueKind.Object ? Str(root, "errcode") : null;
                var error = root.ValueKind == JsonValueKind.Object ? Str(root, "error") : null;
                if (status == 429 && attempt < _maxRateLimitRetries)
                {
                    _errors?.Record(status, errcode);
                    var wait = RetryDelay(root, retryAfterHeader);
                    await Task.Delay(wait, ct);
                    continue;
                }
                if (root.ValueKind == JsonValueKind.Object)
                    onError?.Invoke(root);
                return Finish(MatrixResult<T>.Failure(status, errcode, error ?? Truncate(payload), Stopwatch.GetElapsedTime(started)), track);
            }
        }
    }

    private MatrixResult<T> Finish<T>(MatrixResult<T> result, bool track) => track ? Track(result) : result;

    /// <summary>retry_after_ms from the body (spec: M_LIMIT_EXCEEDED), else the Retry-After header, else one second.</summary>
    public static TimeSpan RetryDelay(JsonElement root, TimeSpan? retryAfterHeader)
    {
        TimeSpan wait = retryAfterHeader ?? TimeSpan.FromSeconds(1);
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("retry_after_ms", out var ms) && ms.TryGetInt64(out var millis))
            wait = TimeSpan.FromMilliseconds(millis);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryWait ? MaxRetryWait : wait;
    }

    private static string? Truncate(byte[] payload)
    {
        if (payload.Length == 0)
            return null;
        var text = Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 200));
        return text.Trim();
    }
}
