using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;

namespace Myelin.Grains.Tests.Typing;

public sealed class TypingCacheTests
{
    readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
    readonly InMemoryReplicationBus _bus = new();
    readonly List<StreamUpdate> _published = [];

    TypingCache NewCache()
    {
        _bus.Subscribe(_published.Add);
        return new TypingCache(_bus, _time);
    }

    long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    static string Row(string roomId, params string[] users) => new TypingStreamRow(roomId, [.. users]).ToJson();

    [Fact]
    public void OnRow_FirstChange_PositionFromTheClock_PublishedForTheRoom()
    {
        using var cache = NewCache();
        var start = NowMs;
        cache.OnRow("master", 1, Row("!a:x", "@u:x"));
        var view = cache.Get("!a:x")!.Value;
        Assert.Equal<string>(["@u:x"], view.UserIds);
        Assert.Equal(start + 1, view.Position);
        var update = Assert.Single(_published);
        Assert.Equal((StreamNames.Typing, view.Position), (update.Stream, update.Position));
        Assert.Equal<string>(["!a:x"], update.RoomIds);
        Assert.Equal(view.Position, _bus.Position(StreamNames.Typing));
    }

    [Fact]
    public void OnRow_ChangesInTheSameMillisecond_PositionsStillGrow()
    {
        using var cache = NewCache();
        cache.OnRow("master", 1, Row("!a:x", "@u:x"));
        cache.OnRow("master", 2, Row("!b:x", "@v:x"));
        cache.OnRow("master", 3, Row("!a:x"));
        Assert.Equal([.. _published.Select(u => u.Position)], _published.Select(u => u.Position).Order());
        Assert.Equal(3, _published.Select(u => u.Position).Distinct().Count());
        Assert.True(cache.Get("!a:x")!.Value.Position > cache.Get("!b:x")!.Value.Position);
    }

    [Fact]
    public void OnRow_AfterTheClockMoved_PositionIsTheClock()
    {
        using var cache = NewCache();
        cache.OnRow("master", 1, Row("!a:x", "@u:x"));
        _time.Advance(TimeSpan.FromSeconds(5));
        cache.OnRow("master", 2, Row("!a:x"));
        Assert.Equal(NowMs, cache.Get("!a:x")!.Value.Position);
        Assert.Equal(NowMs, cache.Position);
    }

    [Fact]
    public void OnRow_SameListAgain_IsNoChange()
    {
        using var cache = NewCache();
        cache.OnRow("master", 1, Row("!a:x", "@u:x", "@v:x"));
        var position = cache.Get("!a:x")!.Value.Position;
        cache.OnRow("master", 2, Row("!a:x", "@v:x", "@u:x"));
        Assert.Equal(position, cache.Get("!a:x")!.Value.Position);
        Assert.Single(_published);
    }

    [Fact]
    public void OnRow_Malformed_Throws()
    {
        using var cache = NewCache();
        Assert.Throws<FormatException>(() => cache.OnRow("master", 1, """{"room_id":"!a:x"}"""));
        Assert.Throws<FormatException>(() => cache.OnRow("master", 1, """{"room_id":"!a:x","user_ids":[1]}"""));
        Assert.Null(cache.Get("!a:x"));
    }

    [Fact]
    public void Sweep_WriterQuiet_ClearsTheRoomAsAChange()
    {
        using var cache = NewCache();
        cache.OnRow("master", 1, Row("!a:x", "@u:x"));
        cache.OnRow("master", 1, Row("!b:x", "@v:x"));
        // !b:x hears keep-alives, !a:x does not.
        for (var t = TimeSpan.Zero; t < TypingCache.StaleAfter; t += TypingGrain.KeepAlive)
        {
            _time.Advance(TypingGrain.KeepAlive);
            cache.OnRow("master", 2, Row("!b:x", "@v:x"));
        }
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Sweep();
        Assert.Empty(cache.Get("!a:x")!.Value.UserIds);
        Assert.Equal<string>(["@v:x"], cache.Get("!b:x")!.Value.UserIds);
        Assert.Equal<string>(["!a:x"], _published[^1].RoomIds);
    }

    [Fact]
    public void Sweep_EmptyRoomIdleLong_IsForgotten()
    {
        using var cache = NewCache();
        cache.OnRow("master", 1, Row("!a:x"));
        _time.Advance(TypingCache.ForgetAfter - TimeSpan.FromSeconds(1));
        cache.Sweep();
        Assert.NotNull(cache.Get("!a:x"));
        _time.Advance(TimeSpan.FromSeconds(1));
        cache.Sweep();
        Assert.Null(cache.Get("!a:x"));
    }

    [Fact]
    public void Row_RoundTrips()
    {
        var row = TypingStreamRow.Parse(new TypingStreamRow("!a:x", ["@u:x", "@v:x"]).ToJson());
        Assert.Equal("!a:x", row.RoomId);
        Assert.Equal<string>(["@u:x", "@v:x"], row.UserIds);
    }
}

public sealed class TypingRoomTests
{
    [Fact]
    public void Start_NewUser_IsAChange_AgainIsNot_AndMovesTheDeadline()
    {
        var room = new TypingRoom();
        Assert.True(room.Start("@u:x", 1000, 500));
        Assert.False(room.Start("@u:x", 1200, 500));
        Assert.Equal(1700, room.NextDeadline);
        Assert.False(room.Expire(1699));
        Assert.True(room.Expire(1700));
        Assert.Equal(0, room.Count);
        Assert.Null(room.NextDeadline);
    }

    [Fact]
    public void Stop_OnlyAChangeWhenTyping()
    {
        var room = new TypingRoom();
        Assert.False(room.Stop("@u:x"));
        room.Start("@u:x", 0, 10);
        Assert.True(room.Stop("@u:x"));
        Assert.False(room.IsTyping("@u:x"));
    }

    [Fact]
    public void Users_AreOrdered()
    {
        var room = new TypingRoom();
        room.Start("@b:x", 0, 10);
        room.Start("@a:x", 0, 10);
        Assert.Equal<string>(["@a:x", "@b:x"], room.Users);
    }
}
