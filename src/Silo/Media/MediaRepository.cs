using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.Media;

/// <summary>An upload's content as the client sends it.</summary>
public sealed record MediaUpload(Stream Body, long? ContentLength, string MediaType, string? UploadName);

/// <summary>
/// The media repository of this process (Synapse's MediaRepository): files under <c>media_store_path</c> in
/// Synapse's layout, records in local_media_repository, thumbnails made at upload. The HTTP endpoints are
/// thin over it; failures a client causes are <see cref="MatrixException"/>s with the spec's codes.
/// </summary>
public sealed class MediaRepository(MyelinDatabase db, HomeserverOptions options, TimeProvider clock, ILogger<MediaRepository> log)
{
    /// <summary>spec: timeout_ms defaults to 20 s; Synapse caps it at 60 s.</summary>
    public const int DefaultTimeoutMs = 20_000;
    public const int MaxTimeoutMs = 60_000;
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    readonly MediaOptions _media = options.Media;
    readonly ConcurrentDictionary<string, byte> _uploading = new();
    readonly ConcurrentDictionary<string, byte> _accessed = new();

    public MediaOptions Options => _media;
    public string ServerName => options.ServerName;
    public bool IsLocal(string serverName) => serverName == options.ServerName;

    long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    // Synapse's layout: local_content/ab/cd/efgh..., local_thumbnails/ab/cd/efgh.../W-H-top-sub-method.
    // (IDs of four characters or fewer, which this server never makes, stay flat in the root.)
    string Split(string root, string mediaId) => mediaId.Length > 4
        ? Path.Combine(_media.StorePath, root, mediaId[..2], mediaId[2..4], mediaId[4..])
        : Path.Combine(_media.StorePath, root, mediaId);

    public string ContentPath(string mediaId) => Split("local_content", mediaId);
    public string ThumbnailDirectory(string mediaId) => Split("local_thumbnails", mediaId);
    public string ThumbnailPath(string mediaId, MediaThumbnail t) =>
        Path.Combine(ThumbnailDirectory(mediaId), $"{t.Width}-{t.Height}-{t.Type.Replace('/', '-')}-{t.Method}");

    /// <summary><c>POST /upload</c>: stores the content under a new ID and makes its thumbnails.</summary>
    public async Task<string> UploadAsync(string userId, MediaUpload upload, CancellationToken ct)
    {
        CheckDeclaredSize(upload.ContentLength);
        var mediaId = MediaIds.Generate();
        var (temp, length, sha256) = await ReceiveAsync(upload.Body, ct);
        try
        {
            MoveIntoPlace(temp, mediaId);
        }
        finally
        {
            File.Delete(temp);
        }
        var now = Now;
        await db.Media.CreateAsync(new LocalMedia(mediaId, upload.MediaType, length, now, upload.UploadName, userId, null, now, false, sha256));
        await MakeThumbnailsAsync(mediaId, upload.MediaType);
        return MediaIds.Mxc(options.ServerName, mediaId);
    }

    /// <summary><c>POST /_matrix/media/v1/create</c>: a new ID for content to come, within the user's limit of
    /// pending uploads (429 M_LIMIT_EXCEEDED past it). Returns the URI and when it expires unused.</summary>
    public async Task<(string ContentUri, long UnusedExpiresAt)> CreateAsync(string userId)
    {
        var now = Now;
        var expiry = (long)_media.UnusedExpiration.TotalMilliseconds;
        var (pending, first) = await db.Media.CountPendingAsync(userId, now - expiry);
        if (pending >= _media.MaxPendingUploads)
        {
            var retryAfter = Math.Max(0, (first ?? now) + expiry - now);
            throw new MatrixException(429, "M_LIMIT_EXCEEDED", "Too many pending media uploads", $$"""{"retry_after_ms":{{retryAfter}}}""");
        }
        var mediaId = MediaIds.Generate();
        await db.Media.CreateAsync(new LocalMedia(mediaId, null, null, now, null, userId, null, null, false, null));
        return (MediaIds.Mxc(options.ServerName, mediaId), now + expiry);
    }

