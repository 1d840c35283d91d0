using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AccessTokenStore(Db db) : IAccessTokenStore
{
    sealed class OwnerRow
    {
        public string UserId { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public long TokenId { get; set; }
    }

    const string InsertToken = """
        INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts)
        VALUES (@Hash, @UserId, @DeviceId, @Now)
        RETURNING id
        """;

    public Task<long> AddAccessTokenAsync(string token, string userId, string deviceId, long now) =>
        db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(InsertToken,
            new { Hash = AccessTokenHash.Compute(token), UserId = userId, DeviceId = deviceId, Now = now }, tx));

    const string SelectOwner = "SELECT user_id AS UserId, device_id AS DeviceId, id AS TokenId FROM access_tokens WHERE token_hash = @Hash";

    public Task<TokenOwner?> GetOwnerAsync(string token) =>
        db.ReadAsync(async c => await c.QuerySingleOrDefaultAsync<OwnerRow>(SelectOwner, new { Hash = AccessTokenHash.Compute(token) }) is { } r
            ? new TokenOwner(r.UserId, r.DeviceId, r.TokenId)
            : null);

    const string DeleteToken = "DELETE FROM access_tokens WHERE token_hash = @Hash";

    public Task DeleteAccessTokenAsync(string token) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(DeleteToken, new { Hash = AccessTokenHash.Compute(token) }, tx));

    const string DeleteForUser = "DELETE FROM access_tokens WHERE user_id = @UserId RETURNING token_hash";
    const string DeleteForUserExcept = "DELETE FROM access_tokens WHERE user_id = @UserId AND id <> @Except RETURNING token_hash";

    public Task<IReadOnlyList<string>> DeleteAllForUserAsync(string userId, long? exceptTokenId = null) =>
        db.WriteAsync<IReadOnlyList<string>>(async (c, tx) =>
            (await c.QueryAsync<string>(exceptTokenId is null ? DeleteForUser : DeleteForUserExcept,
                new { UserId = userId, Except = exceptTokenId ?? 0 }, tx)).ToList());
}
