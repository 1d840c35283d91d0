using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class RoomStore(Db db) : IRoomStore
{
    sealed class RoomRow
    {
        public string RoomId { get; set; } = "";
        public string RoomVersion { get; set; } = "";
        public string Creator { get; set; } = "";
        public bool IsPublic { get; set; }
        public long CreatedTs { get; set; }
        public RoomRecord ToRecord() => new(RoomId, RoomVersion, Creator, IsPublic, CreatedTs);
    }

    const string RoomColumns = "room_id AS RoomId, room_version AS RoomVersion, creator AS Creator, is_public AS IsPublic, created_ts AS CreatedTs";

    const string InsertRoom = """
        INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts)
        VALUES (@RoomId, @RoomVersion, @Creator, @IsPublic, @CreatedTs)
        ON CONFLICT (room_id) DO NOTHING
        """;

    /// <summary>Does nothing when the room exists.</summary>
    public Task CreateRoomAsync(RoomRecord room) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(InsertRoom, room, tx));

    const string SelectRoom = $"SELECT {RoomColumns} FROM rooms WHERE room_id = @RoomId";

    public Task<RoomRecord?> GetRoomAsync(string roomId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<RoomRow>(SelectRoom, new { RoomId = roomId }))?.ToRecord());

    const string UpdatePublic = "UPDATE rooms SET is_public = @IsPublic WHERE room_id = @RoomId";

    public Task SetPublicAsync(string roomId, bool isPublic) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdatePublic, new { RoomId = roomId, IsPublic = isPublic }, tx));

    const string SelectPublicRoomIds = """
        SELECT r.room_id
        FROM rooms r
        LEFT JOIN local_current_membership m ON m.room_id = r.room_id AND m.membership = 'join'
        WHERE r.is_public
        GROUP BY r.room_id
        ORDER BY COUNT(m.user_id) DESC, r.room_id
        """;

    public Task<IReadOnlyList<string>> GetPublicRoomIdsAsync() =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(SelectPublicRoomIds)).ToList());

    const string SelectRooms = $"SELECT {RoomColumns} FROM rooms ORDER BY room_id LIMIT @Limit OFFSET @Offset";

    /// <summary>Ordered by room ID.</summary>
    public Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(int offset, int limit) =>
        db.ReadAsync<IReadOnlyList<RoomRecord>>(async c =>
            (await c.QueryAsync<RoomRow>(SelectRooms, new { Offset = (long)offset, Limit = (long)limit })).Select(r => r.ToRecord()).ToList());
}
