using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class ProfileEndpoints
{
    const string DisplayName = "displayname";
    const string AvatarUrl = "avatar_url";

    /// <summary>Synapse's MAX_DISPLAYNAME_LEN and MAX_AVATAR_URL_LEN (counted in code points).</summary>
    const int MaxDisplayNameLength = 256;
    const int MaxAvatarUrlLength = 1000;

    public static void MapProfile(this RouteGroupBuilder g)
    {
        g.MapGet("/profile/{userId}", GetProfile);
        g.MapGet("/profile/{userId}/{field}", GetField);
        g.MapPut("/profile/{userId}/{field}", SetField);
        g.MapDelete("/profile/{userId}/{field}", DeleteField);
    }

    /// <summary>`GET /_matrix/client/v3/profile/{userId}`</summary>
    static async Task<IResult> GetProfile(string userId, MyelinDatabase db)
    {
        var profile = await LoadProfileAsync(CheckUserId(userId), db);
        var result = new JsonObject();
        if (profile.DisplayName is { } dn) result[DisplayName] = dn;
        if (profile.AvatarUrl is { } av) result[AvatarUrl] = av;
        // Synapse: a profile with nothing set is answered as not found.
        if (result.Count == 0) throw MatrixException.NotFound("Profile was not found");
        return JsonBody.Json(result);
    }

    /// <summary>`GET /_matrix/client/v3/profile/{userId}/displayname` and `.../avatar_url`</summary>
    static async Task<IResult> GetField(string userId, string field, MyelinDatabase db)
    {
        CheckField(field);
        var profile = await LoadProfileAsync(CheckUserId(userId), db);
        // spec: 404 when there is no profile field with this key for this user.
        var value = (field == DisplayName ? profile.DisplayName : profile.AvatarUrl)
            ?? throw MatrixException.NotFound("Profile field not found");
        return JsonBody.Json(new JsonObject { [field] = value });
    }

    /// <summary>`PUT /_matrix/client/v3/profile/{userId}/displayname` and `.../avatar_url`</summary>
    static async Task<IResult> SetField(HttpContext ctx, string userId, string field, MyelinDatabase db,
        IGrainFactory grains, ILoggerFactory logs)
    {
        CheckField(field);
        var target = CheckUserId(userId);
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        if (!body.TryGetPropertyValue(field, out var node))
            throw MatrixException.MissingParam($"Missing key '{field}'");
        // spec: servers MAY reject null values; Synapse does, so clients don't come to rely on them.
        if (node is null) throw MatrixException.InvalidParam($"'{field}' can not be `null`.");
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String)
            throw MatrixException.InvalidParam($"'{field}' must be a string");
        var value = v.GetValue<string>();
        await ChangeAsync(me, target, field, value, db, grains, logs);
        return JsonBody.Empty();
    }

    /// <summary>`DELETE /_matrix/client/v3/profile/{userId}/displayname` and `.../avatar_url` (spec v1.16)</summary>
    static async Task<IResult> DeleteField(HttpContext ctx, string userId, string field, MyelinDatabase db,
        IGrainFactory grains, ILoggerFactory logs)
    {
        CheckField(field);
        var target = CheckUserId(userId);
        var me = await ctx.AuthAsync();
        await ChangeAsync(me, target, field, "", db, grains, logs);
        return JsonBody.Empty();
    }

    /// <summary>Sets (or, with "", clears) a field and re-sends the user's joins with the new profile.</summary>
    static async Task ChangeAsync(Requester me, string target, string field, string value, MyelinDatabase db,
        IGrainFactory grains, ILoggerFactory logs)
    {
        if (target != me.UserId) throw MatrixException.Forbidden($"Cannot set another user's {field}");
        var max = field == DisplayName ? MaxDisplayNameLength : MaxAvatarUrlLength;
        // Synapse answers an over-long value with a plain 400 (M_UNKNOWN).
        if (value.EnumerateRunes().Count() > max)
            throw MatrixException.Unknown($"{(field == DisplayName ? "Displayname" : "Avatar URL")} is too long (max {max})");

        var before = await db.Accounts.GetProfileAsync(me.UserId);
        // Synapse trims display names and stores an empty value as unset.
        string? stored = field == DisplayName ? value.Trim() : value;
        if (value.Length == 0) stored = null;
        if (field == DisplayName) await db.Accounts.SetDisplayNameAsync(me.UserId, stored);
        else await db.Accounts.SetAvatarUrlAsync(me.UserId, stored);

        var after = await db.Accounts.GetProfileAsync(me.UserId);
        if (after is null || (before?.DisplayName == after.DisplayName && before?.AvatarUrl == after.AvatarUrl)) return;
        await UpdateJoinsAsync(me.UserId, after, db, grains, logs.CreateLogger(typeof(ProfileEndpoints).FullName!));
    }

    /// <summary>
    /// A new m.room.member join carrying the profile in every room the user is joined to, one room at a
    /// time (bounded fan-out). As in Synapse, a room that refuses the update does not fail the request.
    /// </summary>
    static async Task UpdateJoinsAsync(string userId, Profile profile, MyelinDatabase db, IGrainFactory grains, ILogger log)
    {
        var content = RoomsEndpoints.MemberContent("join", profile).ToJsonString();
        foreach (var row in await db.Events.GetMembershipsForUserAsync(userId))
        {
            if (row.Membership != "join") continue;
            try
            {
                await grains.Room(row.RoomId).Send(new EventDraft("m.room.member", userId, userId, content), null);
            }
            catch (MatrixException e)
            {
                log.LogWarning("Failed to update the join event of {UserId} in {RoomId}: {Error}", userId, row.RoomId, e.Message);
            }
        }
    }

    /// <summary>Only the two classic fields are stored; other keys (m.tz, custom fields) are not served.</summary>
    static void CheckField(string field)
    {
        if (field is not (DisplayName or AvatarUrl)) throw MatrixException.Unrecognized();
    }

    static string CheckUserId(string userId) =>
        MatrixIds.IsValidUserId(userId) ? userId : throw MatrixException.InvalidParam("Invalid user id");

    /// <summary>The profile of a known, active local user; 404 otherwise (Synapse clears deactivated profiles).</summary>
    static async Task<Profile> LoadProfileAsync(string userId, MyelinDatabase db)
    {
        var account = await db.Accounts.GetUserAsync(userId);
        if (account is null || account.Deactivated) throw MatrixException.NotFound("Profile was not found");
        return await db.Accounts.GetProfileAsync(userId) ?? throw MatrixException.NotFound("Profile was not found");
    }
}
