using Myelin.Grains.Presence;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Presence;

[Collection(PresenceClusterCollection.Name)]
public sealed class PresenceGrainTests(PresenceClusterFixture fx)
{
    PresenceTestWorld W => fx.World;

    /// <summary>Timer callbacks run on the silo's scheduler after the fake clock moved: wait for their effect.</summary>
    static async Task<UserPresence> EventuallyAsync(Func<UserPresence?> read, Func<UserPresence, bool> done)
    {
        for (var i = 0; i < 200; i++)
        {
            if (read() is { } p && done(p)) return p;
            await Task.Delay(25);
        }
        throw new TimeoutException($"presence never reached the expected state; last: {read()}");
    }

    [Fact]
    public async Task Syncing_FromOffline_StoresAndPublishesOnline()
    {
        var user = PresenceTestWorld.NewUser();

        await fx.Grains.Presence(user).Syncing("DEV", PresenceStates.Online, TimeSpan.FromSeconds(30));

        var p = W.Cache.Get(user)!;
        Assert.Equal(PresenceStates.Online, p.State);
        Assert.True(p.CurrentlyActive);
        var stored = await W.Db.Presence.GetAsync(user);
        Assert.Equal(PresenceStates.Online, stored!.State);
        Assert.Equal(W.Now, stored.LastActiveTs);
    }

    [Fact]
    public async Task NoSyncForThirtySeconds_TimerTakesTheUserOffline()
    {
        var user = PresenceTestWorld.NewUser();
        await fx.Grains.Presence(user).Syncing("DEV", PresenceStates.Online, TimeSpan.Zero);

        W.Time.Advance(TimeSpan.FromSeconds(31));

        await EventuallyAsync(() => W.Cache.Get(user), p => p.State == PresenceStates.Offline);
        Assert.Equal(PresenceStates.Offline, (await W.Db.Presence.GetAsync(user))!.State);
        Assert.Equal(PresenceStates.Offline, (await fx.Grains.Presence(user).Get()).State);
    }

    [Fact]
    public async Task StillSyncing_CurrentlyActiveLapsesAfterAMinute_ThenIdleAfterFiveBecomesUnavailable()
    {
        var user = PresenceTestWorld.NewUser();
        await fx.Grains.Presence(user).Syncing("DEV", PresenceStates.Online, TimeSpan.FromMinutes(10));

        W.Time.Advance(TimeSpan.FromSeconds(61));
        var lapsed = await EventuallyAsync(() => W.Cache.Get(user), p => !p.CurrentlyActive);
        Assert.Equal(PresenceStates.Online, lapsed.State);

        W.Time.Advance(TimeSpan.FromMinutes(4));
        var idle = await EventuallyAsync(() => W.Cache.Get(user), p => p.State == PresenceStates.Unavailable);
        Assert.Equal(W.Now - (4 * 60 + 61) * 1000, idle.LastActiveTs);
    }

    [Fact]
    public async Task SetState_StatusMessage_ReadBackAndPublished()
    {
        var user = PresenceTestWorld.NewUser();
        var grain = fx.Grains.Presence(user);

        await grain.SetState("DEV", PresenceStates.Unavailable, "lunch");

        var status = await grain.Get();
        Assert.Equal(PresenceStates.Unavailable, status.State);
        Assert.Equal("lunch", status.StatusMsg);
        Assert.Equal("lunch", W.Cache.Get(user)!.StatusMsg);
    }

    [Fact]
    public async Task SetState_NotAPresenceState_InvalidParam()
    {
        var e = await Assert.ThrowsAsync<MatrixException>(() => fx.Grains.Presence(PresenceTestWorld.NewUser()).SetState("DEV", "away", null));
        Assert.Equal("M_INVALID_PARAM", e.ErrCode);
    }

    [Fact]
    public async Task Activation_ResumesTheStoredState_AndTimesOutWhenNoClientReturns()
    {
        var user = PresenceTestWorld.NewUser();
        await W.Db.Presence.UpsertAsync(new Storage.StoredPresence(user, PresenceStates.Online, "back soon", W.Now - 1000, W.Now - 1000,
            W.Now - 1000, true, 42));

        var status = await fx.Grains.Presence(user).Get();
        Assert.Equal(PresenceStates.Online, status.State);
        Assert.Equal("back soon", status.StatusMsg);

        W.Time.Advance(TimeSpan.FromSeconds(31));
        var gone = await EventuallyAsync(() => W.Cache.Get(user), p => p.State == PresenceStates.Offline);
        Assert.Equal("back soon", gone.StatusMsg);
        Assert.True((await W.Db.Presence.GetAsync(user))!.StreamId > 42);
    }
}
