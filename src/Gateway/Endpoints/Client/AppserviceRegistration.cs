using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// spec: application service API, "Server admin style permissions" / client-server <c>POST /register</c>
/// with <c>type: m.login.application_service</c> — a service registers a user of its users namespace,
/// authenticated by its <c>as_token</c>, with no interactive auth and whether or not registration is open.
/// </summary>
public static class AppserviceRegistration
{
    public const string LoginType = "m.login.application_service";

    public static async Task<IResult> RegisterAsync(HttpContext ctx, JsonObject body, HomeserverOptions options, MyelinDatabase db,
        AccessTokens tokens)
    {
        var token = AccessTokens.FromRequest(ctx.Request)
            ?? throw MatrixException.Unknown("Appservice token must be provided when using a type of m.login.application_service");
        var service = options.Appservices.ByToken(token)
            ?? throw new MatrixException(401, "M_UNKNOWN_TOKEN", "Unrecognised access token", "{\"soft_logout\":false}");

        // The application service API names it `user`; clients send `username` (Synapse takes either).
        var localpart = body.OptString("user") ?? body.OptString("username")
            ?? throw MatrixException.Unknown("Desired Username is missing or not a string");
        var userId = $"@{localpart}:{options.ServerName}";
        if (localpart.Length == 0 || localpart.Contains(':') || !MatrixIds.IsValidUserId(userId))
            throw new MatrixException(400, "M_INVALID_USERNAME", "Invalid user ID");
        if (!service.IsInterestedInUser(userId))
            throw new MatrixException(400, "M_EXCLUSIVE", "Invalid user localpart for this application service.");
        if (options.Appservices.ExclusiveOwnerOfUser(userId, except: service) is not null)
            throw new MatrixException(400, "M_EXCLUSIVE", "This user ID is reserved by an application service.");

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!await db.Accounts.CreateUserAsync(userId, passwordHash: null, isAdmin: false, isGuest: false, now))
            throw new MatrixException(400, "M_USER_IN_USE", "User ID already taken.");
        await db.Accounts.SetDisplayNameAsync(userId, localpart);

        var result = new JsonObject { ["user_id"] = userId, ["home_server"] = options.ServerName };
        if (body.OptBool("inhibit_login") != true)
        {
            var deviceId = body.OptString("device_id") ?? MatrixIds.NewOpaqueId(10).ToUpperInvariant();
            await db.Devices.UpsertDeviceAsync(userId, deviceId, body.OptString("initial_device_display_name"), now,
                ctx.Connection.RemoteIpAddress?.ToString());
            result["access_token"] = await tokens.IssueAsync(userId, deviceId);
            result["device_id"] = deviceId;
        }
        return JsonBody.Json(result);
    }
}
