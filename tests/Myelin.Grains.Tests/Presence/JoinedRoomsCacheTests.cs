using System.Text.Json;
using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Presence;

public sealed class JoinedRoomsCacheTests
{
    [Fact]
    public async Task GetAsync_ChangeRecordedButBusSubscribersNotYetRun_ReadsTheRoomsAgain()
    {
        var path = Path.Combine(Path.GetTempPath(), $"myelin-joined-{Guid.NewGuid():N}.db");
        await using var db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(path));
        var bus = new InMemoryReplicationBus();
        var changes = new MembershipChanges();
        using var cache = new JoinedRoomsCache(db, bus, changes);
        var user = PresenceTestWorld.NewUser();
        var first = PresenceTestWorld.NewRoom();
        var second = PresenceTestWorld.NewRoom();

        var p1 = await JoinAsync(db, first, user);
        bus.Seed(StreamNames.Events, p1);
        Assert.Equal([first], await cache.GetAsync(user));

        // The events stream records the change, then moves the position; the bus's subscribers (which
        // drop the entry) have not run yet when a reader asks.
        var p2 = await JoinAsync(db, second, user);
        changes.Record([user], p2);
        bus.Seed(StreamNames.Events, p2);

        Assert.False(cache.TryGetCached(user, out _));
        Assert.Equal(new HashSet<string> { first, second }, (await cache.GetAsync(user)).ToHashSet());
        Assert.True(cache.TryGetCached(user, out _));
    }

    static async Task<long> JoinAsync(MyelinDatabase db, string roomId, string userId)
    {
        var eventId = "$" + Guid.NewGuid().ToString("N");
        var json = JsonSerializer.Serialize(new
        {
            event_id = eventId, room_id = roomId, type = "m.room.member", state_key = userId, sender = userId, depth = 1,
            origin_server_ts = 1, content = new { membership = "join" },
        });
        var position = await db.StreamIds.NextAsync(StreamNames.Events);
        await db.Events.PersistEventsAsync([(new NewEvent(eventId, roomId, "m.room.member", userId, userId, 1, 1, json, "join"), position)]);
        return position;
    }
}
