using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Media;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// The content repository (spec: "Content repository"; Synapse's synapse/rest/media and
/// synapse/rest/client/media.py): the legacy <c>/_matrix/media/{r0,v3,v1}</c> endpoints (upload, download
/// and thumbnail without authentication, as before the freeze) and the authenticated
/// <c>/_matrix/client/v1/media</c> ones. Mapped only on a process with <c>enable_media_repo</c>.
/// URL previews are off, as in Synapse's default config (<c>url_preview_enabled: false</c>).
/// </summary>
public static class MediaEndpoints
{
    /// <summary>Prefixes Synapse serves the legacy media API under.</summary>
    static readonly string[] LegacyPrefixes = ["/_matrix/media/v3", "/_matrix/media/r0", "/_matrix/media/v1"];

    public static void MapMedia(this WebApplication app)
    {
        foreach (var prefix in LegacyPrefixes)
        {
            var g = app.MapGroup(prefix);
            g.MapPost("/upload", Upload).WithSummary("Upload some content to the content repository.");
            MapReads(g, authenticated: false);
        }
        app.MapPost("/_matrix/media/v1/create", Create).WithSummary("Create a new `mxc://` URI without uploading the content.");
        app.MapPut("/_matrix/media/v3/upload/{serverName}/{mediaId}", UploadTo).WithSummary("Upload content to an `mxc://` URI that was created earlier.");
        MapReads(app.MapGroup("/_matrix/client/v1/media"), authenticated: true);
    }

    /// <summary>Download, thumbnail, config and preview_url: the same under the legacy media prefixes and the
    /// authenticated <c>/_matrix/client/v1/media</c> (which require an access token for every one).</summary>
    static void MapReads(RouteGroupBuilder g, bool authenticated)
    {
        g.MapGet("/download/{serverName}/{mediaId}", (HttpContext ctx, string serverName, string mediaId, MediaRepository media) =>
            Download(ctx, serverName, mediaId, null, media, authenticated))
            .WithSummary("Download content from the content repository.");
        g.MapGet("/download/{serverName}/{mediaId}/{fileName}", (HttpContext ctx, string serverName, string mediaId, string fileName, MediaRepository media) =>
            Download(ctx, serverName, mediaId, fileName, media, authenticated))
            .WithSummary("Download content from the content repository overriding the file name");
        g.MapGet("/thumbnail/{serverName}/{mediaId}", (HttpContext ctx, string serverName, string mediaId, MediaRepository media) =>
            Thumbnail(ctx, serverName, mediaId, media, authenticated))
            .WithSummary("Download a thumbnail of content from the content repository");
        g.MapGet("/config", Config).WithSummary("Get the configuration for the content repository.");
        g.MapGet("/preview_url", (Delegate)PreviewUrl).WithSummary("Get information about a URL for a client");
    }

    /// <summary>`POST /_matrix/media/v3/upload`</summary>
    static async Task<IResult> Upload(HttpContext ctx, MediaRepository media)
    {
        var me = await ctx.AuthAsync();
        var upload = ReadUpload(ctx);
        var uri = await media.UploadAsync(me.UserId, upload, ctx.RequestAborted);
        return JsonBody.Json(new JsonObject { ["content_uri"] = uri });
    }

