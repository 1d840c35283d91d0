using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class MediaStore(Db db) : IMediaStore
{
    sealed class MediaRow
    {
        public string MediaId { get; set; } = "";
        public string? MediaType { get; set; }
        public long? MediaLength { get; set; }
        public long CreatedTs { get; set; }
        public string? UploadName { get; set; }
        public string UserId { get; set; } = "";
        public string? QuarantinedBy { get; set; }
        public long? LastAccessTs { get; set; }
        public bool SafeFromQuarantine { get; set; }
        public string? Sha256 { get; set; }
        public LocalMedia ToRecord() => new(MediaId, MediaType, MediaLength, CreatedTs, UploadName, UserId, QuarantinedBy,
            LastAccessTs, SafeFromQuarantine, Sha256);
    }

    const string Columns = """
        media_id AS MediaId, media_type AS MediaType, media_length AS MediaLength, created_ts AS CreatedTs,
        upload_name AS UploadName, user_id AS UserId, quarantined_by AS QuarantinedBy, last_access_ts AS LastAccessTs,
        safe_from_quarantine AS SafeFromQuarantine, sha256 AS Sha256
        """;

    const string Insert = """
        INSERT INTO local_media_repository
            (media_id, media_type, media_length, created_ts, upload_name, user_id, last_access_ts, safe_from_quarantine, sha256)
        VALUES (@MediaId, @MediaType, @MediaLength, @CreatedTs, @UploadName, @UserId, @LastAccessTs, FALSE, @Sha256)
        """;

    public Task CreateAsync(LocalMedia media) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(Insert, media, tx));

    // Only a pending row takes content, once: the loser of two uploads to one ID updates nothing.
    const string Complete = """
        UPDATE local_media_repository
        SET media_type = @MediaType, media_length = @MediaLength, upload_name = @UploadName, last_access_ts = @Now, sha256 = @Sha256
        WHERE media_id = @MediaId AND media_length IS NULL
        """;

    public Task<bool> CompletePendingAsync(string mediaId, string mediaType, string? uploadName, long length, string sha256, long now) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(Complete,
            new { MediaId = mediaId, MediaType = mediaType, UploadName = uploadName, MediaLength = length, Sha256 = sha256, Now = now }, tx) == 1);

    const string Select = $"SELECT {Columns} FROM local_media_repository WHERE media_id = @MediaId";

    public Task<LocalMedia?> GetAsync(string mediaId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<MediaRow>(Select, new { MediaId = mediaId }))?.ToRecord());

    const string CountPending = """
        SELECT COUNT(*) AS Count, MIN(created_ts) AS FirstCreatedTs FROM local_media_repository
        WHERE user_id = @UserId AND media_length IS NULL AND created_ts > @After
        """;

    sealed class PendingRow
    {
        public long Count { get; set; }
        public long? FirstCreatedTs { get; set; }
    }

    public Task<(int Count, long? FirstCreatedTs)> CountPendingAsync(string userId, long createdAfter) =>
        db.ReadAsync(async c =>
        {
            var r = await c.QuerySingleAsync<PendingRow>(CountPending, new { UserId = userId, After = createdAfter });
            return ((int)r.Count, r.FirstCreatedTs);
        });

    const string InsertThumbnail = """
        INSERT INTO local_media_repository_thumbnails
            (media_id, thumbnail_width, thumbnail_height, thumbnail_type, thumbnail_method, thumbnail_length)
        VALUES (@MediaId, @Width, @Height, @Type, @Method, @Length)
        ON CONFLICT (media_id, thumbnail_width, thumbnail_height, thumbnail_type, thumbnail_method)
        DO UPDATE SET thumbnail_length = excluded.thumbnail_length
        """;

    public Task AddThumbnailAsync(string mediaId, MediaThumbnail t) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(InsertThumbnail,
            new { MediaId = mediaId, t.Width, t.Height, t.Type, t.Method, t.Length }, tx));

    const string SelectThumbnails = """
        SELECT thumbnail_width AS Width, thumbnail_height AS Height, thumbnail_method AS Method, thumbnail_type AS Type,
               thumbnail_length AS Length
        FROM local_media_repository_thumbnails WHERE media_id = @MediaId
        ORDER BY thumbnail_width, thumbnail_height, thumbnail_method, thumbnail_type
        """;

    sealed class ThumbnailRow
    {
        public long Width { get; set; }
        public long Height { get; set; }
        public string Method { get; set; } = "";
        public string Type { get; set; } = "";
        public long Length { get; set; }
    }

    public Task<IReadOnlyList<MediaThumbnail>> GetThumbnailsAsync(string mediaId) =>
        db.ReadAsync<IReadOnlyList<MediaThumbnail>>(async c =>
            (await c.QueryAsync<ThumbnailRow>(SelectThumbnails, new { MediaId = mediaId }))
            .Select(r => new MediaThumbnail((int)r.Width, (int)r.Height, r.Method, r.Type, r.Length)).ToList());

    const string UpdateAccess = """
        UPDATE local_media_repository SET last_access_ts = @Ts
        WHERE media_id = @MediaId AND (last_access_ts IS NULL OR last_access_ts < @Ts)
        """;

    public Task UpdateLastAccessAsync(IReadOnlyCollection<string> mediaIds, long ts) =>
        mediaIds.Count == 0 ? Task.CompletedTask
            : db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateAccess, mediaIds.Select(id => new { MediaId = id, Ts = ts }), tx));

    const string CountUser = "SELECT COUNT(*) FROM local_media_repository WHERE user_id = @UserId";

    static readonly IReadOnlyDictionary<string, string> OrderColumns = new Dictionary<string, string>
    {
        ["media_id"] = "media_id", ["upload_name"] = "upload_name", ["created_ts"] = "created_ts",
        ["last_access_ts"] = "last_access_ts", ["media_length"] = "media_length", ["media_type"] = "media_type",
        ["quarantined_by"] = "quarantined_by", ["safe_from_quarantine"] = "safe_from_quarantine",
    };

    public Task<(IReadOnlyList<LocalMedia> Media, int Total)> GetUserMediaAsync(string userId, int from, int limit, string orderBy, bool backwards) =>
        db.ReadAsync<(IReadOnlyList<LocalMedia>, int)>(async c =>
        {
            var column = OrderColumns.TryGetValue(orderBy, out var col) ? col : throw new ArgumentException($"unknown order {orderBy}", nameof(orderBy));
            var dir = backwards ? "DESC" : "ASC";
            // Ties (and NULLs, which the engines sort differently) are broken by media_id, as Synapse does.
            var sql = $"""
                SELECT {Columns} FROM local_media_repository WHERE user_id = @UserId
                ORDER BY {column} {dir}, media_id ASC LIMIT @Limit OFFSET @From
                """;
            var rows = await c.QueryAsync<MediaRow>(sql, new { UserId = userId, Limit = (long)limit, From = (long)from });
            var total = await c.ExecuteScalarAsync<long>(CountUser, new { UserId = userId });
            return (rows.Select(r => r.ToRecord()).ToList(), (int)total);
        });

    const string Quarantine = """
        UPDATE local_media_repository SET quarantined_by = @By
        WHERE media_id = @MediaId AND NOT safe_from_quarantine
        """;
    const string Unquarantine = "UPDATE local_media_repository SET quarantined_by = NULL WHERE media_id = @MediaId";

    public Task<int> SetQuarantinedAsync(IReadOnlyCollection<string> mediaIds, string? quarantinedBy) =>
        mediaIds.Count == 0 ? Task.FromResult(0)
            : db.WriteAsync(async (c, tx) => quarantinedBy is null
                ? await c.ExecuteAsync(Unquarantine, mediaIds.Select(id => new { MediaId = id }), tx)
                : await c.ExecuteAsync(Quarantine, mediaIds.Select(id => new { MediaId = id, By = quarantinedBy }), tx));

    const string QuarantineUser = """
        UPDATE local_media_repository SET quarantined_by = @By
        WHERE user_id = @UserId AND NOT safe_from_quarantine
        """;

    public Task<int> QuarantineUserMediaAsync(string userId, string quarantinedBy) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(QuarantineUser, new { UserId = userId, By = quarantinedBy }, tx));

    const string UpdateSafe = "UPDATE local_media_repository SET safe_from_quarantine = @Safe WHERE media_id = @MediaId";

    public Task SetSafeFromQuarantineAsync(string mediaId, bool safe) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateSafe, new { MediaId = mediaId, Safe = safe }, tx));

    // Media last used before the time and larger than the size; a profile's avatar (the user's or a room
    // member's) is kept when asked. Quarantined and protected media are kept, as Synapse does.
    const string SelectOld = """
        SELECT media_id FROM local_media_repository AS lmr
        WHERE last_access_ts < @BeforeTs AND media_length > @SizeGt
          AND quarantined_by IS NULL AND NOT safe_from_quarantine
        """;
    const string KeepProfiles = """
          AND NOT EXISTS (SELECT 1 FROM profiles WHERE profiles.avatar_url = @Prefix || lmr.media_id)
        """;

    public Task<IReadOnlyList<string>> GetOldMediaIdsAsync(long beforeTs, long sizeGt, bool keepProfiles, string mxcPrefix) =>
        db.ReadAsync<IReadOnlyList<string>>(async c =>
            (await c.QueryAsync<string>(SelectOld + (keepProfiles ? KeepProfiles : ""),
                new { BeforeTs = beforeTs, SizeGt = sizeGt, Prefix = mxcPrefix })).ToList());

    const string DeleteThumbnails = "DELETE FROM local_media_repository_thumbnails WHERE media_id = @MediaId";
    const string DeleteMedia = "DELETE FROM local_media_repository WHERE media_id = @MediaId";

    public Task DeleteAsync(IReadOnlyCollection<string> mediaIds) =>
        mediaIds.Count == 0 ? Task.CompletedTask : db.WriteAsync(async (c, tx) =>
        {
            var args = mediaIds.Select(id => new { MediaId = id }).ToList();
            await c.ExecuteAsync(DeleteThumbnails, args, tx);
            await c.ExecuteAsync(DeleteMedia, args, tx);
        });

    const string DeleteExpired = """
        DELETE FROM local_media_repository WHERE media_length IS NULL AND created_ts < @Before
        """;

    public Task<int> DeleteExpiredPendingAsync(long createdBefore) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteExpired, new { Before = createdBefore }, tx));

    // Events that may point at media: their JSON mentions an mxc:// URI. Newest first, as Synapse lists them.
    const string SelectRoomEvents = """
        SELECT json FROM events WHERE room_id = @RoomId AND json LIKE '%mxc://%' ORDER BY stream_ordering DESC
        """;

    public Task<IReadOnlyList<string>> GetRoomEventsMentioningMediaAsync(string roomId) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectRoomEvents, new { RoomId = roomId })).ToList());
}
