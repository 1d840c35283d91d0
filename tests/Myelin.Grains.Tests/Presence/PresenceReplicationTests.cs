using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Presence;

/// <summary>
/// The presence stream between two processes: a row the writer publishes through its
/// <see cref="StreamFanout"/> travels as an RDATA line and lands in the other process's cache, which
/// moves its own bus and wakes the user's room mates there.
/// </summary>
public sealed class PresenceReplicationTests : IAsyncLifetime
{
    /// <summary>Redis pub/sub in memory: every line goes to every process, as text.</summary>
    sealed class Wire(string instance, List<Action<ReplicationCommand>> everyone) : IReplicationWire
    {
        public string InstanceName => instance;

        public Task SendAsync(IReadOnlyList<ReplicationCommand> commands)
        {
            foreach (var c in commands)
                foreach (var h in everyone.ToList())
                    h(ReplicationCommand.Parse(c.ToLine())!);
            return Task.CompletedTask;
        }

        public IDisposable Receive(Action<ReplicationCommand> handler)
        {
            everyone.Add(handler);
            return new Gone(() => everyone.Remove(handler));
        }

        public IDisposable OnReconnected(Action handler) => new Gone(() => { });

        sealed class Gone(Action a) : IDisposable { public void Dispose() => a(); }
    }

    PresenceTestWorld _w = null!;
    readonly List<Action<ReplicationCommand>> _lines = [];
    readonly InMemoryReplicationBus _otherBus = new();
    JoinedRoomsCache _otherRooms = null!;
    PresenceCache _otherCache = null!;
    StreamFanout _writer = null!, _reader = null!;

    public async Task InitializeAsync()
    {
        _w = await PresenceTestWorld.CreateAsync();
        _otherRooms = new JoinedRoomsCache(_w.Db, _otherBus);
        _otherCache = new PresenceCache(_otherBus, _w.Db, _otherRooms, _w.Time, NullLogger<PresenceCache>.Instance);
        _writer = new StreamFanout(_w.Db, _w.Bus, new Wire("presence1", _lines), [_w.Cache], NullLogger<StreamFanout>.Instance);
        _reader = new StreamFanout(_w.Db, _otherBus, new Wire("gateway2", _lines), [_otherCache], NullLogger<StreamFanout>.Instance);
        await _writer.StartAsync();
        await _reader.StartAsync();
    }

    public async Task DisposeAsync()
    {
        _writer.Dispose();
        _reader.Dispose();
        _otherRooms.Dispose();
        await _w.DisposeAsync();
    }

    [Fact]
    public async Task PublishedRow_ReachesTheOtherProcess_AndWakesRoomMatesThere()
    {
        var (user, room) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewRoom());
        await _w.SetMembershipAsync(room, user);
        await _otherRooms.GetAsync(user);
        var woken = new List<StreamUpdate>();
        using var _ = _otherBus.Subscribe(u => { lock (woken) woken.Add(u); });
        var presence = new UserPresence(user, PresenceStates.Unavailable, "on the train", _w.Now - 5000, _w.Now, _w.Now, false);

        await _writer.PublishAsync(StreamNames.Presence, 9, PresenceStreamRow.ToJson(presence));

        Assert.Equal(presence, _otherCache.Get(user));
        Assert.Equal(presence, _w.Cache.Get(user));
        var update = Assert.Single(woken, u => u.Stream == StreamNames.Presence);
        Assert.Contains(room, update.RoomIds);
        Assert.Contains(user, update.UserIds);
        Assert.Equal(update.Position, _otherBus.Position(StreamNames.Presence));
    }

    [Fact]
    public async Task RowsOutOfOrder_TheNewerTokenStays()
    {
        var user = PresenceTestWorld.NewUser();
        var online = new UserPresence(user, PresenceStates.Online, null, _w.Now, _w.Now, _w.Now, true);

        await _writer.PublishAsync(StreamNames.Presence, 20, PresenceStreamRow.ToJson(online));
        await _writer.PublishAsync(StreamNames.Presence, 19, PresenceStreamRow.ToJson(UserPresence.Offline(user)));

        Assert.Equal(PresenceStates.Online, _otherCache.Get(user)!.State);
    }
}
