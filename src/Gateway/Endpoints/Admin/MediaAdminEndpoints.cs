using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Client;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Media;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>
/// Synapse's media admin API (docs/admin_api/media_admin_api.md; synapse/rest/admin/media.py), served by
/// the media repository: quarantine (one item, a room's, a user's) and protection from it, media info,
/// deletion (one item, by date and size, a user's), listing a user's and a room's media, and purging the
/// remote media cache — which is always empty here, as nothing is fetched over federation.
/// Every endpoint requires a server admin (403 M_FORBIDDEN otherwise).
/// </summary>
public static class MediaAdminEndpoints
{
    /// <summary>Columns a user's media list may be ordered by (Synapse's MediaSortOrder).</summary>
    static readonly HashSet<string> OrderColumns =
        ["media_id", "upload_name", "created_ts", "last_access_ts", "media_length", "media_type", "quarantined_by", "safe_from_quarantine"];

    /// <summary>Timestamps below this are in seconds, not milliseconds (Synapse's check: Dec 1970 in ms).</summary>
    const long MinTimestampMs = 30_000_000_000;

    public static void MapMediaAdmin(this WebApplication app)
    {
        var g = app.MapGroup("/_synapse/admin/v1");
        g.MapPost("/purge_media_cache", (Delegate)PurgeMediaCache).WithSummary("Purge the remote media cache.");
        g.MapPost("/room/{roomId}/media/quarantine", QuarantineRoom).WithSummary("Quarantine all media in a room.");
        g.MapPost("/quarantine_media/{roomId}", QuarantineRoom).WithSummary("Quarantine all media in a room (legacy path).");
        g.MapPost("/user/{userId}/media/quarantine", QuarantineUser).WithSummary("Quarantine all media of a user.");
        g.MapPost("/media/quarantine/{serverName}/{mediaId}", (HttpContext ctx, string serverName, string mediaId, MediaRepository media, MyelinDatabase db) =>
            SetQuarantine(ctx, serverName, mediaId, media, db, quarantine: true)).WithSummary("Quarantine media by ID.");
        g.MapPost("/media/unquarantine/{serverName}/{mediaId}", (HttpContext ctx, string serverName, string mediaId, MediaRepository media, MyelinDatabase db) =>
            SetQuarantine(ctx, serverName, mediaId, media, db, quarantine: false)).WithSummary("Remove media from quarantine by ID.");
        g.MapPost("/media/protect/{mediaId}", (HttpContext ctx, string mediaId, MyelinDatabase db) =>
            SetProtected(ctx, mediaId, db, safe: true)).WithSummary("Protect media from being quarantined.");
        g.MapPost("/media/unprotect/{mediaId}", (HttpContext ctx, string mediaId, MyelinDatabase db) =>
            SetProtected(ctx, mediaId, db, safe: false)).WithSummary("Unprotect media from being quarantined.");
        g.MapGet("/room/{roomId}/media", ListRoomMedia).WithSummary("List all media in a room.");
        g.MapPost("/media/delete", (HttpContext ctx, MediaRepository media, MyelinDatabase db) =>
            DeleteByDateSize(ctx, null, media, db)).WithSummary("Delete local media by date or size.");
        g.MapPost("/media/{serverName}/delete", (HttpContext ctx, string serverName, MediaRepository media, MyelinDatabase db) =>
            DeleteByDateSize(ctx, serverName, media, db)).WithSummary("Delete local media by date or size (legacy path).");
        g.MapDelete("/media/{serverName}/{mediaId}", DeleteOne).WithSummary("Delete a specific local media.");
        g.MapGet("/media/{serverName}/{mediaId}", MediaInfo).WithSummary("Query a piece of media by ID.");
        g.MapGet("/users/{userId}/media", ListUserMedia).WithSummary("List media uploaded by a user.");
        g.MapDelete("/users/{userId}/media", DeleteUserMedia).WithSummary("Delete media uploaded by a user.");
    }

    /// <summary>`POST /_synapse/admin/v1/purge_media_cache?before_ts=`</summary>
    static async Task<IResult> PurgeMediaCache(HttpContext ctx)
    {
        await ctx.RequireServerAdminAsync();
        var before = MediaQuery.Int(ctx, "before_ts", required: true)!.Value;
        if (before < MinTimestampMs) throw InSeconds();
        // No remote media is ever cached (no federation), so there is nothing older to purge.
        return JsonBody.Json(new JsonObject { ["deleted"] = 0 });
    }

