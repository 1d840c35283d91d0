using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class LoginEndpoints
{
    public static void MapLogin(this RouteGroupBuilder g)
    {
        g.MapGet("/login", GetFlows);
        g.MapPost("/login", Login);
        g.MapPost("/logout", Logout);
        g.MapPost("/logout/all", LogoutAll);
        g.MapGet("/account/whoami", (Delegate)WhoAmI);
    }

    /// <summary>`GET /_matrix/client/v3/login`</summary>
    static IResult GetFlows() => JsonBody.Json(new JsonObject
    {
        ["flows"] = new JsonArray(new JsonObject { ["type"] = "m.login.password" }),
    });

    /// <summary>`POST /_matrix/client/v3/login`</summary>
    static async Task<IResult> Login(HttpContext ctx, HomeserverOptions options, MyelinDatabase db, AccessTokens tokens)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var type = body.ReqString("type");
        if (type != "m.login.password")
            throw new MatrixException(400, "M_UNKNOWN", $"Unknown login type {type}");

        var identifier = body.OptObject("identifier");
        string? user;
        if (identifier is not null)
        {
            var idType = identifier.ReqString("type");
            if (idType != "m.id.user")
                throw new MatrixException(400, "M_UNKNOWN", $"Unsupported identifier type {idType}");
            user = identifier.ReqString("user");
        }
        else
        {
            user = body.OptString("user") ?? throw MatrixException.MissingParam("Missing 'identifier'");
        }
        var password = body.ReqString("password");

        var userId = user.StartsWith('@') ? user : $"@{user}:{options.ServerName}";
        // Synapse matches user IDs case-insensitively at login.
        var account = await db.Accounts.GetUserAsync(userId) ?? await db.Accounts.GetUserAsync(userId.ToLowerInvariant());
        // Synapse: deactivation wipes the password, and a deactivated account is told so rather than "invalid".
        if (account is { PasswordHash: null, Deactivated: true })
            throw new MatrixException(403, "M_USER_DEACTIVATED", "This account has been deactivated");
        if (account?.PasswordHash is null || !PasswordHasher.Verify(password, account.PasswordHash))
            throw MatrixException.Forbidden("Invalid username or password");
        if (account.Deactivated)
            throw new MatrixException(403, "M_USER_DEACTIVATED", "This account has been deactivated");

        var deviceId = body.OptString("device_id") ?? MatrixIds.NewOpaqueId(10).ToUpperInvariant();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await db.Devices.UpsertDeviceAsync(account.UserId, deviceId, body.OptString("initial_device_display_name"), now,
            ctx.Connection.RemoteIpAddress?.ToString());
        var token = await tokens.IssueAsync(account.UserId, deviceId);
        return JsonBody.Json(new JsonObject
        {
            ["user_id"] = account.UserId,
            ["access_token"] = token,
            ["device_id"] = deviceId,
            ["home_server"] = options.ServerName,
            ["well_known"] = new JsonObject { ["m.homeserver"] = new JsonObject { ["base_url"] = options.PublicBaseUrl } },
        });
    }

    /// <summary>`POST /_matrix/client/v3/logout` — ends the session and removes its device, as Synapse does.</summary>
    static async Task<IResult> Logout(HttpContext ctx, MyelinDatabase db, AccessTokens tokens)
    {
        var me = await ctx.AuthAsync();
        await db.Devices.DeleteDevicesAsync(me.UserId, [me.DeviceId]);
        await db.AccessTokens.DeleteAccessTokenAsync(me.AccessToken);
        tokens.ForgetUser(me.UserId);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/logout/all`</summary>
    static async Task<IResult> LogoutAll(HttpContext ctx, MyelinDatabase db, AccessTokens tokens)
    {
        var me = await ctx.AuthAsync();
        var devices = await db.Devices.GetDevicesAsync(me.UserId);
        await db.Devices.DeleteDevicesAsync(me.UserId, devices.Select(d => d.DeviceId).ToList());
        await db.AccessTokens.DeleteAllForUserAsync(me.UserId);
        tokens.ForgetUser(me.UserId);
        return JsonBody.Empty();
    }

    /// <summary>`GET /_matrix/client/v3/account/whoami`</summary>
    static async Task<IResult> WhoAmI(HttpContext ctx)
    {
        var me = await ctx.AuthAsync();
        var result = new JsonObject { ["user_id"] = me.UserId, ["device_id"] = me.DeviceId, ["is_guest"] = me.IsGuest };
        if (me.DeviceId.Length == 0) result.Remove("device_id"); // an application service acting without a device
        return JsonBody.Json(result);
    }
}
