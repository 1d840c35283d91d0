using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Presence;

public sealed class PresenceCacheTests : IAsyncLifetime
{
    PresenceTestWorld _w = null!;

    public async Task InitializeAsync() => _w = await PresenceTestWorld.CreateAsync();
    public async Task DisposeAsync() => await _w.DisposeAsync();

    UserPresence Online(string user) => new(user, PresenceStates.Online, null, _w.Now, _w.Now, _w.Now, true);

    [Fact]
    public void New_StartsAtTheCurrentTime_OnTheBus()
    {
        Assert.Equal(_w.Now, _w.Cache.Position);
        Assert.Equal(_w.Now, _w.Bus.Position(StreamNames.Presence));
    }

    [Fact]
    public void Apply_PositionsIncrease_EvenWithTheClockStill()
    {
        var start = _w.Cache.Position;

        var a = _w.Cache.Apply(Online(PresenceTestWorld.NewUser()), 1);
        var b = _w.Cache.Apply(Online(PresenceTestWorld.NewUser()), 1);
        _w.Time.Advance(TimeSpan.FromSeconds(10));
        var c = _w.Cache.Apply(Online(PresenceTestWorld.NewUser()), 1);

        Assert.Equal(start + 1, a);
        Assert.Equal(start + 2, b);
        Assert.Equal(_w.Now, c);
        Assert.Equal(c, _w.Bus.Position(StreamNames.Presence));
    }

    [Fact]
    public void Apply_OlderOrRepeatedToken_Ignored()
    {
        var user = PresenceTestWorld.NewUser();
        _w.Cache.Apply(Online(user), 5);

        Assert.Null(_w.Cache.Apply(UserPresence.Offline(user), 5));
        Assert.Null(_w.Cache.Apply(UserPresence.Offline(user), 4));
        Assert.Equal(PresenceStates.Online, _w.Cache.Get(user)!.State);
    }

    [Fact]
    public void OnRow_SynapseRowShape_IsApplied()
    {
        var user = PresenceTestWorld.NewUser();
        var row = PresenceStreamRow.ToJson(Online(user) with { StatusMsg = "lunch" });

        _w.Cache.OnRow("presence1", 7, row);

        var p = _w.Cache.Get(user)!;
        Assert.Equal(PresenceStates.Online, p.State);
        Assert.Equal("lunch", p.StatusMsg);
        Assert.True(p.CurrentlyActive);
    }

    [Fact]
    public void OnRow_NotAPresenceRow_Throws()
    {
        Assert.ThrowsAny<FormatException>(() => _w.Cache.OnRow("x", 1, """{"user_id":"@a:b","state":"away"}"""));
        Assert.ThrowsAny<FormatException>(() => _w.Cache.OnRow("x", 1, """{"state":"online"}"""));
        Assert.ThrowsAny<FormatException>(() => _w.Cache.OnRow("x", 1, """{"user_id":5,"state":"online"}"""));
        Assert.ThrowsAny<FormatException>(() => _w.Cache.OnRow("x", 1, """{"user_id":"@a:b","state":"online","last_active_ts":"x"}"""));
    }

    [Fact]
    public void GetChanged_ReturnsLatestStateOfUsersChangedInTheRange()
    {
        var (a, b, c) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser());
        var pa = _w.Cache.Apply(Online(a), 1)!.Value;
        var pb = _w.Cache.Apply(Online(b), 1)!.Value;
        var pa2 = _w.Cache.Apply(Online(a) with { StatusMsg = "again" }, 2)!.Value;
        var pc = _w.Cache.Apply(Online(c), 1)!.Value;

