using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Myelin.Matrix;

/// <summary>spec: client-server API "Content repository" — <c>mxc://</c> URIs and media IDs.</summary>
public static class MediaIds
{
    /// <summary>Length of the IDs this server makes (Synapse: 24 random letters).</summary>
    public const int Length = 24;

    /// <summary>spec: "The media-id segment MUST consist of only alphanumeric (A-Za-z0-9), _ and -
    /// characters" — checked before an ID ever names a file.</summary>
    public static bool IsValid(string? mediaId) =>
        !string.IsNullOrEmpty(mediaId) && mediaId.Length <= 255
        && mediaId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    public static string Generate()
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        return string.Create(Length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = letters[RandomNumberGenerator.GetInt32(letters.Length)];
        });
    }

    public static string Mxc(string serverName, string mediaId) => $"mxc://{serverName}/{mediaId}";

    /// <summary>The server name and media ID of an <c>mxc://</c> URI, or null when it is not one.</summary>
    public static (string ServerName, string MediaId)? ParseMxc(string? uri)
    {
        if (uri is null || !uri.StartsWith("mxc://", StringComparison.Ordinal)) return null;
        var rest = uri.AsSpan(6);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1) return null;
        var server = rest[..slash].ToString();
        var id = rest[(slash + 1)..].ToString();
        return MatrixIds.IsValidServerName(server) && IsValid(id) ? (server, id) : null;
    }

    /// <summary>The media an event's content points at (Synapse's media-in-room scan): <c>url</c> and
    /// <c>info.thumbnail_url</c>, as <c>mxc://</c> URIs.</summary>
    public static IEnumerable<string> ReferencedBy(JsonElement content)
    {
        if (content.ValueKind != JsonValueKind.Object) yield break;
        if (content.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String
            && url.GetString() is { } u && u.StartsWith("mxc://", StringComparison.Ordinal))
            yield return u;
        if (content.TryGetProperty("info", out var info) && info.ValueKind == JsonValueKind.Object
            && info.TryGetProperty("thumbnail_url", out var thumb) && thumb.ValueKind == JsonValueKind.String
            && thumb.GetString() is { } t && t.StartsWith("mxc://", StringComparison.Ordinal))
            yield return t;
    }
}

