using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Silo.Appservices;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Application services' own client-server endpoints (Synapse's rest/client/appservice_ping.py).</summary>
public static class AppserviceEndpoints
{
    public static void MapAppservicePing(this RouteGroupBuilder g)
    {
        g.MapPost("/appservice/{appserviceId}/ping", Ping)
            .WithSummary("Ask the homeserver to ping the application service to ensure the connection works.");
    }

    /// <summary>`POST /_matrix/client/v1/appservice/{appserviceId}/ping` — the homeserver calls the service's
    /// <c>/_matrix/app/v1/ping</c> and answers how long it took, or why it failed (spec's errcodes).</summary>
    static async Task<IResult> Ping(HttpContext ctx, string appserviceId, AppserviceApi api)
    {
        var me = await ctx.AuthAsync();
        var service = me.Appservice
            ?? throw MatrixException.Forbidden("Only application services can use the /appservice/ping endpoint");
        if (service.Id != appserviceId) throw MatrixException.Forbidden("Mismatching application service ID in path");
        if (service.Url is null)
            throw new MatrixException(400, "M_URL_NOT_SET", "The application service does not have a URL set");
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        string? transactionId = body["transaction_id"] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw MatrixException.InvalidParam("transaction_id must be a string"),
        };

        var result = await api.PingAsync(service, transactionId, ctx.RequestAborted);
        return result.Failure switch
        {
            AppserviceCallFailure.None => JsonBody.Json(new JsonObject { ["duration_ms"] = (long)result.Duration.TotalMilliseconds }),
            AppserviceCallFailure.Timeout => throw new MatrixException(504, "M_CONNECTION_TIMEOUT", "Timeout while pinging appservice"),
            AppserviceCallFailure.BadStatus => throw new MatrixException(502, "M_BAD_STATUS", $"Ping returned status {result.Status}",
                new JsonObject { ["status"] = result.Status, ["body"] = result.Body ?? "" }.ToJsonString()),
            _ => throw new MatrixException(502, "M_CONNECTION_FAILED", "Failed to ping appservice"),
        };
    }
}
