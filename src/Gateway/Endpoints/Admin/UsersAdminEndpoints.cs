using System.Globalization;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>Synapse's user admin API (docs/admin_api/user_admin_api.md): list, query, create or modify,
/// deactivate, reset password, whois, server admin flag. Server admins only.</summary>
public static class UsersAdminEndpoints
{
    const int DefaultLimit = 100;

    public static void MapUsersAdmin(this IEndpointRouteBuilder g)
    {
        g.MapGet("/v2/users", ListUsers).WithSummary("List accounts");
        g.MapGet("/v2/users/{userId}", GetUser).WithSummary("Query user account");
        g.MapPut("/v2/users/{userId}", PutUser).WithSummary("Create or modify account");
        g.MapPost("/v1/deactivate/{userId}", Deactivate).WithSummary("Deactivate account");
        g.MapPost("/v1/reset_password/{userId}", ResetPassword).WithSummary("Reset password");
        g.MapGet("/v1/whois/{userId}", Whois).WithSummary("Query current sessions for a user");
        g.MapGet("/v1/users/{userId}/admin", GetAdmin).WithSummary("Get whether a user is a server administrator or not");
        g.MapPut("/v1/users/{userId}/admin", PutAdmin).WithSummary("Change whether a user is a server administrator or not");
    }

    /// <summary>`GET /_synapse/admin/v2/users`</summary>
    static async Task<IResult> ListUsers(HttpContext ctx, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var q = ctx.Request.Query;
        var from = AdminQuery.NonNegativeInt(q, "from", 0);
        var limit = AdminQuery.NonNegativeInt(q, "limit", DefaultLimit);
        var orderBy = q["order_by"].ToString() is { Length: > 0 } o ? o : "name";
        if (!IAdminStore.UserOrderColumns.Contains(orderBy))
            throw MatrixException.InvalidParam($"Unknown value for order_by: {orderBy}");
        var query = new UserListQuery(from, limit,
            UserIdContains: AdminQuery.OptString(q, "user_id"),
            NameContains: AdminQuery.OptString(q, "name"),
            Guests: AdminQuery.Bool(q, "guests") ?? true,
            Deactivated: AdminQuery.Bool(q, "deactivated") ?? false,
            Admins: AdminQuery.Bool(q, "admins"),
            OrderBy: orderBy,
            Backwards: AdminQuery.Direction(q, backwardsByDefault: false));
        var (users, total) = await db.Admin.ListUsersAsync(query);
        var body = new JsonObject
        {
            ["users"] = new JsonArray(users.Select(u => (JsonNode)UserAdministration.ListEntry(u)).ToArray()),
            ["total"] = total,
        };
        // Synapse: a string, the offset of the next page.
        if (from + limit < total) body["next_token"] = (from + users.Count).ToString(CultureInfo.InvariantCulture);
        return JsonBody.Json(body);
    }

    /// <summary>`GET /_synapse/admin/v2/users/{userId}`</summary>
    static async Task<IResult> GetUser(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server)
    {
        await ctx.RequireServerAdminAsync();
        CheckLocal(userId, server, "Can only look up local users");
        var user = await db.Admin.GetUserAsync(userId) ?? throw MatrixException.NotFound("User not found");
        return JsonBody.Json(UserAdministration.Describe(user));
    }

