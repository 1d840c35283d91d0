using Myelin.LoadTest.Delivery;

namespace Myelin.LoadTest.Tests.Delivery;

public class EphemeralTrackerTests
{
    [Fact]
    public void Observed_FirstTimePerReceiver_ReturnsLatencyOnce()
    {
        var t = new EphemeralTracker();
        t.Started("typing:@a", "@a", audience: 2, startMicros: 100);

        Assert.Equal(50, t.Observed("@b", "typing:@a", 150));
        Assert.Null(t.Observed("@b", "typing:@a", 160));
        Assert.Equal(70, t.Observed("@c", "typing:@a", 170));
        Assert.Equal((2L, 2L), t.Totals);
    }

    [Fact]
    public void Observed_ByTheOwner_IsIgnored()
    {
        var t = new EphemeralTracker();
        t.Started("typing:@a", "@a", 1, 0);
        Assert.Null(t.Observed("@a", "typing:@a", 10));
    }

    [Fact]
    public void Started_Again_StartsANewGeneration()
    {
        var t = new EphemeralTracker();
        t.Started("typing:@a", "@a", 1, 0);
        t.Observed("@b", "typing:@a", 10);
        t.Started("typing:@a", "@a", 1, 100);

        Assert.Equal(5, t.Observed("@b", "typing:@a", 105));
        Assert.Equal((2L, 2L), t.Totals);
    }

    [Fact]
    public void Observed_UnknownKey_ReturnsNull()
    {
        Assert.Null(new EphemeralTracker().Observed("@b", "typing:@z", 1));
    }
}