    /// <summary>`POST /_synapse/admin/v1/room/{roomId}/media/quarantine`</summary>
    static async Task<IResult> QuarantineRoom(HttpContext ctx, string roomId, MediaRepository media, MyelinDatabase db)
    {
        var admin = await ctx.RequireServerAdminAsync();
        var (local, _) = await media.MediaInRoomAsync(roomId);
        var ids = local.Select(u => MediaIds.ParseMxc(u)!.Value.MediaId).ToList();
        var count = await db.Media.SetQuarantinedAsync(ids, admin.UserId);
        return JsonBody.Json(new JsonObject { ["num_quarantined"] = count });
    }

    /// <summary>`POST /_synapse/admin/v1/user/{userId}/media/quarantine`</summary>
    static async Task<IResult> QuarantineUser(HttpContext ctx, string userId, MyelinDatabase db)
    {
        var admin = await ctx.RequireServerAdminAsync();
        var count = await db.Media.QuarantineUserMediaAsync(userId, admin.UserId);
        return JsonBody.Json(new JsonObject { ["num_quarantined"] = count });
    }

    /// <summary>`POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId}` and `.../unquarantine/...`</summary>
    static async Task<IResult> SetQuarantine(HttpContext ctx, string serverName, string mediaId, MediaRepository media, MyelinDatabase db, bool quarantine)
    {
        var admin = await ctx.RequireServerAdminAsync();
        if (media.IsLocal(serverName)) await db.Media.SetQuarantinedAsync([mediaId], quarantine ? admin.UserId : null);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_synapse/admin/v1/media/protect/{mediaId}` and `.../unprotect/...`</summary>
    static async Task<IResult> SetProtected(HttpContext ctx, string mediaId, MyelinDatabase db, bool safe)
    {
        await ctx.RequireServerAdminAsync();
        await db.Media.SetSafeFromQuarantineAsync(mediaId, safe);
        return JsonBody.Empty();
    }

    /// <summary>`GET /_synapse/admin/v1/room/{roomId}/media`</summary>
    static async Task<IResult> ListRoomMedia(HttpContext ctx, string roomId, MediaRepository media)
    {
        await ctx.RequireServerAdminAsync();
        var (local, remote) = await media.MediaInRoomAsync(roomId);
        return JsonBody.Json(new JsonObject
        {
            ["local"] = new JsonArray(local.Select(u => (JsonNode?)u).ToArray()),
            ["remote"] = new JsonArray(remote.Select(u => (JsonNode?)u).ToArray()),
        });
    }

    /// <summary>`POST /_synapse/admin/v1/media/delete?before_ts=&amp;size_gt=&amp;keep_profiles=`</summary>
    static async Task<IResult> DeleteByDateSize(HttpContext ctx, string? serverName, MediaRepository media, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var before = MediaQuery.Int(ctx, "before_ts", required: true)!.Value;
        var sizeGt = MediaQuery.Int(ctx, "size_gt", required: false) ?? 0;
        var keepProfiles = MediaQuery.Bool(ctx, "keep_profiles") ?? true;
        if (before < MinTimestampMs) throw InSeconds();
        if (serverName is not null && !media.IsLocal(serverName)) throw MatrixException.Unknown("Can only delete local media");
        var ids = await db.Media.GetOldMediaIdsAsync(before, sizeGt, keepProfiles, $"mxc://{media.ServerName}/");
        return Deleted(await media.DeleteAsync(ids));
    }

    /// <summary>`DELETE /_synapse/admin/v1/media/{serverName}/{mediaId}`</summary>
    static async Task<IResult> DeleteOne(HttpContext ctx, string serverName, string mediaId, MediaRepository media, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        if (!media.IsLocal(serverName)) throw MatrixException.Unknown("Can only delete local media");
        if (await db.Media.GetAsync(mediaId) is null) throw MatrixException.NotFound("Unknown media");
        return Deleted(await media.DeleteAsync([mediaId]));
    }

    /// <summary>`GET /_synapse/admin/v1/media/{serverName}/{mediaId}`</summary>
    static async Task<IResult> MediaInfo(HttpContext ctx, string serverName, string mediaId, MediaRepository media, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var local = media.IsLocal(serverName) ? await db.Media.GetAsync(mediaId) : null;
        if (local is null) throw MatrixException.NotFound("Unknown media");
        var info = ToJson(local);
        info["media_origin"] = null;
        info["filesystem_id"] = null;
        return JsonBody.Json(new JsonObject { ["media_info"] = info });
    }

    /// <summary>`GET /_synapse/admin/v1/users/{userId}/media?from=&amp;limit=&amp;order_by=&amp;dir=`</summary>
    static async Task<IResult> ListUserMedia(HttpContext ctx, string userId, MediaRepository media, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var (from, limit, orderBy, backwards) = await UserPageAsync(ctx, userId, media, db);
        var (items, total) = await db.Media.GetUserMediaAsync(userId, from, limit, orderBy, backwards);
        var body = new JsonObject
        {
            ["media"] = new JsonArray(items.Select(m => (JsonNode?)ToJson(m)).ToArray()),
            ["total"] = total,
        };
        if (from + limit < total) body["next_token"] = from + items.Count;
        return JsonBody.Json(body);
    }

    /// <summary>`DELETE /_synapse/admin/v1/users/{userId}/media`: deletes the page the same query would list.</summary>
    static async Task<IResult> DeleteUserMedia(HttpContext ctx, string userId, MediaRepository media, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var (from, limit, orderBy, backwards) = await UserPageAsync(ctx, userId, media, db);
        var (items, _) = await db.Media.GetUserMediaAsync(userId, from, limit, orderBy, backwards);
        return Deleted(await media.DeleteAsync(items.Select(m => m.MediaId)));
    }

    /// <summary>The user (local and known) and page of a user-media request. With neither order_by nor dir
    /// given, newest first (Synapse's default for this API).</summary>
    static async Task<(int From, int Limit, string OrderBy, bool Backwards)> UserPageAsync(HttpContext ctx, string userId, MediaRepository media, MyelinDatabase db)
    {
        if (!MatrixIds.IsValidUserId(userId)) throw MatrixException.InvalidParam("Invalid user id");
        if (userId[(userId.IndexOf(':') + 1)..] != media.ServerName) throw MatrixException.Unknown("Can only look up local users");
        if (await db.Accounts.GetUserAsync(userId) is null) throw MatrixException.NotFound("Unknown user");
        var from = MediaQuery.Int(ctx, "from", required: false) ?? 0;
        var limit = MediaQuery.Int(ctx, "limit", required: false) ?? 100;
        var q = ctx.Request.Query;
        if (!q.ContainsKey("order_by") && !q.ContainsKey("dir")) return ((int)Math.Min(from, int.MaxValue), (int)Math.Min(limit, int.MaxValue), "created_ts", true);
        var orderBy = q.TryGetValue("order_by", out var o) ? o.ToString() : "created_ts";
        if (!OrderColumns.Contains(orderBy))
            throw MatrixException.InvalidParam($"Query parameter \"order_by\" must be one of [{string.Join(", ", OrderColumns.Select(c => $"\"{c}\""))}]");
        var dir = q.TryGetValue("dir", out var d) ? d.ToString() : "f";
        if (dir is not ("f" or "b")) throw MatrixException.InvalidParam("Query parameter \"dir\" must be one of [\"b\", \"f\"]");
        return ((int)Math.Min(from, int.MaxValue), (int)Math.Min(limit, int.MaxValue), orderBy, dir == "b");
    }

    static JsonObject ToJson(LocalMedia m) => new()
    {
        ["media_id"] = m.MediaId,
        ["media_type"] = m.MediaType,
        ["media_length"] = m.MediaLength,
        ["upload_name"] = m.UploadName,
        ["created_ts"] = m.CreatedTs,
        ["url_cache"] = null,
        ["last_access_ts"] = m.LastAccessTs,
        ["quarantined_by"] = m.QuarantinedBy,
        ["safe_from_quarantine"] = m.SafeFromQuarantine,
        ["user_id"] = m.UserId,
        ["authenticated"] = true,
        ["sha256"] = m.Sha256,
    };

    static IResult Deleted(IReadOnlyList<string> ids) => JsonBody.Json(new JsonObject
    {
        ["deleted_media"] = new JsonArray(ids.Select(i => (JsonNode?)i).ToArray()),
        ["total"] = ids.Count,
    });

    static MatrixException InSeconds() => MatrixException.InvalidParam(
        "Query parameter before_ts you provided is from the year 1970. Double check that you are providing a timestamp in milliseconds.");
}
