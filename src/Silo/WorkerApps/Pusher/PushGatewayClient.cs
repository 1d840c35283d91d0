using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>What a push gateway answered: delivered (with the pushkeys it rejected), or failed (unreachable, an
/// error status, or an answer that is not JSON), to be retried.</summary>
public sealed record PushOutcome(bool Delivered, IReadOnlyList<string> Rejected, string? Error = null)
{
    public static PushOutcome Failed(string error) => new(false, [], error);
}

/// <summary>Sends notifications to push gateways (spec: push gateway API, <c>POST /_matrix/push/v1/notify</c>).</summary>
public interface IPushGatewayClient
{
    Task<PushOutcome> NotifyAsync(string url, JsonObject body, CancellationToken ct);
}

public sealed class PushGatewayClient : IPushGatewayClient, IDisposable
{
    readonly HttpClient _http;

    public PushGatewayClient(PusherSettings settings, HttpMessageHandler? handler = null)
    {
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = settings.IpFilter.ConnectAsync,
            // A redirect could lead anywhere; a push gateway answers the notify request itself.
            AllowAutoRedirect = false,
            UseProxy = false,
        })
        {
            Timeout = settings.RequestTimeout,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Myelin", "1.0"));
    }

    public async Task<PushOutcome> NotifyAsync(string url, JsonObject body, CancellationToken ct)
    {
        try
        {
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await _http.PostAsync(url, content, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode) return PushOutcome.Failed($"HTTP {(int)response.StatusCode}");
            // As Synapse: an answer that is not JSON is a failure (the gateway is not well).
            return new PushOutcome(true, Myelin.Matrix.PushNotifications.Rejected(JsonNode.Parse(text)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return PushOutcome.Failed(e.Message);
        }
    }

    public void Dispose() => _http.Dispose();
}