/// <summary>
/// The headers media is served with. spec: "Serving inline content" (which types may be <c>inline</c>),
/// the download endpoints' Content-Disposition (the upload's file name, or the one in the path), and
/// Synapse's habits where the spec leaves room (a UTF-8 charset on text types; <c>filename=</c> as a
/// token when it can be one, RFC 5987 <c>filename*=utf-8''</c> otherwise).
/// </summary>
public static class MediaHeaders
{
    /// <summary>spec: the Content-Type values servers may serve with <c>Content-Disposition: inline</c>.</summary>
    public static readonly IReadOnlySet<string> InlineTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "text/css", "text/plain", "text/csv", "application/json", "application/ld+json",
        "image/jpeg", "image/gif", "image/png", "image/apng", "image/webp", "image/avif",
        "video/mp4", "video/webm", "video/ogg", "video/quicktime",
        "audio/mp4", "audio/webm", "audio/aac", "audio/mpeg", "audio/ogg", "audio/wave", "audio/wav",
        "audio/x-wav", "audio/x-pn-wav", "audio/flac", "audio/x-flac",
    };

    /// <summary>Text types served with <c>; charset=UTF-8</c> when uploaded without a charset.</summary>
    static readonly HashSet<string> TextTypes = new(StringComparer.Ordinal)
    {
        "text/css", "text/csv", "text/html", "text/calendar", "text/plain", "text/javascript",
        "application/json", "application/ld+json", "application/rtf", "image/svg+xml", "text/xml",
    };

    /// <summary>The Content-Security-Policy media is served with (spec's recommendation, as Synapse sends it).</summary>
    public const string ContentSecurityPolicy =
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';";

    /// <summary>The essence of a media type: lowercased, parameters dropped.</summary>
    public static string Essence(string mediaType)
    {
        var semi = mediaType.IndexOf(';');
        return (semi < 0 ? mediaType : mediaType[..semi]).Trim().ToLowerInvariant();
    }

    public static bool IsInline(string mediaType) => InlineTypes.Contains(Essence(mediaType));

    /// <summary>The Content-Type to serve: the uploaded one, with a UTF-8 charset added to bare text types.</summary>
    public static string ContentType(string mediaType) =>
        TextTypes.Contains(mediaType.ToLowerInvariant()) ? mediaType + "; charset=UTF-8" : mediaType;

    /// <summary>The Content-Disposition value: <c>inline</c> for the safe types, <c>attachment</c> otherwise,
    /// with the file name when there is one. Always ASCII.</summary>
    public static string ContentDisposition(string mediaType, string? fileName)
    {
        var disposition = IsInline(mediaType) ? "inline" : "attachment";
        if (string.IsNullOrEmpty(fileName)) return disposition;
        return IsToken(fileName)
            ? $"{disposition}; filename={fileName}"
            : $"{disposition}; filename*=utf-8''{PercentEncode(fileName)}";
    }

    /// <summary>RFC 2616 token: US-ASCII, no controls, no space, no separators.</summary>
    static bool IsToken(string s)
    {
        foreach (var c in s)
            if (c <= ' ' || c >= 127 || "()<>@,;:\\\"/[]?={}".Contains(c)) return false;
        return true;
    }

    /// <summary>RFC 5987 value-chars: UTF-8 bytes, attr-chars kept, everything else %XX.</summary>
    static string PercentEncode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || "!#$&+-.^_`|~".Contains(c)) sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>Whether an uploaded Content-Type is one that can be stored and served back: <c>type/subtype</c>
    /// in visible ASCII with optional parameters (a header value that could not be sent back is refused).</summary>
    public static bool IsValidMediaType(string? mediaType)
    {
        if (string.IsNullOrWhiteSpace(mediaType) || mediaType.Length > 255) return false;
        foreach (var c in mediaType)
            if (c < ' ' || c >= 127) return false;
        var essence = Essence(mediaType);
        var slash = essence.IndexOf('/');
        return slash > 0 && slash < essence.Length - 1 && essence.IndexOf('/', slash + 1) < 0
            && essence.All(c => c > ' ' && !"()<>@,;:\\\"[]?={}".Contains(c));
    }
}

/// <summary>One thumbnail size the server makes for an image: <c>thumbnail_sizes</c> entries.</summary>
public sealed record ThumbnailSize(int Width, int Height, string Method);

/// <summary>A thumbnail to make from one image: its size, how (crop or scale) and its content type.</summary>
public sealed record ThumbnailPlan(int Width, int Height, string Method, string Type);

/// <summary>A thumbnail already made.</summary>
public sealed record ThumbnailInfo(int Width, int Height, string Method, string Type, long Length);

/// <summary>
/// spec: "Thumbnails" — the sizes a server makes (by default 32x32 crop, 96x96 crop, 320x240 scale,
/// 640x480 scale, 800x600 scale), never upscaled; and Synapse's rules for which to make from an upload and
/// which to hand out for a request (with <c>dynamic_thumbnails</c> off: the closest already made).
/// </summary>
public static class Thumbnails
{
    public const string Crop = "crop";
    public const string Scale = "scale";

    public static readonly IReadOnlyList<ThumbnailSize> DefaultSizes =
    [
        new(32, 32, Crop), new(96, 96, Crop), new(320, 240, Scale), new(640, 480, Scale), new(800, 600, Scale),
    ];

    /// <summary>The thumbnail type made from an upload's type (Synapse: JPEG from JPEG and WebP, PNG from PNG
    /// and GIF), or null when the type is not thumbnailed.</summary>
    public static string? ThumbnailTypeFor(string mediaType) => MediaHeaders.Essence(mediaType) switch
    {
        "image/jpeg" or "image/jpg" or "image/webp" => "image/jpeg",
        "image/png" or "image/gif" => "image/png",
        _ => null,
    };

