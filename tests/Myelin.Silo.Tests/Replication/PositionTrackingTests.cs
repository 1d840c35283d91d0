using Microsoft.Extensions.Time.Testing;
using Myelin.Grains.Streams;

namespace Myelin.Silo.Tests.Replication;

public sealed class WriterPositionTrackerTests
{
    [Fact]
    public void PersistedUpto_Idle_IsTheHighestSeen()
    {
        var t = new WriterPositionTracker(10);
        t.Observe(25);
        Assert.True(t.IsIdle);
        Assert.Equal(25, t.PersistedUpto);
    }

    [Fact]
    public void PersistedUpto_BeforeTheDatabaseAnswers_StaysAtTheFloor()
    {
        var t = new WriterPositionTracker(10);
        var h = t.Begin();
        t.Observe(20); // another writer committed while our allocation is on its way
        Assert.Equal(10, t.PersistedUpto);
        t.Allocated(h, 21, 23);
        Assert.Equal(20, t.PersistedUpto);
        t.Complete(h);
        Assert.Equal(23, t.PersistedUpto);
    }

    [Fact]
    public void PersistedUpto_HigherCommitsFirst_WaitsForTheLowerOne()
    {
        var t = new WriterPositionTracker(0);
        var low = t.Begin();
        t.Allocated(low, 1, 2);
        var high = t.Begin();
        t.Allocated(high, 3, 5);
        t.Complete(high);
        Assert.Equal(0, t.PersistedUpto);
        t.Complete(low);
        Assert.Equal(5, t.PersistedUpto);
    }

    [Fact]
    public void PersistedUpto_FailedWrite_NoLongerHoldsBack()
    {
        var t = new WriterPositionTracker(0);
        var h = t.Begin();
        t.Allocated(h, 1, 1);
        t.Complete(h);
        Assert.Equal(1, t.PersistedUpto);
    }
}

public sealed class StreamWriterPositionsTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public void Safe_IsTheMinimumOverWriters()
    {
        var p = new StreamWriterPositions(new FakeTimeProvider(), Timeout);
        p.Update("a", 10);
        p.Update("b", 7);
        Assert.Equal(7, p.Safe());
        Assert.Equal(5, p.Safe("me", 5));
        Assert.Null(new StreamWriterPositions(new FakeTimeProvider(), Timeout).Safe());
    }

    [Fact]
    public void Update_OlderPosition_DoesNotMoveBack()
    {
        var p = new StreamWriterPositions(new FakeTimeProvider(), Timeout);
        p.Update("a", 10);
        Assert.Equal(10, p.Update("a", 8));
        Assert.Equal(10, p.PositionOf("a"));
    }

    [Fact]
    public void Safe_SilentWriterWhileTheWireWorks_IsDroppedAfterTheTimeout()
    {
        var time = new FakeTimeProvider();
        var p = new StreamWriterPositions(time, Timeout);
        p.Update("dead", 3);
        p.Update("alive", 10);
        for (var i = 0; i < 5; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            p.WireHeard();
            p.Update("alive", 10 + i);
        }
        Assert.False(p.IsLive("dead"));
        Assert.Equal(14, p.Safe());
    }

    [Fact]
    public void Safe_WireSilent_DropsNobody()
    {
        var time = new FakeTimeProvider();
        var p = new StreamWriterPositions(time, Timeout);
        p.WireHeard();
        p.Update("a", 3);
        p.Update("b", 10);
        time.Advance(TimeSpan.FromMinutes(1)); // Redis down, or this process paused
        Assert.Equal(3, p.Safe());
        p.WireHeard(); // the first line after the silence proves nothing about the others yet
        p.Update("b", 12);
        Assert.Equal(3, p.Safe());
    }
}