    /// <summary>`PUT /_matrix/media/v3/upload/{serverName}/{mediaId}`</summary>
    static async Task<IResult> UploadTo(HttpContext ctx, string serverName, string mediaId, MediaRepository media)
    {
        var me = await ctx.AuthAsync();
        await media.UploadToAsync(me.UserId, serverName, mediaId, ReadUpload(ctx), ctx.RequestAborted);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/media/v1/create`</summary>
    static async Task<IResult> Create(HttpContext ctx, MediaRepository media)
    {
        var me = await ctx.AuthAsync();
        var (uri, expiresAt) = await media.CreateAsync(me.UserId);
        return JsonBody.Json(new JsonObject { ["content_uri"] = uri, ["unused_expires_at"] = expiresAt });
    }

    /// <summary>`GET /_matrix/client/v1/media/config` (and the legacy `/_matrix/media/v3/config`)</summary>
    static async Task<IResult> Config(HttpContext ctx, MediaRepository media)
    {
        await ctx.AuthAsync();
        return JsonBody.Json(new JsonObject { ["m.upload.size"] = media.Options.MaxUploadSize });
    }

    /// <summary>`GET /_matrix/client/v1/media/preview_url`: URL previews are disabled, and Synapse then
    /// answers an authenticated request 400 M_UNRECOGNIZED.</summary>
    static async Task<IResult> PreviewUrl(HttpContext ctx)
    {
        await ctx.AuthAsync();
        throw new MatrixException(400, "M_UNRECOGNIZED", "Unrecognized request");
    }

    /// <summary>The upload's metadata (Synapse's _get_file_metadata), and the body unbounded by the
    /// server-wide request limit: the repository checks max_upload_size against Content-Length, then
    /// again while the body streams.</summary>
    static MediaUpload ReadUpload(HttpContext ctx)
    {
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = null;
        var contentType = ctx.Request.Headers.ContentType.ToString();
        if (contentType.Length == 0) contentType = "application/octet-stream";
        else if (!MediaHeaders.IsValidMediaType(contentType))
            throw MatrixException.InvalidParam("Invalid Content-Type");
        var name = ctx.Request.Query["filename"].ToString();
        return new MediaUpload(ctx.Request.Body, ctx.Request.ContentLength, contentType, name.Length == 0 ? null : name);
    }

    /// <summary>`GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}]` (authenticated)
    /// and the legacy `/_matrix/media/v3/download/...`</summary>
    static async Task Download(HttpContext ctx, string serverName, string mediaId, string? fileName, MediaRepository media, bool authenticated)
    {
        if (authenticated) await ctx.AuthAsync();
        var local = await LocalMediaAsync(ctx, serverName, mediaId, media);
        await using var content = media.OpenContent(mediaId) ?? throw MediaRepository.NotFound();
        media.MarkAccessed(mediaId);
        var type = local.MediaType ?? "application/octet-stream";
        await SendAsync(ctx, content, MediaHeaders.ContentType(type),
            MediaHeaders.ContentDisposition(type, string.IsNullOrEmpty(fileName) ? local.UploadName : fileName));
    }

    /// <summary>`GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}` (authenticated) and the legacy
    /// `/_matrix/media/v3/thumbnail/...`: the closest of the thumbnails made at upload (`animated` is ignored:
    /// thumbnails are never animated).</summary>
    static async Task Thumbnail(HttpContext ctx, string serverName, string mediaId, MediaRepository media, bool authenticated)
    {
        if (authenticated) await ctx.AuthAsync();
        var width = MediaQuery.Int(ctx, "width", required: true)!.Value;
        var height = MediaQuery.Int(ctx, "height", required: true)!.Value;
        var method = ctx.Request.Query.TryGetValue("method", out var m) ? m.ToString() : Thumbnails.Scale;
        await LocalMediaAsync(ctx, serverName, mediaId, media);
        var chosen = await media.SelectThumbnailAsync(mediaId, (int)Math.Min(width, int.MaxValue), (int)Math.Min(height, int.MaxValue), method)
            ?? throw MediaRepository.NotFound();
        await using var content = media.OpenThumbnail(mediaId, chosen) ?? throw MediaRepository.NotFound();
        media.MarkAccessed(mediaId);
        var extension = chosen.Type == "image/jpeg" ? "jpg" : "png";
        await SendAsync(ctx, content, chosen.Type, MediaHeaders.ContentDisposition(chosen.Type, $"thumbnail.{extension}"));
    }

    /// <summary>The local media a download or thumbnail request names, waiting up to timeout_ms for content
    /// still to be uploaded. Media of other servers is not found: there is no federation to fetch it over.</summary>
    static async Task<LocalMedia> LocalMediaAsync(HttpContext ctx, string serverName, string mediaId, MediaRepository media)
    {
        if (!MatrixIds.IsValidServerName(serverName)) throw MatrixException.InvalidParam("Invalid server name");
        var timeout = (int)Math.Min(MediaQuery.Int(ctx, "timeout_ms", required: false) ?? MediaRepository.DefaultTimeoutMs, MediaRepository.MaxTimeoutMs);
        if (!media.IsLocal(serverName)) throw MediaRepository.NotFound();
        return await media.GetForServingAsync(mediaId, timeout, ctx.RequestAborted);
    }

    /// <summary>Sends a media file with the headers Synapse gives media (spec: Content-Security-Policy,
    /// Cross-Origin-Resource-Policy; nosniff so the declared type is the only one a browser uses).</summary>
    static async Task SendAsync(HttpContext ctx, FileStream content, string contentType, string disposition)
    {
        var r = ctx.Response;
        r.StatusCode = 200;
        r.ContentType = contentType;
        r.ContentLength = content.Length;
        var h = r.Headers;
        h.ContentDisposition = disposition;
        h.CacheControl = "public,max-age=86400,s-maxage=86400";
        h["X-Robots-Tag"] = "noindex, nofollow, noarchive, noimageindex";
        h["Content-Security-Policy"] = MediaHeaders.ContentSecurityPolicy;
        h["X-Content-Security-Policy"] = "sandbox;";
        h["X-Content-Type-Options"] = "nosniff";
        h["Cross-Origin-Resource-Policy"] = "cross-origin";
        await content.CopyToAsync(r.Body, ctx.RequestAborted);
    }
}

/// <summary>Query parameters as Synapse's parse_integer reads them: 400 M_MISSING_PARAM when a required one is
/// absent, 400 M_INVALID_PARAM when it is not a non-negative integer.</summary>
internal static class MediaQuery
{
    public static long? Int(HttpContext ctx, string name, bool required)
    {
        if (!ctx.Request.Query.TryGetValue(name, out var raw) || raw.Count == 0)
            return required ? throw MatrixException.MissingParam($"Missing integer query parameter '{name}'") : null;
        if (!long.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw MatrixException.InvalidParam($"Query parameter '{name}' must be a string representing a positive integer.");
        return value;
    }

    public static bool? Bool(HttpContext ctx, string name)
    {
        if (!ctx.Request.Query.TryGetValue(name, out var raw) || raw.Count == 0) return null;
        return raw.ToString() switch
        {
            "true" => true,
            "false" => false,
            _ => throw MatrixException.InvalidParam($"Boolean query parameter '{name}' must be one of ['true', 'false']"),
        };
    }
}
