using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class FilterStore(Db db) : IFilterStore
{
    // Per-user IDs from 0, as Synapse numbers them. Two concurrent adds for one user on PostgreSQL
    // can pick the same ID; the loser sees a unique violation and tries again.
    const string InsertFilter = """
        INSERT INTO user_filters (user_id, filter_id, filter_json)
        SELECT @UserId, COALESCE(MAX(filter_id) + 1, 0), @Json FROM user_filters WHERE user_id = @UserId
        RETURNING filter_id
        """;

    public async Task<long> AddFilterAsync(string userId, string filterJson)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(InsertFilter, new { UserId = userId, Json = filterJson }, tx));
            }
            catch (Exception e) when (Db.IsUniqueViolation(e) && attempt < 10)
            {
            }
        }
    }

    const string SelectFilter = "SELECT filter_json FROM user_filters WHERE user_id = @UserId AND filter_id = @FilterId";

    public Task<string?> GetFilterAsync(string userId, long filterId) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<string?>(SelectFilter, new { UserId = userId, FilterId = filterId }));
}
