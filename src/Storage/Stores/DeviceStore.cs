using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class DeviceStore(Db db) : IDeviceStore
{
    sealed class DeviceRow
    {
        public string UserId { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public string? DisplayName { get; set; }
        public long? LastSeenTs { get; set; }
        public string? LastSeenIp { get; set; }
        public Device ToRecord() => new(UserId, DeviceId, DisplayName, LastSeenTs, LastSeenIp);
    }

    const string DeviceColumns = "user_id AS UserId, device_id AS DeviceId, display_name AS DisplayName, last_seen AS LastSeenTs, ip AS LastSeenIp";

    const string InsertDevice = """
        INSERT INTO devices (user_id, device_id, display_name, last_seen, ip)
        VALUES (@UserId, @DeviceId, @DisplayName, @Now, @Ip)
        ON CONFLICT (user_id, device_id) DO NOTHING
        """;

    public Task UpsertDeviceAsync(string userId, string deviceId, string? displayName, long now, string? ip) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(InsertDevice, new { UserId = userId, DeviceId = deviceId, DisplayName = displayName, Now = now, Ip = ip }, tx));

    const string SelectDevice = $"SELECT {DeviceColumns} FROM devices WHERE user_id = @UserId AND device_id = @DeviceId";

    public Task<Device?> GetDeviceAsync(string userId, string deviceId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<DeviceRow>(SelectDevice, new { UserId = userId, DeviceId = deviceId }))?.ToRecord());

    const string SelectDevices = $"SELECT {DeviceColumns} FROM devices WHERE user_id = @UserId ORDER BY device_id";

    /// <summary>Ordered by device ID.</summary>
    public Task<IReadOnlyList<Device>> GetDevicesAsync(string userId) =>
        db.ReadAsync<IReadOnlyList<Device>>(async c =>
            (await c.QueryAsync<DeviceRow>(SelectDevices, new { UserId = userId })).Select(r => r.ToRecord()).ToList());

    const string UpdateDisplayName = "UPDATE devices SET display_name = @DisplayName WHERE user_id = @UserId AND device_id = @DeviceId";

    /// <summary>false when the device does not exist.</summary>
    public Task<bool> UpdateDisplayNameAsync(string userId, string deviceId, string? displayName) =>
        db.WriteAsync(async (c, tx) =>
            await c.ExecuteAsync(UpdateDisplayName, new { UserId = userId, DeviceId = deviceId, DisplayName = displayName }, tx) > 0);

    const string DeleteDevice = "DELETE FROM devices WHERE user_id = @UserId AND device_id = @DeviceId";
    const string DeleteDeviceTokens = "DELETE FROM access_tokens WHERE user_id = @UserId AND device_id = @DeviceId";
    // Nothing can fetch a deleted device's to-device messages (Synapse deletes them with the device too).
    const string DeleteDeviceInbox = "DELETE FROM device_inbox WHERE user_id = @UserId AND device_id = @DeviceId";
    const string DeleteDeviceInboxTxns = "DELETE FROM device_inbox_txn WHERE user_id = @UserId AND device_id = @DeviceId";
    // Synapse removes a device's pushers with it (logging out removes the device).
    const string DeleteDevicePushers = "DELETE FROM pushers WHERE user_id = @UserId AND device_id = @DeviceId";

    public Task DeleteDevicesAsync(string userId, IReadOnlyCollection<string> deviceIds)
    {
        if (deviceIds.Count == 0) return Task.CompletedTask;
        var rows = deviceIds.Distinct().Select(d => new { UserId = userId, DeviceId = d }).ToList();
        // Dapper runs each statement once per row, inside the one transaction.
        return db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(DeleteDeviceTokens, rows, tx);
            await c.ExecuteAsync(DeleteDeviceInbox, rows, tx);
            await c.ExecuteAsync(DeleteDeviceInboxTxns, rows, tx);
            await c.ExecuteAsync(DeleteDevicePushers, rows, tx);
            await c.ExecuteAsync(DeleteDevice, rows, tx);
        });
    }

    const string UpdateLastSeen = "UPDATE devices SET last_seen = @Now, ip = COALESCE(@Ip, ip) WHERE user_id = @UserId AND device_id = @DeviceId";

    public Task UpdateLastSeenAsync(string userId, string deviceId, long now, string? ip) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpdateLastSeen, new { UserId = userId, DeviceId = deviceId, Now = now, Ip = ip }, tx));
}