    /// <summary><c>PUT /_matrix/media/v3/upload/{serverName}/{mediaId}</c>: the content of an ID made by
    /// <see cref="CreateAsync"/>, by its creator only, once (409 M_CANNOT_OVERWRITE_MEDIA after).</summary>
    public async Task UploadToAsync(string userId, string serverName, string mediaId, MediaUpload upload, CancellationToken ct)
    {
        if (!IsLocal(serverName)) throw MatrixException.NotFound("Non-local server name specified");
        if (!MediaIds.IsValid(mediaId)) throw MatrixException.NotFound("Unknown media ID");
        // Synapse's upload lock: a second upload to an ID while one is running is refused at once.
        if (!_uploading.TryAdd(mediaId, 0))
            throw new MatrixException(409, "M_CANNOT_OVERWRITE_MEDIA", "Media ID cannot be overwritten");
        try
        {
            var media = await db.Media.GetAsync(mediaId) ?? throw MatrixException.NotFound("Unknown media ID");
            if (media.UserId != userId)
                throw MatrixException.Forbidden("Only the creator of the media ID can upload to it");
            if (media.MediaLength is not null)
                throw new MatrixException(409, "M_CANNOT_OVERWRITE_MEDIA", "Media ID already has content");
            if (media.CreatedTs < Now - (long)_media.UnusedExpiration.TotalMilliseconds)
                throw MatrixException.NotFound("Media ID has expired");
            CheckDeclaredSize(upload.ContentLength);

            var (temp, length, sha256) = await ReceiveAsync(upload.Body, ct);
            try
            {
                if (!MoveIntoPlace(temp, mediaId))
                    throw new MatrixException(409, "M_CANNOT_OVERWRITE_MEDIA", "Media ID already has content");
            }
            finally
            {
                File.Delete(temp);
            }
            // The database decides between two processes given the same ID on separate disks.
            if (!await db.Media.CompletePendingAsync(mediaId, upload.MediaType, upload.UploadName, length, sha256, Now))
            {
                File.Delete(ContentPath(mediaId));
                throw new MatrixException(409, "M_CANNOT_OVERWRITE_MEDIA", "Media ID already has content");
            }
            await MakeThumbnailsAsync(mediaId, upload.MediaType);
        }
        finally
        {
            _uploading.TryRemove(mediaId, out _);
        }
    }

    void CheckDeclaredSize(long? contentLength)
    {
        if (contentLength > _media.MaxUploadSize)
            throw new MatrixException(413, "M_TOO_LARGE", "Upload request body is too large");
    }