    /// <summary>
    /// The thumbnails to make of a <paramref name="sourceWidth"/>x<paramref name="sourceHeight"/> image: each
    /// configured size, scaled ones fitted inside their box with the image's aspect, crops at their exact
    /// size; none larger than the image (a crop box bigger than the image shrinks, keeping its aspect, so a
    /// small image still has a crop to hand out). Sizes that come out the same are made once.
    /// </summary>
    public static IReadOnlyList<ThumbnailPlan> Plan(int sourceWidth, int sourceHeight, string type, IEnumerable<ThumbnailSize> sizes)
    {
        var plans = new List<ThumbnailPlan>();
        foreach (var s in sizes)
        {
            var (w, h) = s.Method == Crop
                ? FitCrop(sourceWidth, sourceHeight, s.Width, s.Height)
                : Aspect(sourceWidth, sourceHeight, s.Width, s.Height);
            var plan = new ThumbnailPlan(Math.Min(sourceWidth, w), Math.Min(sourceHeight, h), s.Method, type);
            if (!plans.Contains(plan)) plans.Add(plan);
        }
        return plans;
    }

    /// <summary>The largest size with the image's aspect that fits in the box (at least 1x1).</summary>
    public static (int Width, int Height) Aspect(int sourceWidth, int sourceHeight, int maxWidth, int maxHeight)
    {
        if ((long)maxWidth * sourceHeight < (long)maxHeight * sourceWidth)
            return (maxWidth, (int)Math.Max((long)maxWidth * sourceHeight / sourceWidth, 1));
        return ((int)Math.Max((long)maxHeight * sourceWidth / sourceHeight, 1), maxHeight);
    }

    /// <summary>A crop box no larger than the image: the asked box, or when the image is smaller, the
    /// largest box of the same aspect that the image holds (never upscaled).</summary>
    public static (int Width, int Height) FitCrop(int sourceWidth, int sourceHeight, int width, int height)
    {
        if (sourceWidth >= width && sourceHeight >= height) return (width, height);
        var s = Math.Min((double)sourceWidth / width, (double)sourceHeight / height);
        return (Math.Clamp((int)Math.Floor(width * s), 1, sourceWidth), Math.Clamp((int)Math.Floor(height * s), 1, sourceHeight));
    }

    /// <summary>
    /// The thumbnail to answer a request with, among those made (Synapse's choice with dynamic thumbnails
    /// off): of the asked method only; first those at least as wide or as tall as asked, then the rest;
    /// ranked for crop by aspect closeness, then covering both sides, then size closeness, then type,
    /// then length; for scale by size closeness, type, length. Null when none of the method exists.
    /// </summary>
    public static ThumbnailInfo? Select(int width, int height, string method, string desiredType, IReadOnlyList<ThumbnailInfo> made)
    {
        var candidates = made.Where(t => t.Method == method).ToList();
        if (method != Crop && method != Scale || candidates.Count == 0) return null;
        var big = candidates.Where(t => t.Width >= width || t.Height >= height).ToList();
        var pool = big.Count > 0 ? big : candidates;
        // A stable order: the first of equal candidates wins, as Synapse's min() does.
        return method == Crop
            ? pool.OrderBy(t => Math.Abs((long)width * t.Height - (long)height * t.Width))
                .ThenBy(t => width <= t.Width && height <= t.Height ? 0 : 1)
                .ThenBy(t => Math.Abs((long)(width - t.Width) * (height - t.Height)))
                .ThenBy(t => t.Type == desiredType ? 0 : 1)
                .ThenBy(t => t.Length)
                .First()
            : pool.OrderBy(t => Math.Abs((long)(width - t.Width) * (height - t.Height)))
                .ThenBy(t => t.Type == desiredType ? 0 : 1)
                .ThenBy(t => t.Length)
                .First();
    }
}
