using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class AliasStore(Db db) : IAliasStore
{
    sealed class AliasRow
    {
        public string Alias { get; set; } = "";
        public string RoomId { get; set; } = "";
        public string Creator { get; set; } = "";
    }

    const string InsertAlias = """
        INSERT INTO room_aliases (room_alias, room_id, creator) VALUES (@Alias, @RoomId, @Creator)
        ON CONFLICT (room_alias) DO NOTHING
        """;

    public Task<bool> CreateAliasAsync(string alias, string roomId, string creator) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(InsertAlias, new { Alias = alias, RoomId = roomId, Creator = creator }, tx) == 1);

    const string SelectAlias = "SELECT room_alias AS Alias, room_id AS RoomId, creator AS Creator FROM room_aliases WHERE room_alias = @Alias";

    public Task<RoomAlias?> GetAliasAsync(string alias) =>
        db.ReadAsync(async c => await c.QuerySingleOrDefaultAsync<AliasRow>(SelectAlias, new { Alias = alias }) is { } r
            ? new RoomAlias(r.Alias, r.RoomId, r.Creator)
            : null);

    const string DeleteAlias = "DELETE FROM room_aliases WHERE room_alias = @Alias";

    public Task<bool> DeleteAliasAsync(string alias) =>
        db.WriteAsync(async (c, tx) => await c.ExecuteAsync(DeleteAlias, new { Alias = alias }, tx) > 0);

    const string SelectRoomAliases = "SELECT room_alias FROM room_aliases WHERE room_id = @RoomId ORDER BY room_alias";

    /// <summary>Ordered by alias.</summary>
    public Task<IReadOnlyList<string>> GetAliasesForRoomAsync(string roomId) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectRoomAliases, new { RoomId = roomId })).ToList());
}
