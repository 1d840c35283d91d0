namespace Myelin.Matrix.Tests;

public class PresenceTests
{
    const string User = "@alice:example.org";
    const long T0 = 1_700_000_000_000;
    const long Min = 60_000;

    static PresenceTracker Fresh() => new(UserPresence.Offline(User), T0);

    [Fact]
    public void Syncing_FromOffline_GoesOnlineCurrentlyActive_AndAnnounces()
    {
        var t = Fresh();

        Assert.True(t.Syncing("D1", PresenceStates.Online, T0, T0 + 30_000));

        Assert.Equal(PresenceStates.Online, t.Current.State);
        Assert.True(t.Current.CurrentlyActive);
        Assert.Equal(T0, t.Current.LastActiveTs);
        Assert.Equal(T0, t.Current.LastUserSyncTs);
        Assert.Equal(T0, t.Current.LastFederationUpdateTs);
    }

    [Fact]
    public void Syncing_AgainSoon_ChangesNothingWorthAnnouncing()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, T0);

        Assert.False(t.Syncing("D1", PresenceStates.Online, T0 + 10_000, T0 + 40_000));
        Assert.Equal(T0 + 10_000, t.Current.LastUserSyncTs);
    }

    [Fact]
    public void HandleTimeouts_NoSyncForThirtySeconds_GoesOffline()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, T0);

        Assert.Equal(T0 + 30_001, t.NextTimeout());
        Assert.False(t.HandleTimeouts(T0 + 30_000));
        Assert.Equal(PresenceStates.Online, t.Current.State);
        Assert.True(t.HandleTimeouts(T0 + 30_001));
        Assert.Equal(PresenceStates.Offline, t.Current.State);
        Assert.Null(t.NextTimeout());
    }

    [Fact]
    public void HandleTimeouts_LongPollInProgress_StaysOnlineUntilThirtySecondsAfterItEnds()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, syncingUntil: T0 + 2 * Min);
        t.HandleTimeouts(T0 + Min);

        Assert.False(t.HandleTimeouts(T0 + 2 * Min + 30_000));
        Assert.Equal(PresenceStates.Online, t.Current.State);
        Assert.True(t.HandleTimeouts(T0 + 2 * Min + 30_001));
        Assert.Equal(PresenceStates.Offline, t.Current.State);
    }

    [Fact]
    public void HandleTimeouts_CurrentlyActiveLapsesAfterAMinute_AndIsAnnounced()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, syncingUntil: T0 + 10 * Min);

        Assert.Equal(T0 + Min, t.NextTimeout());
        Assert.True(t.HandleTimeouts(T0 + Min));
        Assert.Equal(PresenceStates.Online, t.Current.State);
        Assert.False(t.Current.CurrentlyActive);
        // Once lapsed, later checks have nothing new to say.
        Assert.False(t.HandleTimeouts(T0 + 2 * Min));
    }

    [Fact]
    public void HandleTimeouts_IdleFiveMinutesWhileSyncing_BecomesUnavailable()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, syncingUntil: T0 + 10 * Min);
        t.HandleTimeouts(T0 + Min);

        Assert.Equal(T0 + 5 * Min + 1, t.NextTimeout());
        Assert.False(t.HandleTimeouts(T0 + 5 * Min));
        Assert.True(t.HandleTimeouts(T0 + 5 * Min + 1));
        Assert.Equal(PresenceStates.Unavailable, t.Current.State);
        Assert.Equal(T0, t.Current.LastActiveTs);
    }

    [Fact]
    public void Restored_IdleLongAgo_BecomesUnavailableAtTheFirstCheck()
    {
        var stored = new UserPresence(User, PresenceStates.Online, null, T0 - 10 * Min, T0 - 10 * Min, T0 - 10 * Min, false);
        var t = new PresenceTracker(stored, T0);

        Assert.True(t.HandleTimeouts(T0 + 1));
        Assert.Equal(PresenceStates.Unavailable, t.Current.State);
    }

    [Fact]
    public void BumpActive_WhenUnavailable_BringsOnlineAgain()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, syncingUntil: T0 + 10 * Min);
        t.HandleTimeouts(T0 + 5 * Min + 1);

        Assert.True(t.BumpActive("D1", T0 + 6 * Min));
        Assert.Equal(PresenceStates.Online, t.Current.State);
        Assert.True(t.Current.CurrentlyActive);
        Assert.Equal(T0 + 6 * Min, t.Current.LastActiveTs);
    }

    [Fact]
    public void BumpActive_WhenOffline_StaysOffline()
    {
        var t = Fresh();

        t.BumpActive("D1", T0);

        Assert.Equal(PresenceStates.Offline, t.Current.State);
        Assert.Equal(T0, t.Current.LastActiveTs);
    }

    [Fact]
    public void Syncing_Unavailable_SetsUnavailable_WithoutBumpingLastActive()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Online, T0, T0);

        Assert.True(t.Syncing("D1", PresenceStates.Unavailable, T0 + Min * 2, T0 + Min * 2));
        Assert.Equal(PresenceStates.Unavailable, t.Current.State);
        Assert.Equal(T0, t.Current.LastActiveTs);
    }

    [Fact]
    public void Devices_MostPresentWins()
    {
        var t = Fresh();
        t.Syncing("D1", PresenceStates.Unavailable, T0, T0 + 10 * Min);

        t.Syncing("D2", PresenceStates.Online, T0 + 1, T0 + 1);
        Assert.Equal(PresenceStates.Online, t.Current.State);

        // D2 stops syncing: it goes offline, D1 (still syncing) is unavailable.
        Assert.True(t.HandleTimeouts(T0 + 1 + 30_001));
        Assert.Equal(PresenceStates.Unavailable, t.Current.State);
    }

    [Fact]
    public void SetState_StatusMessage_SetThenClearedByAPutWithout()
    {
        var t = Fresh();

        Assert.True(t.SetState("D1", PresenceStates.Online, "in a meeting", T0));
        Assert.Equal("in a meeting", t.Current.StatusMsg);
        // A sync leaves it alone.
        Assert.False(t.Syncing("D1", PresenceStates.Online, T0 + 1000, T0 + 1000));
        Assert.Equal("in a meeting", t.Current.StatusMsg);
        Assert.True(t.SetState("D1", PresenceStates.Online, null, T0 + 2000));
        Assert.Null(t.Current.StatusMsg);
    }

    [Fact]
    public void SetState_Offline_GoesOfflineAtOnce()
    {
        var t = Fresh();
        t.SetState("D1", PresenceStates.Online, null, T0);

        Assert.True(t.SetState("D1", PresenceStates.Offline, null, T0 + 1000));

        Assert.Equal(PresenceStates.Offline, t.Current.State);
    }

    [Fact]
    public void Restored_Present_GetsThirtySecondsToComeBack()
    {
        var stored = new UserPresence(User, PresenceStates.Online, "hi", T0 - 1000, T0 - 1000, T0 - 10 * Min, true);
        var t = new PresenceTracker(stored, T0);

        Assert.Equal(T0 + 30_001, t.NextTimeout());
        Assert.False(t.HandleTimeouts(T0 + 30_000));
        Assert.Equal(PresenceStates.Online, t.Current.State);
        // No client came back: offline; the status message stays (Synapse).
        Assert.True(t.HandleTimeouts(T0 + 30_001));
        Assert.Equal(PresenceStates.Offline, t.Current.State);
        Assert.Equal("hi", t.Current.StatusMsg);
    }

    [Fact]
    public void ShouldNotify_LastActiveBumpWhileCurrentlyActive_IsNotAnnounced()
    {
        var old = new UserPresence(User, PresenceStates.Online, null, T0, 0, T0, true);

        Assert.False(PresenceTracker.ShouldNotify(old, old with { LastActiveTs = T0 + 2 * Min }));
        Assert.True(PresenceTracker.ShouldNotify(old, old with { LastActiveTs = T0 + 2 * Min, CurrentlyActive = false }));
        Assert.True(PresenceTracker.ShouldNotify(old with { State = PresenceStates.Unavailable },
            old with { State = PresenceStates.Unavailable, LastActiveTs = T0 + 2 * Min }));
    }

    [Fact]
    public void ToContent_Online_HasEveryField()
    {
        var p = new UserPresence(User, PresenceStates.Online, "busy", T0 - 5000, 0, 0, true);

        var c = p.ToContent(T0);

        Assert.Equal("online", (string?)c["presence"]);
        Assert.Equal(5000, (long?)c["last_active_ago"]);
        Assert.Equal("busy", (string?)c["status_msg"]);
        Assert.True((bool?)c["currently_active"]);
    }

    [Fact]
    public void ToContent_NeverActiveOffline_OnlyPresence()
    {
        var c = UserPresence.Offline(User).ToContent(T0);

        Assert.Equal(["presence"], c.Select(p => p.Key));
        Assert.Equal("offline", (string?)c["presence"]);
    }

    [Fact]
    public void ToEvent_IsAnMPresenceEventFromTheUser()
    {
        var e = UserPresence.Offline(User).ToEvent(T0);

        Assert.Equal("m.presence", (string?)e["type"]);
        Assert.Equal(User, (string?)e["sender"]);
        Assert.NotNull(e["content"]);
    }
}
