using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class PresenceStore(Db db) : IPresenceStore
{
    sealed class Row
    {
        public string UserId { get; set; } = "";
        public string State { get; set; } = "";
        public string? StatusMsg { get; set; }
        public long LastActiveTs { get; set; }
        public long LastFederationUpdateTs { get; set; }
        public long LastUserSyncTs { get; set; }
        public bool CurrentlyActive { get; set; }
        public long StreamId { get; set; }
        public StoredPresence ToRecord() =>
            new(UserId, State, StatusMsg, LastActiveTs, LastFederationUpdateTs, LastUserSyncTs, CurrentlyActive, StreamId);
    }

    // A row from an older token never replaces a newer one (a writer moving between processes).
    const string Upsert = """
        INSERT INTO presence (user_id, state, status_msg, last_active_ts, last_federation_update_ts, last_user_sync_ts,
                              currently_active, stream_id)
        VALUES (@UserId, @State, @StatusMsg, @LastActiveTs, @LastFederationUpdateTs, @LastUserSyncTs, @CurrentlyActive, @StreamId)
        ON CONFLICT (user_id) DO UPDATE SET
            state = excluded.state, status_msg = excluded.status_msg, last_active_ts = excluded.last_active_ts,
            last_federation_update_ts = excluded.last_federation_update_ts, last_user_sync_ts = excluded.last_user_sync_ts,
            currently_active = excluded.currently_active, stream_id = excluded.stream_id
        WHERE presence.stream_id <= excluded.stream_id
        """;

    public Task UpsertAsync(StoredPresence p) => db.WriteAsync((c, tx) => c.ExecuteAsync(Upsert, p, tx));

    const string Columns = """
        user_id AS UserId, state AS State, status_msg AS StatusMsg, last_active_ts AS LastActiveTs,
        last_federation_update_ts AS LastFederationUpdateTs, last_user_sync_ts AS LastUserSyncTs,
        currently_active AS CurrentlyActive, stream_id AS StreamId
        """;
    const string SelectOne = $"SELECT {Columns} FROM presence WHERE user_id = @UserId";

    public Task<StoredPresence?> GetAsync(string userId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<Row>(SelectOne, new { UserId = userId }))?.ToRecord());

    const string SelectNotOffline = $"SELECT {Columns} FROM presence WHERE state <> 'offline'";

    public Task<IReadOnlyList<StoredPresence>> GetNotOfflineAsync() =>
        db.ReadAsync<IReadOnlyList<StoredPresence>>(async c =>
            (await c.QueryAsync<Row>(SelectNotOffline)).Select(r => r.ToRecord()).ToList());
}
