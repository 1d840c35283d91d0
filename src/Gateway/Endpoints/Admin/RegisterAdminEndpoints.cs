using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>
/// Shared-secret registration (Synapse's docs/admin_api/register_api.md): a one-time nonce, then the new
/// account with an HMAC-SHA1 of nonce, username, password and admin flag keyed with
/// <c>registration_shared_secret</c>. No access token: the secret is the authority.
/// </summary>
public static class RegisterAdminEndpoints
{
    const int MaxLength = 512;

    public static void MapRegisterAdmin(this IEndpointRouteBuilder g)
    {
        g.MapGet("/v1/register", GetNonce).WithSummary("Shared-secret registration: get a nonce");
        g.MapPost("/v1/register", Register).WithSummary("Shared-secret registration: register a user");
    }

    /// <summary>`GET /_synapse/admin/v1/register`</summary>
    static async Task<IResult> GetNonce(HomeserverOptions options, IGrainFactory grains)
    {
        RequireEnabled(options);
        return JsonBody.Json(new JsonObject { ["nonce"] = await grains.RegistrationNonces().Issue() });
    }

    /// <summary>`POST /_synapse/admin/v1/register`</summary>
    static async Task<IResult> Register(HttpContext ctx, HomeserverOptions options, IGrainFactory grains, MyelinDatabase db,
        AccessTokens tokens)
    {
        RequireEnabled(options);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var nonce = body.OptString("nonce") ?? throw MatrixException.BadJson("nonce must be specified");
        // Synapse: the nonce is used up whatever happens next, so a bad request can't be retried with it.
        if (!await grains.RegistrationNonces().Take(nonce)) throw MatrixException.Unknown("unrecognised nonce");

        var username = body.OptString("username") ?? throw MatrixException.BadJson("username must be specified");
        if (username.Length > MaxLength || username.Contains('\0')) throw MatrixException.Unknown("Invalid username");
        var password = body.OptString("password") ?? throw MatrixException.BadJson("password must be specified");
        if (password.Length > MaxLength || password.Contains('\0')) throw MatrixException.Unknown("Invalid password");
        var admin = body["admin"] is JsonValue a && a.TryGetValue<bool>(out var isAdmin) && isAdmin;
        var userType = body.OptString("user_type");
        if (userType is not null && !UserAdministration.UserTypes.Contains(userType)) throw MatrixException.Unknown("Invalid user type");
        var displayName = body.OptString("displayname");
        var mac = body.OptString("mac") ?? throw MatrixException.BadJson("mac must be specified");

        var want = Mac(options.RegistrationSharedSecret!, nonce, username, password, admin, userType);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(want), Encoding.ASCII.GetBytes(mac)))
            throw MatrixException.Forbidden("HMAC incorrect");

        // Synapse lower-cases the username here, then checks it as registration does.
        var localpart = username.ToLowerInvariant();
        if (MatrixIds.CheckLocalpartForRegistration(localpart) is { } reason)
            throw new MatrixException(400, "M_INVALID_USERNAME", reason);
        var userId = $"@{localpart}:{options.ServerName}";
        if (!MatrixIds.IsValidUserId(userId)) throw new MatrixException(400, "M_INVALID_USERNAME", "User ID is too long");

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (!await db.Accounts.CreateUserAsync(userId, PasswordHasher.Hash(password, options.BcryptRounds), admin, isGuest: false, now))
            throw new MatrixException(400, "M_USER_IN_USE", "User ID already taken.");
        await db.Accounts.SetDisplayNameAsync(userId, displayName ?? localpart);
        if (userType is not null) await db.Admin.SetUserTypeAsync(userId, userType);

        var deviceId = MatrixIds.NewOpaqueId(10).ToUpperInvariant();
        await db.Devices.UpsertDeviceAsync(userId, deviceId, null, now, ctx.Connection.RemoteIpAddress?.ToString());
        return JsonBody.Json(new JsonObject
        {
            ["user_id"] = userId,
            ["home_server"] = options.ServerName,
            ["access_token"] = await tokens.IssueAsync(userId, deviceId),
            ["device_id"] = deviceId,
        });
    }

    static void RequireEnabled(HomeserverOptions options)
    {
        if (string.IsNullOrEmpty(options.RegistrationSharedSecret))
            throw MatrixException.Unknown("Shared secret registration is not enabled");
    }

    /// <summary>The hex HMAC-SHA1 of nonce NUL username NUL password NUL admin|notadmin [NUL user_type], keyed with the secret.</summary>
    public static string Mac(string secret, string nonce, string username, string password, bool admin, string? userType = null)
    {
        var content = $"{nonce}\0{username}\0{password}\0{(admin ? "admin" : "notadmin")}";
        if (!string.IsNullOrEmpty(userType)) content += $"\0{userType}";
        return Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(content)));
    }
}

/// <summary>`GET /_synapse/admin/v1/server_version`: open to anyone, as Synapse's is.</summary>
public static class ServerVersionEndpoints
{
    /// <summary>The gateway's version, without the build's commit suffix.</summary>
    public static readonly string Version =
        (typeof(ServerVersionEndpoints).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "0.0.0")
        .Split('+')[0];

    public static void MapServerVersion(this IEndpointRouteBuilder g) =>
        g.MapGet("/v1/server_version", () => JsonBody.Json(new JsonObject { ["server_version"] = Version }))
            .WithSummary("Server version");
}