    /// <summary>`PUT /_synapse/admin/v2/users/{userId}`: 201 when created, 200 when modified.</summary>
    static async Task<IResult> PutUser(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server,
        HomeserverOptions options, UserAdministration users, IGrainFactory grains, ILoggerFactory logs)
    {
        var me = await ctx.RequireServerAdminAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        CheckLocal(userId, server, "This endpoint can only be used with local users");

        var password = body.OptString("password");
        if (password is not null) UserAdministration.CheckPassword(password);
        var logoutDevices = body.OptBool("logout_devices") ?? true;
        var displayName = body.OptString("displayname");
        var avatarUrl = body.OptString("avatar_url");
        var admin = body.OptBool("admin");
        var deactivated = body.OptBool("deactivated");
        var userTypeGiven = body.ContainsKey("user_type");
        var userType = body.OptString("user_type");
        if (userType is not null && !UserAdministration.UserTypes.Contains(userType))
            throw MatrixException.InvalidParam("Invalid user type");
        if (avatarUrl is { Length: > 0 } && !avatarUrl.StartsWith("mxc://", StringComparison.Ordinal))
            throw MatrixException.InvalidParam($"avatar_url must be a MXC URI: {avatarUrl}");
        if (displayName is not null && displayName.EnumerateRunes().Count() > 256)
            throw MatrixException.InvalidParam("Display name is too long (max 256)");

        var existing = await db.Admin.GetUserAsync(userId);
        if (existing is null)
        {
            var localpart = userId[1..userId.IndexOf(':')];
            if (MatrixIds.CheckLocalpartForRegistration(localpart) is { } reason)
                throw new MatrixException(400, "M_INVALID_USERNAME", reason);
            var hash = password is null ? null : PasswordHasher.Hash(password, options.BcryptRounds);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (!await db.Accounts.CreateUserAsync(userId, hash, admin ?? false, isGuest: false, now))
                throw new MatrixException(400, "M_USER_IN_USE", "User ID already taken.");
            // Synapse: the display name defaults to the localpart.
            await db.Accounts.SetDisplayNameAsync(userId, string.IsNullOrEmpty(displayName) ? localpart : displayName);
            if (avatarUrl is { Length: > 0 }) await db.Accounts.SetAvatarUrlAsync(userId, avatarUrl);
            if (userType is not null) await db.Admin.SetUserTypeAsync(userId, userType);
            if (deactivated == true) await users.DeactivateAsync(userId, erase: false);
            return JsonBody.Json(UserAdministration.Describe((await db.Admin.GetUserAsync(userId))!), 201);
        }

        if (admin is { } makeAdmin && makeAdmin != existing.IsAdmin)
        {
            if (userId == me.UserId && !makeAdmin) throw MatrixException.Unknown("You may not demote yourself.");
            await db.Accounts.SetAdminAsync(userId, makeAdmin);
        }
        if (userTypeGiven) await db.Admin.SetUserTypeAsync(userId, userType);
        if (displayName is not null || avatarUrl is not null)
            await ChangeProfileAsync(userId, displayName, avatarUrl, db, grains, logs);
        if (password is not null) await users.SetPasswordAsync(userId, password, logoutDevices, options.BcryptRounds);
        if (deactivated == true && !existing.Deactivated)
        {
            await users.DeactivateAsync(userId, erase: false);
        }
        else if (deactivated == false && existing.Deactivated)
        {
            if (password is null) throw MatrixException.Unknown("Must provide a password to re-activate an account.");
            await db.Accounts.SetDeactivatedAsync(userId, false);
            await db.Admin.SetErasedAsync(userId, false);
        }
        return JsonBody.Json(UserAdministration.Describe((await db.Admin.GetUserAsync(userId))!));
    }

    /// <summary>The admin's profile change, as the user's own would be: stored, and re-sent in the user's joins.</summary>
    static async Task ChangeProfileAsync(string userId, string? displayName, string? avatarUrl, MyelinDatabase db,
        IGrainFactory grains, ILoggerFactory logs)
    {
        var before = await db.Accounts.GetProfileAsync(userId);
        // Synapse: an empty string removes the field.
        if (displayName is not null) await db.Accounts.SetDisplayNameAsync(userId, displayName.Trim() is { Length: > 0 } d ? d : null);
        if (avatarUrl is not null) await db.Accounts.SetAvatarUrlAsync(userId, avatarUrl.Length > 0 ? avatarUrl : null);
        var after = await db.Accounts.GetProfileAsync(userId);
        if (after is null || (before?.DisplayName == after.DisplayName && before?.AvatarUrl == after.AvatarUrl)) return;
        var log = logs.CreateLogger(typeof(UsersAdminEndpoints).FullName!);
        var content = Client.RoomsEndpoints.MemberContent("join", after).ToJsonString();
        foreach (var row in await db.Events.GetMembershipsForUserAsync(userId))
        {
            if (row.Membership != "join") continue;
            try
            {
                await grains.Room(row.RoomId).Send(new Grains.Rooms.EventDraft("m.room.member", userId, userId, content), null);
            }
            catch (MatrixException e)
            {
                log.LogWarning("Failed to update the join event of {UserId} in {RoomId}: {Error}", userId, row.RoomId, e.Message);
            }
        }
    }

    /// <summary>`POST /_synapse/admin/v1/deactivate/{userId}`</summary>
    static async Task<IResult> Deactivate(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server, UserAdministration users)
    {
        await ctx.RequireServerAdminAsync();
        CheckLocal(userId, server, "Can only deactivate local users");
        if (await db.Accounts.GetUserAsync(userId) is null) throw MatrixException.NotFound("User not found");
        // Synapse: an empty body is allowed, for older clients.
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        var erase = body.OptBool("erase") ?? false;
        await users.DeactivateAsync(userId, erase);
        return JsonBody.Json(new JsonObject { ["id_server_unbind_result"] = "success" });
    }

