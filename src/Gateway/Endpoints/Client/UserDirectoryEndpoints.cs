using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// The user directory (spec: "User directory"): users who share a room with the searcher or are in a public
/// room (or every user, with <c>user_directory.search_all_users</c>), found by display name and user ID.
/// The directory is kept by the user directory updater; a search reads it directly.
/// </summary>
public static class UserDirectoryEndpoints
{
    // Synapse's default and cap.
    const int DefaultLimit = 10;
    const int MaxLimit = 50;

    public static void MapUserDirectory(this RouteGroupBuilder g) =>
        g.MapPost("/user_directory/search", Search).WithSummary("Searches the user directory.");

    /// <summary>`POST /_matrix/client/v3/user_directory/search`</summary>
    static async Task<IResult> Search(HttpContext ctx, MyelinDatabase db, HomeserverOptions options)
    {
        var me = await ctx.AuthAsync();
        var config = options.UserDirectory;
        // As Synapse: a disabled directory answers before the body is looked at.
        if (!config.Enabled) return JsonBody.Json(new JsonObject { ["limited"] = false, ["results"] = new JsonArray() });

        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        if (!body.TryGetPropertyValue("search_term", out var termNode) || termNode is null)
            throw MatrixException.MissingParam("`search_term` is required field");
        if (termNode is not JsonValue tv || tv.GetValueKind() != JsonValueKind.String)
            throw MatrixException.BadJson("`search_term` must be a string");
        var limit = DefaultLimit;
        if (body.TryGetPropertyValue("limit", out var limitNode) && limitNode is not null)
        {
            if (limitNode is not JsonValue lv || lv.GetValueKind() != JsonValueKind.Number || !lv.TryGetValue<long>(out var l))
                throw MatrixException.InvalidParam("`limit` must be an integer");
            limit = (int)Math.Clamp(l, 0, MaxLimit);
        }

        var found = await db.UserDirectory.SearchAsync(new DirectorySearch(me.UserId, tv.GetValue<string>(), limit, options.ServerName,
            config.SearchAllUsers, config.PreferLocalUsers, config.ExcludeRemoteUsers));
        var results = new JsonArray();
        // Synapse writes absent profile fields as null.
        foreach (var u in found.Take(limit))
            results.Add(new JsonObject { ["user_id"] = u.UserId, ["display_name"] = u.DisplayName, ["avatar_url"] = u.AvatarUrl });
        return JsonBody.Json(new JsonObject { ["limited"] = found.Count > limit, ["results"] = results });
    }
}