    /// <summary>Streams the body to a temporary file, hashing it, stopping with 413 M_TOO_LARGE as soon as it
    /// passes max_upload_size (whatever Content-Length said).</summary>
    async Task<(string Path, long Length, string Sha256)> ReceiveAsync(Stream body, CancellationToken ct)
    {
        var dir = Path.Combine(_media.StorePath, "tmp");
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, Guid.NewGuid().ToString("N"));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long length = 0;
        try
        {
            await using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            var buffer = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                length += read;
                if (length > _media.MaxUploadSize)
                    throw new MatrixException(413, "M_TOO_LARGE", "Upload request body is too large");
                hash.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), ct);
            }
            await file.FlushAsync(ct);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return (temp, length, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    /// <summary>Moves a received file to the media's place; false when that place is already taken.</summary>
    bool MoveIntoPlace(string temp, string mediaId)
    {
        var target = ContentPath(mediaId);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(temp, target, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(target))
        {
            return false;
        }
    }

    /// <summary>Makes and records the configured thumbnails of an image (none for other types, or for an
    /// image that does not decode: its thumbnail requests then answer 400 as Synapse's do).</summary>
    async Task MakeThumbnailsAsync(string mediaId, string mediaType)
    {
        if (Thumbnails.ThumbnailTypeFor(mediaType) is not { } type) return;
        try
        {
            var path = ContentPath(mediaId);
            var rendered = await Task.Run(() => Thumbnailer.Render(path, type, _media.ThumbnailSizes, _media.MaxImagePixels));
            foreach (var r in rendered)
            {
                var t = new MediaThumbnail(r.Plan.Width, r.Plan.Height, r.Plan.Method, r.Plan.Type, r.Bytes.Length);
                var file = ThumbnailPath(mediaId, t);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                await File.WriteAllBytesAsync(file, r.Bytes);
                await db.Media.AddThumbnailAsync(mediaId, t);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A broken image is the uploader's problem, not the upload's: it is stored, just not thumbnailed.
            log.LogWarning(e, "Could not thumbnail media {MediaId} ({MediaType})", mediaId, mediaType);
        }
    }

    /// <summary>
    /// The local media to serve (Synapse's get_local_media_info): 404 M_NOT_FOUND when unknown, quarantined or
    /// expired without content; a created ID still waiting for its content is waited for up to
    /// <paramref name="timeoutMs"/>, then 504 M_NOT_YET_UPLOADED.
    /// </summary>
    public async Task<LocalMedia> GetForServingAsync(string mediaId, int timeoutMs, CancellationToken ct)
    {
        if (!MediaIds.IsValid(mediaId)) throw NotFound();
        var deadline = Now + Math.Clamp(timeoutMs, 0, MaxTimeoutMs);
        while (true)
        {
            var media = await db.Media.GetAsync(mediaId);
            if (media is null || media.QuarantinedBy is not null) throw NotFound();
            if (media.MediaLength is not null) return media;
            var now = Now;
            if (media.CreatedTs < now - (long)_media.UnusedExpiration.TotalMilliseconds) throw NotFound();
            if (now >= deadline) break;
            await Task.Delay(PollInterval, clock, ct);
        }
        throw new MatrixException(504, "M_NOT_YET_UPLOADED", "Media has not been uploaded yet");
    }

    public static MatrixException NotFound() => MatrixException.NotFound("Not found");

    /// <summary>Opens the content for reading, or null when this process's store does not have the file.</summary>
    public FileStream? OpenContent(string mediaId) => Open(ContentPath(mediaId));

    public FileStream? OpenThumbnail(string mediaId, MediaThumbnail t) => Open(ThumbnailPath(mediaId, t));

    static FileStream? Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The thumbnail to answer a request with (Synapse's selection among those made), or null.
    /// 400 M_UNKNOWN when the media has none at all (not an image, or one that did not decode).</summary>
    public async Task<MediaThumbnail?> SelectThumbnailAsync(string mediaId, int width, int height, string method)
    {
        var made = await db.Media.GetThumbnailsAsync(mediaId);
        if (made.Count == 0)
            throw MatrixException.Unknown("Cannot find any thumbnails for the requested media. This might mean the media is not a supported image type (image/jpeg, image/jpg, image/webp, image/gif, image/png), or that thumbnailing failed for some other reason. (Dynamic thumbnails are disabled on this server.)");
        var infos = made.Select(t => new ThumbnailInfo(t.Width, t.Height, t.Method, t.Type, t.Length)).ToList();
        // Clients get PNG when both exist (Synapse asks for image/png).
        var chosen = Thumbnails.Select(width, height, method, "image/png", infos);
        return chosen is null ? null : made[infos.IndexOf(chosen)];
    }

    /// <summary>Notes a download; last_access_ts is written in batches (<see cref="FlushAccessTimesAsync"/>).</summary>
    public void MarkAccessed(string mediaId) => _accessed.TryAdd(mediaId, 0);

    public async Task FlushAccessTimesAsync()
    {
        var ids = _accessed.Keys.ToList();
        foreach (var id in ids) _accessed.TryRemove(id, out _);
        if (ids.Count > 0) await db.Media.UpdateLastAccessAsync(ids, Now);
    }

    /// <summary>Deletes local media: the files (content and thumbnails) and the records. Returns the IDs removed.</summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(IEnumerable<string> mediaIds)
    {
        var removed = new List<string>();
        foreach (var id in mediaIds.Where(MediaIds.IsValid).Distinct())
        {
            try
            {
                File.Delete(ContentPath(id));
                if (Directory.Exists(ThumbnailDirectory(id))) Directory.Delete(ThumbnailDirectory(id), recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogWarning(e, "Could not remove the files of media {MediaId}", id);
                continue;
            }
            removed.Add(id);
        }
        await db.Media.DeleteAsync(removed);
        return removed;
    }

    /// <summary>The mxc:// URIs the room's events point at, split into this server's and other servers'.</summary>
    public async Task<(IReadOnlyList<string> Local, IReadOnlyList<string> Remote)> MediaInRoomAsync(string roomId)
    {
        List<string> local = [], remote = [];
        foreach (var json in await db.Media.GetRoomEventsMentioningMediaAsync(roomId))
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("content", out var content)) continue;
            foreach (var uri in MediaIds.ReferencedBy(content))
            {
                if (MediaIds.ParseMxc(uri) is not { } mxc) continue;
                var list = IsLocal(mxc.ServerName) ? local : remote;
                if (!list.Contains(uri)) list.Add(uri);
            }
        }
        return (local, remote);
    }

    /// <summary>Housekeeping: forgets IDs made by /create that expired without content.</summary>
    public Task<int> DeleteExpiredPendingAsync() =>
        db.Media.DeleteExpiredPendingAsync(Now - (long)_media.UnusedExpiration.TotalMilliseconds);
}