    /// <summary>`POST /_synapse/admin/v1/reset_password/{userId}`</summary>
    static async Task<IResult> ResetPassword(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server,
        UserAdministration users, HomeserverOptions options)
    {
        await ctx.RequireServerAdminAsync();
        CheckLocal(userId, server, "Can only reset the password of local users");
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var password = body.ReqString("new_password");
        var logoutDevices = body.OptBool("logout_devices") ?? true;
        if (await db.Accounts.GetUserAsync(userId) is null) throw MatrixException.NotFound("User not found");
        await users.SetPasswordAsync(userId, password, logoutDevices, options.BcryptRounds);
        return JsonBody.Empty();
    }

    /// <summary>`GET /_synapse/admin/v1/whois/{userId}`: a user may ask about themselves, admins about anyone.</summary>
    static async Task<IResult> Whois(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server)
    {
        var me = await ctx.AuthAsync();
        if (me.UserId != userId) await ctx.RequireServerAdminAsync();
        CheckLocal(userId, server, "Can only whois a local user");
        var devices = new JsonObject();
        foreach (var d in await db.Devices.GetDevicesAsync(userId))
        {
            var connections = new JsonArray();
            if (d.LastSeenTs is { } seen)
                connections.Add(new JsonObject { ["ip"] = d.LastSeenIp, ["last_seen"] = seen, ["user_agent"] = null });
            devices[d.DeviceId] = new JsonObject { ["sessions"] = new JsonArray(new JsonObject { ["connections"] = connections }) };
        }
        return JsonBody.Json(new JsonObject { ["user_id"] = userId, ["devices"] = devices });
    }

    /// <summary>`GET /_synapse/admin/v1/users/{userId}/admin`</summary>
    static async Task<IResult> GetAdmin(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server)
    {
        await ctx.RequireServerAdminAsync();
        CheckLocal(userId, server, "Only local users can be admins of this homeserver");
        var user = await db.Accounts.GetUserAsync(userId) ?? throw MatrixException.NotFound("User not found");
        return JsonBody.Json(new JsonObject { ["admin"] = user.IsAdmin });
    }

    /// <summary>`PUT /_synapse/admin/v1/users/{userId}/admin`: takes effect at once (the admin check reads the database).</summary>
    static async Task<IResult> PutAdmin(HttpContext ctx, string userId, MyelinDatabase db, ServerIdentity server)
    {
        var me = await ctx.RequireServerAdminAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        if (!body.ContainsKey("admin")) throw MatrixException.MissingParam("Missing params: ['admin']");
        var admin = body.OptBool("admin")!.Value;
        CheckLocal(userId, server, "Only local users can be admins of this homeserver");
        if (userId == me.UserId && !admin) throw MatrixException.Unknown("You may not demote yourself.");
        if (await db.Accounts.GetUserAsync(userId) is null) throw MatrixException.NotFound("User not found");
        await db.Accounts.SetAdminAsync(userId, admin);
        return JsonBody.Empty();
    }

    static void CheckLocal(string userId, ServerIdentity server, string notLocal)
    {
        if (!MatrixIds.IsValidUserId(userId)) throw MatrixException.InvalidParam($"Invalid user ID {userId}");
        if (!server.IsMine(userId)) throw MatrixException.Unknown(notLocal);
    }
}

/// <summary>Query parameters of the admin API, answered as Synapse answers bad ones (400 M_INVALID_PARAM).</summary>
public static class AdminQuery
{
    public static int NonNegativeInt(IQueryCollection q, string name, int defaultValue)
    {
        var s = q[name].ToString();
        if (s.Length == 0) return defaultValue;
        if (!int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) || v < 0)
            throw MatrixException.InvalidParam($"Query parameter {name} must be a string representing a positive integer.");
        return v;
    }

    public static bool? Bool(IQueryCollection q, string name) => q[name].ToString() switch
    {
        "" => null,
        "true" => true,
        "false" => false,
        _ => throw MatrixException.InvalidParam($"Boolean query parameter '{name}' must be one of ['true', 'false']"),
    };

    public static string? OptString(IQueryCollection q, string name) => q[name].ToString() is { Length: > 0 } s ? s : null;

    public static bool Direction(IQueryCollection q, bool backwardsByDefault) => q["dir"].ToString() switch
    {
        "" => backwardsByDefault,
        "b" => true,
        "f" => false,
        _ => throw MatrixException.InvalidParam("Query parameter 'dir' must be one of ['b', 'f']"),
    };
}
