using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Myelin.Matrix;

namespace Myelin.Silo.Appservices;

/// <summary>How a call to an application service ended, when it did not succeed.</summary>
public enum AppserviceCallFailure { None, Timeout, ConnectionFailed, BadStatus }

/// <summary>The answer of an application service to one call.</summary>
public sealed record AppserviceCallResult(AppserviceCallFailure Failure, int? Status, string? Body, TimeSpan Duration, string? Error)
{
    public bool Ok => Failure == AppserviceCallFailure.None;
}

/// <summary>
/// The homeserver's side of the application service API (spec: application-service-api): PUT
/// <c>/_matrix/app/v1/transactions/{txnId}</c> and POST <c>/_matrix/app/v1/ping</c>, authenticated with the
/// service's <c>hs_token</c> as a bearer token (the spec's current way; the query parameter is legacy).
/// </summary>
public sealed class AppserviceApi : IDisposable
{
    readonly HttpClient _http;

    public AppserviceApi(TimeSpan? timeout = null)
    {
        // Each call has its own timeout (the client's own stays infinite so a slow call is told apart
        // from a cancelled one).
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        CallTimeout = timeout ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>How long a call may take before it counts as timed out.</summary>
    public TimeSpan CallTimeout { get; }

    public Task<AppserviceCallResult> PushTransactionAsync(ApplicationService service, long txnId, string bodyJson, CancellationToken ct) =>
        CallAsync(HttpMethod.Put, service, $"/_matrix/app/v1/transactions/{txnId}", bodyJson, ct);

    public Task<AppserviceCallResult> PingAsync(ApplicationService service, string? transactionId, CancellationToken ct)
    {
        var body = transactionId is null ? "{}" : new System.Text.Json.Nodes.JsonObject { ["transaction_id"] = transactionId }.ToJsonString();
        return CallAsync(HttpMethod.Post, service, "/_matrix/app/v1/ping", body, ct);
    }

    async Task<AppserviceCallResult> CallAsync(HttpMethod method, ApplicationService service, string path, string bodyJson, CancellationToken ct)
    {
        if (service.Url is null) throw new InvalidOperationException($"{service} has no url");
        using var request = new HttpRequestMessage(method, service.Url + path)
        {
            Content = new StringContent(bodyJson, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", service.HsToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CallTimeout);
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await _http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new AppserviceCallResult(AppserviceCallFailure.None, status, text, clock.Elapsed, null)
                : new AppserviceCallResult(AppserviceCallFailure.BadStatus, status, text, clock.Elapsed, $"status {status}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new AppserviceCallResult(AppserviceCallFailure.Timeout, null, null, clock.Elapsed, "timed out");
        }
        catch (HttpRequestException e)
        {
            return new AppserviceCallResult(AppserviceCallFailure.ConnectionFailed, null, null, clock.Elapsed, e.Message);
        }
    }

    public void Dispose() => _http.Dispose();
}