        Assert.Equal(new[] { a, b, c }.Order(), _w.Cache.GetChanged(pa - 1, pc).Select(p => p.UserId).Order());
        // a changed again after the bound: left for the next read, which sees the newest state.
        Assert.Equal([b], _w.Cache.GetChanged(pa - 1, pb).Select(p => p.UserId).ToArray());
        var later = _w.Cache.GetChanged(pb, pc);
        Assert.Equal(new[] { a, c }.Order(), later.Select(p => p.UserId).Order());
        Assert.Equal("again", later.Single(p => p.UserId == a).StatusMsg);
        Assert.Empty(_w.Cache.GetChanged(pc, pc));
        Assert.True(pa2 < pc);
    }

    [Fact]
    public async Task Apply_WakesTheUserAndTheirRooms()
    {
        var (user, room) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewRoom());
        await _w.SetMembershipAsync(room, user);
        await _w.Rooms.GetAsync(user); // cached: the rooms go out with the change at once
        lock (_w.Updates) _w.Updates.Clear();

        var position = _w.Cache.Apply(Online(user), 1)!.Value;

        var update = Assert.Single(_w.Updates, u => u.Stream == StreamNames.Presence);
        Assert.Equal(position, update.Position);
        Assert.Equal([user], update.UserIds.ToArray());
        Assert.Equal([room], update.RoomIds.ToArray());
    }

    [Fact]
    public async Task Apply_RoomsNotCached_WakesTheUserAtOnce_AndTheRoomsWhenKnown()
    {
        var (user, room) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewRoom());
        await _w.SetMembershipAsync(room, user);
        lock (_w.Updates) _w.Updates.Clear();

        var position = _w.Cache.Apply(Online(user), 1)!.Value;

        Assert.Equal(position, _w.Bus.Position(StreamNames.Presence));
        Assert.Contains(_w.Updates.ToList(), u => u.UserIds.Contains(user) && u.Position == position);
        for (var i = 0; i < 100 && !Woken(); i++) await Task.Delay(50);
        Assert.True(Woken());

        bool Woken()
        {
            lock (_w.Updates) return _w.Updates.Any(u => u.Stream == StreamNames.Presence && u.RoomIds.Contains(room) && u.Position == position);
        }
    }

    [Fact]
    public async Task CatchUp_AppliesStoredRowsMissedOnTheWire()
    {
        var (cameOnline, wentOffline, unchanged) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser());
        _w.Cache.Apply(Online(wentOffline), 1);
        _w.Cache.Apply(Online(unchanged), 1);
        await _w.Db.Presence.UpsertAsync(PresenceStreamRow.ToStored(Online(cameOnline), 4));
        await _w.Db.Presence.UpsertAsync(PresenceStreamRow.ToStored(UserPresence.Offline(wentOffline), 2));
        await _w.Db.Presence.UpsertAsync(PresenceStreamRow.ToStored(Online(unchanged) with { StatusMsg = "not announced" }, 1));
        var before = _w.Cache.Position;

        await _w.Cache.CatchUpAsync();

        Assert.Equal(PresenceStates.Online, _w.Cache.Get(cameOnline)!.State);
        Assert.Equal(PresenceStates.Offline, _w.Cache.Get(wentOffline)!.State);
        Assert.Null(_w.Cache.Get(unchanged)!.StatusMsg);
        Assert.Equal(new[] { cameOnline, wentOffline }.Order(), _w.Cache.GetChanged(before, _w.Cache.Position).Select(p => p.UserId).Order());
    }

    [Fact]
    public void Seed_KnownWithoutBeingAChange()
    {
        var user = PresenceTestWorld.NewUser();
        var start = _w.Cache.Position;

        _w.Cache.Seed([PresenceStreamRow.ToStored(Online(user), 3)]);

        Assert.Equal(PresenceStates.Online, _w.Cache.Get(user)!.State);
        Assert.Empty(_w.Cache.GetChanged(start, start + 1000));
        // A token from before this process started gets what it knows.
        Assert.Contains(_w.Cache.GetChanged(start - 1, start), p => p.UserId == user);
        // The stream's rows are newer than the table's.
        Assert.Null(_w.Cache.Apply(UserPresence.Offline(user), 2));
    }
}
