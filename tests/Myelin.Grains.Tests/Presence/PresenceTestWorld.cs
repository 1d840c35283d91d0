using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Presence;

/// <summary>
/// What presence runs on in one process, without a silo: a temp SQLite database, the in-memory bus, the
/// joined-rooms and presence caches, all on a fake clock. Rooms are made by writing membership events.
/// </summary>
public sealed class PresenceTestWorld : IAsyncDisposable
{
    readonly string _path = Path.Combine(Path.GetTempPath(), $"myelin-presence-{Guid.NewGuid():N}.db");

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public InMemoryReplicationBus Bus { get; } = new();
    public MyelinDatabase Db { get; private set; } = null!;
    public JoinedRoomsCache Rooms { get; private set; } = null!;
    public PresenceCache Cache { get; private set; } = null!;
    public List<StreamUpdate> Updates { get; } = [];

    public long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public static async Task<PresenceTestWorld> CreateAsync()
    {
        var w = new PresenceTestWorld();
        w.Db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(w._path));
        w.Rooms = new JoinedRoomsCache(w.Db, w.Bus);
        w.Bus.Subscribe(u => { lock (w.Updates) w.Updates.Add(u); });
        w.Cache = new PresenceCache(w.Bus, w.Db, w.Rooms, w.Time, NullLogger<PresenceCache>.Instance);
        return w;
    }

    public static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";
    public static string NewRoom() => $"!r{Guid.NewGuid():N}"[..18] + ":localhost";

    /// <summary>Writes an m.room.member event (as the room grain would) and reports it on the bus.</summary>
    public async Task SetMembershipAsync(string roomId, string userId, string membership = "join")
    {
        var eventId = "$" + Guid.NewGuid().ToString("N");
        var json = JsonSerializer.Serialize(new
        {
            event_id = eventId, room_id = roomId, type = "m.room.member", state_key = userId, sender = userId, depth = 1,
            origin_server_ts = Now, content = new { membership },
        });
        var position = await Db.StreamIds.NextAsync(StreamNames.Events);
        await Db.Events.PersistEventsAsync([(new NewEvent(eventId, roomId, "m.room.member", userId, userId, 1, Now, json, membership), position)]);
        Bus.Publish(new StreamUpdate(StreamNames.Events, position, [roomId], [userId]));
    }

    public async ValueTask DisposeAsync()
    {
        Rooms.Dispose();
        await Db.DisposeAsync();
        foreach (var f in new[] { _path, _path + "-wal", _path + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }
}
