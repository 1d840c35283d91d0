using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Typing;

[Collection(ClusterCollection.Name)]
public sealed class TypingGrainTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    /// <summary>A public room created by a fresh user, and a second fresh user joined to it.</summary>
    async Task<(string RoomId, string Alice, string Bob)> RoomWithTwoAsync()
    {
        var alice = NewUser();
        var bob = NewUser();
        var roomId = MatrixIds.NewRoomId("localhost");
        var room = fx.Grains.Room(roomId);
        var powerLevels = new JsonObject { ["users"] = new JsonObject { [alice] = 100 } }.ToJsonString();
        await room.Create(new CreateRoomCommand(alice, "10", "{}", """{"membership":"join"}""", powerLevels,
            [new EventDraft("m.room.join_rules", "", alice, """{"join_rule":"public"}""")], false));
        await room.Send(new EventDraft("m.room.member", bob, bob, """{"membership":"join"}"""), null);
        return (roomId, alice, bob);
    }

    /// <summary>Moves the silo's clock on; the grain's answer to a call made afterwards shows the timer's work.</summary>
    async Task<TypingSnapshot> AdvanceAsync(ITypingGrain grain, TimeSpan by)
    {
        fx.Time.Advance(by);
        // A timer tick is queued on the activation when the clock passes it; a call made after it runs after it.
        return await grain.Get();
    }

    ImmutableArray<string> Cached(string roomId) => fx.Typing.Get(roomId)?.UserIds ?? [];

    [Fact]
    public async Task Start_JoinedUser_IsTypingInGrainAndCache()
    {
        var (roomId, alice, _) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromSeconds(30));
        Assert.Equal<string>([alice], (await grain.Get()).UserIds);
        Assert.Equal<string>([alice], Cached(roomId));
    }

    [Fact]
    public async Task Start_UserNotInRoom_Forbidden()
    {
        var (roomId, _, _) = await RoomWithTwoAsync();
        var e = await Assert.ThrowsAsync<MatrixException>(() => fx.Grains.Typing(roomId).Start(NewUser(), TimeSpan.FromSeconds(30)));
        Assert.Equal(403, e.Status);
        Assert.Equal("M_FORBIDDEN", e.ErrCode);
        Assert.Empty(Cached(roomId));
    }

    [Fact]
    public async Task Stop_UserNotInRoom_Forbidden()
    {
        var e = await Assert.ThrowsAsync<MatrixException>(() => fx.Grains.Typing(MatrixIds.NewRoomId("localhost")).Stop(NewUser()));
        Assert.Equal(403, e.Status);
    }

    [Fact]
    public async Task Start_TimeoutPasses_UserStopsTyping()
    {
        var (roomId, alice, bob) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromSeconds(10));
        await grain.Start(bob, TimeSpan.FromSeconds(20));
        Assert.Equal(2, (await AdvanceAsync(grain, TimeSpan.FromSeconds(9))).UserIds.Length);
        Assert.Equal<string>([bob], (await AdvanceAsync(grain, TimeSpan.FromSeconds(2))).UserIds);
        Assert.Equal<string>([bob], Cached(roomId));
        Assert.Empty((await AdvanceAsync(grain, TimeSpan.FromSeconds(10))).UserIds);
        Assert.Empty(Cached(roomId));
    }

    [Fact]
    public async Task Start_Again_ExtendsTheTimeout_WithoutANewChange()
    {
        var (roomId, alice, _) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromSeconds(10));
        var position = fx.Typing.Get(roomId)!.Value.Position;
        await AdvanceAsync(grain, TimeSpan.FromSeconds(8));
        await grain.Start(alice, TimeSpan.FromSeconds(10));
        Assert.Equal(position, fx.Typing.Get(roomId)!.Value.Position);
        // 16 s after the first start, 8 s after the second: still typing.
        Assert.Equal<string>([alice], (await AdvanceAsync(grain, TimeSpan.FromSeconds(8))).UserIds);
        Assert.Empty((await AdvanceAsync(grain, TimeSpan.FromSeconds(3))).UserIds);
        Assert.Empty(Cached(roomId));
    }

    [Fact]
    public async Task Stop_ClearsTheUser_AsANewChange()
    {
        var (roomId, alice, _) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromSeconds(30));
        var started = fx.Typing.Get(roomId)!.Value.Position;
        await grain.Stop(alice);
        var stopped = fx.Typing.Get(roomId)!.Value;
        Assert.Empty(stopped.UserIds);
        Assert.True(stopped.Position > started);
        Assert.Empty((await grain.Get()).UserIds);
    }

    [Fact]
    public async Task LeavingTheRoom_StopsTyping()
    {
        var (roomId, alice, bob) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(bob, TimeSpan.FromSeconds(30));
        await grain.Start(alice, TimeSpan.FromSeconds(30));
        await fx.Grains.Room(roomId).Send(new EventDraft("m.room.member", bob, bob, """{"membership":"leave"}"""), null);
        // The room grain tells the typing grain without waiting for it.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await grain.Get()).UserIds.Contains(bob) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal<string>([alice], (await grain.Get()).UserIds);
        Assert.Equal<string>([alice], Cached(roomId));
    }

    [Fact]
    public async Task LongTyping_KeptAliveInTheCache_PastTheStaleLimit()
    {
        var (roomId, alice, _) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromMinutes(2));
        var position = fx.Typing.Get(roomId)!.Value.Position;
        // Past the cache's stale limit: the grain's keep-alives keep the room, and are not new changes.
        for (var elapsed = TimeSpan.Zero; elapsed < TypingCache.StaleAfter + TimeSpan.FromSeconds(10); elapsed += TimeSpan.FromSeconds(5))
            await AdvanceAsync(grain, TimeSpan.FromSeconds(5));
        Assert.Equal<string>([alice], Cached(roomId));
        Assert.Equal(position, fx.Typing.Get(roomId)!.Value.Position);
    }

    [Fact]
    public async Task CacheOfAnotherProcess_AfterTheWireCameBack_TakesTheWritersList()
    {
        var (roomId, alice, _) = await RoomWithTwoAsync();
        var grain = fx.Grains.Typing(roomId);
        await grain.Start(alice, TimeSpan.FromSeconds(30));
        using var other = new TypingCache(new InMemoryReplicationBus(), fx.Time, () => fx.Grains);
        // The other process heard the start, then lost the wire while alice stopped.
        other.OnRow("elsewhere", (await grain.Get()).Token, new TypingStreamRow(roomId, [alice]).ToJson());
        await grain.Stop(alice);
        Assert.Equal<string>([alice], other.Get(roomId)!.Value.UserIds);
        other.OnWireReconnected();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!other.Get(roomId)!.Value.UserIds.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Empty(other.Get(roomId)!.Value.UserIds);
    }
}
