using Myelin.Matrix;

namespace Myelin.Silo.Configuration;

/// <summary>
/// The media repository's settings, from Synapse's keys: <c>media_store_path</c>, <c>max_upload_size</c>,
/// <c>max_image_pixels</c>, <c>thumbnail_sizes</c>, <c>max_pending_media_uploads</c>,
/// <c>unused_expiration_time</c>. Whether this process serves media at all is <c>enable_media_repo</c>
/// (<see cref="WorkerAppOptions.EnableMediaRepo"/>).
/// </summary>
public sealed class MediaOptions
{
    /// <summary>Where the files live (Synapse's layout: local_content/ab/cd/rest, local_thumbnails/...).</summary>
    public string StorePath { get; init; } = "data/media_store";
    /// <summary>The largest upload accepted, in bytes (Synapse's default 50M), announced as m.upload.size.</summary>
    public long MaxUploadSize { get; init; } = 50L * 1024 * 1024;
    /// <summary>Images with more pixels are not thumbnailed (Synapse's default 32M).</summary>
    public long MaxImagePixels { get; init; } = 32L * 1024 * 1024;
    public IReadOnlyList<ThumbnailSize> ThumbnailSizes { get; init; } = Thumbnails.DefaultSizes;
    /// <summary>How many IDs made by /create a user may have waiting for content (Synapse's default 5).</summary>
    public int MaxPendingUploads { get; init; } = 5;
    /// <summary>How long an ID made by /create waits for its content (Synapse's default 24h).</summary>
    public TimeSpan UnusedExpiration { get; init; } = TimeSpan.FromHours(24);

    public static MediaOptions FromConfig(ConfigDocument c, string dataDirectory)
    {
        var pending = c.Long("max_pending_media_uploads", 5);
        if (pending < 1) throw c.Error("max_pending_media_uploads", "must be at least 1");
        var maxUpload = c.Size("max_upload_size", 50L * 1024 * 1024);
        if (maxUpload < 1) throw c.Error("max_upload_size", "must be at least 1 byte");
        return new MediaOptions
        {
            StorePath = c.String("media_store_path", Path.Combine(dataDirectory, "media_store"))!,
            MaxUploadSize = maxUpload,
            MaxImagePixels = c.Size("max_image_pixels", 32L * 1024 * 1024),
            ThumbnailSizes = ParseSizes(c),
            MaxPendingUploads = (int)Math.Min(pending, int.MaxValue),
            UnusedExpiration = Duration(c, "unused_expiration_time", TimeSpan.FromHours(24)),
        };
    }

    static IReadOnlyList<ThumbnailSize> ParseSizes(ConfigDocument c)
    {
        const string key = "thumbnail_sizes";
        if (c.List(key) is not { } list) return Thumbnails.DefaultSizes;
        var sizes = new List<ThumbnailSize>();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not Dictionary<string, object?> entry
                || entry.GetValueOrDefault("width") is not long w || entry.GetValueOrDefault("height") is not long h
                || w is < 1 or > 10_000 || h is < 1 or > 10_000)
                throw c.Error(key, $"{key}[{i}] must have a width and a height between 1 and 10000");
            var method = entry.GetValueOrDefault("method") as string ?? Thumbnails.Scale;
            if (method is not (Thumbnails.Crop or Thumbnails.Scale))
                throw c.Error(key, $"{key}[{i}].method must be crop or scale");
            sizes.Add(new ThumbnailSize((int)w, (int)h, method));
        }
        return sizes;
    }

    /// <summary>Durations as Synapse reads them: a number of milliseconds, or a number with s, m, h, d, w or y.</summary>
    static TimeSpan Duration(ConfigDocument c, string key, TimeSpan fallback)
    {
        switch (c.Get(key))
        {
            case null: return fallback;
            case long ms when ms > 0: return TimeSpan.FromMilliseconds(ms);
            case string s when s.Length > 1 && long.TryParse(s[..^1], out var n) && n > 0:
                var unit = s[^1] switch
                {
                    's' => TimeSpan.FromSeconds(1), 'm' => TimeSpan.FromMinutes(1), 'h' => TimeSpan.FromHours(1),
                    'd' => TimeSpan.FromDays(1), 'w' => TimeSpan.FromDays(7), 'y' => TimeSpan.FromDays(365),
                    _ => TimeSpan.Zero,
                };
                if (unit > TimeSpan.Zero) return unit * n;
                break;
        }
        throw c.Error(key, "must be a duration such as 24h");
    }
}
