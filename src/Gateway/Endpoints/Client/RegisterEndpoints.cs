using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class RegisterEndpoints
{
    static readonly string[][] RegistrationFlows = [["m.login.dummy"]];
    const int MaxPasswordLength = 512;

    public static void MapRegister(this RouteGroupBuilder g)
    {
        g.MapPost("/register", Register);
        g.MapGet("/register/available", Available);
    }

    /// <summary>`POST /_matrix/client/v3/register`</summary>
    static async Task<IResult> Register(HttpContext ctx, HomeserverOptions options, MyelinDatabase db,
        UserInteractiveAuth uia, AccessTokens tokens)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var kind = ctx.Request.Query["kind"].ToString();
        if (kind == "guest") throw new MatrixException(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest access is disabled");
        if (kind is not ("" or "user")) throw MatrixException.InvalidParam("Invalid kind");
        // Application services register their users whether or not registration is open (as Synapse).
        if (body.OptString("type") == AppserviceRegistration.LoginType)
            return await AppserviceRegistration.RegisterAsync(ctx, body, options, db, tokens);
        if (!options.EnableRegistration) throw MatrixException.Forbidden("Registration has been disabled");

        var password = body.OptString("password");
        if (password is not null && password.Length > MaxPasswordLength)
            throw MatrixException.InvalidParam("Password too long");
        var deviceId = body.OptString("device_id");
        var displayName = body.OptString("initial_device_display_name");
        var inhibitLogin = body.OptBool("inhibit_login") ?? false;
        var username = body.OptString("username");

        // Synapse checks the username before the auth stages, so clients learn of a taken name at once.
        string userId;
        if (username is not null)
        {
            userId = await CheckUsernameAsync(username, options.ServerName, db, options.Appservices);
        }
        else
        {
            userId = await GenerateUserIdAsync(options.ServerName, db, options.Appservices);
        }

        await uia.RequireAsync(body, RegistrationFlows, null);

        var hash = password is null ? null : PasswordHasher.Hash(password, options.BcryptRounds);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!await db.Accounts.CreateUserAsync(userId, hash, isAdmin: false, isGuest: false, now))
            throw new MatrixException(400, "M_USER_IN_USE", "User ID already taken.");
        var localpart = userId[1..userId.IndexOf(':')];
        await db.Accounts.SetDisplayNameAsync(userId, localpart);

        var result = new JsonObject { ["user_id"] = userId, ["home_server"] = options.ServerName };
        if (!inhibitLogin)
        {
            deviceId ??= MatrixIds.NewOpaqueId(10).ToUpperInvariant();
            await db.Devices.UpsertDeviceAsync(userId, deviceId, displayName, now, ctx.Connection.RemoteIpAddress?.ToString());
            result["access_token"] = await tokens.IssueAsync(userId, deviceId);
            result["device_id"] = deviceId;
        }
        return JsonBody.Json(result);
    }

    /// <summary>`GET /_matrix/client/v3/register/available`</summary>
    static async Task<IResult> Available(HttpContext ctx, HomeserverOptions options, MyelinDatabase db)
    {
        var username = ctx.Request.Query["username"].ToString();
        if (username.Length == 0) throw MatrixException.MissingParam("Missing 'username'");
        await CheckUsernameAsync(username, options.ServerName, db, options.Appservices);
        return JsonBody.Json(new JsonObject { ["available"] = true });
    }

    /// <summary>spec: a new user ID's localpart may hold only a-z, 0-9, '.', '_', '=', '-', '/', '+'.</summary>
    static async Task<string> CheckUsernameAsync(string username, string serverName, MyelinDatabase db, ApplicationServices appservices)
    {
        var localpart = username;
        if (username.StartsWith('@'))
        {
            if (!MatrixIds.TryParseUserId(username, out localpart, out var server) || server != serverName)
                throw new MatrixException(400, "M_INVALID_USERNAME", "User ID must be on this server");
        }
        if (localpart != localpart.ToLowerInvariant())
            throw new MatrixException(400, "M_INVALID_USERNAME", "User ID may not contain upper-case letters");
        if (MatrixIds.CheckLocalpartForRegistration(localpart) is { } reason)
            throw new MatrixException(400, "M_INVALID_USERNAME", reason);
        var userId = $"@{localpart}:{serverName}";
        if (appservices.ExclusiveOwnerOfUser(userId) is not null)
            throw new MatrixException(400, "M_EXCLUSIVE", "This user ID is reserved by an application service.");
        if (!MatrixIds.IsValidUserId(userId))
            throw new MatrixException(400, "M_INVALID_USERNAME", "User ID is too long");
        if (await db.Accounts.GetUserAsync(userId) is not null)
            throw new MatrixException(400, "M_USER_IN_USE", "User ID already taken.");
        return userId;
    }

    /// <summary>Synapse gives users who pick no name a numeric localpart.</summary>
    static async Task<string> GenerateUserIdAsync(string serverName, MyelinDatabase db, ApplicationServices appservices)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var localpart = Random.Shared.NextInt64(100_000, 10_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var id = $"@{localpart}:{serverName}";
            if (appservices.ExclusiveOwnerOfUser(id) is null && await db.Accounts.GetUserAsync(id) is null) return id;
        }
        throw new MatrixException(500, "M_UNKNOWN", "Could not generate a user ID");
    }
}
