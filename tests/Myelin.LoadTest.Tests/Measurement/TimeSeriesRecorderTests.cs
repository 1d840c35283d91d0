using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Tests.Measurement;

public class TimeSeriesRecorderTests
{
    [Fact]
    public void Snapshot_CountsInDifferentSeconds_LandInTheirBucketsWithGapsAsZero()
    {
        var t = new TimeSeriesRecorder();
        t.Count(TimeSeriesRecorder.Sent, 100_000);
        t.Count(TimeSeriesRecorder.Sent, 900_000);
        t.Count(TimeSeriesRecorder.Delivered, 2_500_000, 3);
        t.Count(TimeSeriesRecorder.Errors, 2_000_000);

        var points = t.Snapshot();

        Assert.Equal([0, 1, 2], points.Select(p => p.Second));
        Assert.Equal([2L, 0, 0], points.Select(p => p.Sent));
        Assert.Equal([0L, 0, 3], points.Select(p => p.Delivered));
        Assert.Equal([0L, 0, 1], points.Select(p => p.Errors));
    }

    [Fact]
    public void Snapshot_Latencies_ArePerSecondPercentiles()
    {
        var t = new TimeSeriesRecorder();
        t.Latency("send", 10, 1_000);
        t.Latency("send", 20, 3_000);
        t.Latency("send", 1_500_000, 50_000);

        var points = t.Snapshot();

        Assert.Equal(2, points[0].Latency["send"].Count);
        Assert.InRange(points[0].Latency["send"].Max, 2.9, 3.1);
        Assert.InRange(points[1].Latency["send"].P50, 49, 51);
    }

    [Fact]
    public void Count_BeforeThePhaseStarted_IsIgnored()
    {
        var t = new TimeSeriesRecorder();
        t.Count(TimeSeriesRecorder.Sent, -1);
        Assert.Empty(t.Snapshot());
    }
}
