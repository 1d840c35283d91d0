using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using StackExchange.Redis;

namespace Myelin.Silo.Tests.Replication;

/// <summary>The typing stream between two processes over real Redis: the row one process's writer
/// publishes is all the other process's cache needs.</summary>
public sealed class TypingReplicationTests
{
    [ServersFact]
    public async Task TypingRow_OnOneProcess_ReachesTheOtherProcessesCache_AsAnRdataLine()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = $"typing-{Guid.NewGuid():N}.test";
        await using var raw = await ConnectionMultiplexer.ConnectAsync(TestServers.RequireRedis());
        var lines = new ConcurrentQueue<string>();
        (await raw.GetSubscriber().SubscribeAsync(RedisChannel.Literal(server))).OnMessage(m => lines.Enqueue(m.Message.ToString()));
        await using var a = await Node.StartAsync(database.Options, server, "gateway1");
        await using var b = await Node.StartAsync(database.Options, server, "gateway2");
        using var cacheA = new TypingCache(a.Bus, TimeProvider.System);
        using var cacheB = new TypingCache(b.Bus, TimeProvider.System);
        using var fanoutA = new StreamFanout(a.Db, a.Bus, a.Bus, [cacheA], NullLogger<StreamFanout>.Instance);
        using var fanoutB = new StreamFanout(b.Db, b.Bus, b.Bus, [cacheB], NullLogger<StreamFanout>.Instance);
        await fanoutA.StartAsync();
        await fanoutB.StartAsync();
        var woken = new ConcurrentQueue<StreamUpdate>();
        using var sub = b.Bus.Subscribe(woken.Enqueue);

        var room = $"!{Guid.NewGuid():N}:test";
        var row = new TypingStreamRow(room, ["@alice:test"]).ToJson();
        await fanoutA.PublishAsync(StreamNames.Typing, 1234, row);

        Assert.Equal<string>(["@alice:test"], cacheA.Get(room)!.Value.UserIds);
        await Events.Until(() => cacheB.Get(room) is not null, "gateway2's cache hearing the row");
        var seen = cacheB.Get(room)!.Value;
        Assert.Equal<string>(["@alice:test"], seen.UserIds);
        // gateway2 numbers the change itself, wakes the room's long-polls and moves its bus there.
        Assert.Contains(woken, u => u.Stream == StreamNames.Typing && u.RoomIds.Contains(room) && u.Position == seen.Position);
        Assert.Equal(seen.Position, b.Bus.Position(StreamNames.Typing));
        Assert.Contains($"RDATA typing gateway1 1234 {row}", lines);

        await fanoutA.PublishAsync(StreamNames.Typing, 1235, new TypingStreamRow(room, []).ToJson());
        await Events.Until(() => cacheB.Get(room)!.Value.UserIds.IsEmpty, "gateway2 hearing the stop");
    }
}
