using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AccountStore(Db db) : IAccountStore
{
    sealed class UserRow
    {
        public string UserId { get; set; } = "";
        public string? PasswordHash { get; set; }
        public long CreationTs { get; set; }
        public bool IsAdmin { get; set; }
        public bool IsGuest { get; set; }
        public bool Deactivated { get; set; }
        public UserAccount ToRecord() => new(UserId, PasswordHash, CreationTs, IsAdmin, IsGuest, Deactivated);
    }

    const string UserColumns = """
        user_id AS UserId, password_hash AS PasswordHash, creation_ts AS CreationTs,
        admin AS IsAdmin, is_guest AS IsGuest, deactivated AS Deactivated
        """;

    const string InsertUser = """
        INSERT INTO users (user_id, password_hash, creation_ts, admin, is_guest, deactivated)
        VALUES (@UserId, @PasswordHash, @Now, @IsAdmin, @IsGuest, FALSE)
        ON CONFLICT (user_id) DO NOTHING
        """;
    const string InsertEmptyProfile = "INSERT INTO profiles (user_id) VALUES (@UserId) ON CONFLICT (user_id) DO NOTHING";

    public Task<bool> CreateUserAsync(string userId, string? passwordHash, bool isAdmin, bool isGuest, long now) =>
        db.WriteAsync(async (c, tx) =>
        {
            var inserted = await c.ExecuteAsync(InsertUser, new { UserId = userId, PasswordHash = passwordHash, Now = now, IsAdmin = isAdmin, IsGuest = isGuest }, tx);
            if (inserted == 0) return false;
            await c.ExecuteAsync(InsertEmptyProfile, new { UserId = userId }, tx);
            await UserDirectoryStore.WriteLocalEntryAsync(c, tx, userId);
            return true;
        });

    const string SelectUser = $"SELECT {UserColumns} FROM users WHERE user_id = @UserId";

    public Task<UserAccount?> GetUserAsync(string userId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<UserRow>(SelectUser, new { UserId = userId }))?.ToRecord());

    const string UpdatePasswordHash = "UPDATE users SET password_hash = @Hash WHERE user_id = @UserId";

    public Task SetPasswordHashAsync(string userId, string passwordHash) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdatePasswordHash, new { UserId = userId, Hash = passwordHash }, tx));

    const string UpdateDeactivated = "UPDATE users SET deactivated = @Value WHERE user_id = @UserId";

    public Task SetDeactivatedAsync(string userId, bool deactivated) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateDeactivated, new { UserId = userId, Value = deactivated }, tx));

    const string UpdateAdmin = "UPDATE users SET admin = @Value WHERE user_id = @UserId";

    public Task SetAdminAsync(string userId, bool isAdmin) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateAdmin, new { UserId = userId, Value = isAdmin }, tx));

    const string SelectUsers = $"SELECT {UserColumns} FROM users ORDER BY user_id LIMIT @Limit OFFSET @Offset";

    /// <summary>Ordered by user ID.</summary>
    public Task<IReadOnlyList<UserAccount>> ListUsersAsync(int offset, int limit) =>
        db.ReadAsync<IReadOnlyList<UserAccount>>(async c =>
            (await c.QueryAsync<UserRow>(SelectUsers, new { Offset = (long)offset, Limit = (long)limit })).Select(r => r.ToRecord()).ToList());

    sealed class ProfileRow
    {
        public string UserId { get; set; } = "";
        public string? DisplayName { get; set; }
        public string? AvatarUrl { get; set; }
    }

    const string SelectProfile = "SELECT user_id AS UserId, displayname AS DisplayName, avatar_url AS AvatarUrl FROM profiles WHERE user_id = @UserId";

    public Task<Profile?> GetProfileAsync(string userId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<ProfileRow>(SelectProfile, new { UserId = userId })) is { } r
            ? new Profile(r.UserId, r.DisplayName, r.AvatarUrl)
            : null);

    const string UpsertDisplayName = """
        INSERT INTO profiles (user_id, displayname) VALUES (@UserId, @Value)
        ON CONFLICT (user_id) DO UPDATE SET displayname = excluded.displayname
        """;

    public Task SetDisplayNameAsync(string userId, string? displayName) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(UpsertDisplayName, new { UserId = userId, Value = displayName }, tx);
            await UserDirectoryStore.WriteLocalEntryAsync(c, tx, userId);
        });

    const string UpsertAvatarUrl = """
        INSERT INTO profiles (user_id, avatar_url) VALUES (@UserId, @Value)
        ON CONFLICT (user_id) DO UPDATE SET avatar_url = excluded.avatar_url
        """;

    public Task SetAvatarUrlAsync(string userId, string? avatarUrl) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(UpsertAvatarUrl, new { UserId = userId, Value = avatarUrl }, tx);
            await UserDirectoryStore.WriteLocalEntryAsync(c, tx, userId);
        });
}
