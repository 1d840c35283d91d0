using HdrHistogram;
using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Tests.Measurement;

public class LatencyRecorderTests
{
    [Fact]
    public void Summarize_NoSamples_IsEmpty()
    {
        Assert.Equal(LatencySummary.Empty, new LatencyRecorder().Summarize());
    }

    [Fact]
    public void Summarize_OneToThousandMillis_GivesPercentilesInMillis()
    {
        var r = new LatencyRecorder();
        for (var ms = 1; ms <= 1000; ms++)
            r.Record(ms * 1000L);

        var s = r.Summarize();

        Assert.Equal(1000, s.Count);
        // HdrHistogram with 3 significant digits: within 0.1%.
        Assert.InRange(s.P50, 499.5, 500.5);
        Assert.InRange(s.P90, 899.1, 900.9);
        Assert.InRange(s.P99, 989.0, 991.0);
        Assert.InRange(s.Max, 999.0, 1001.0);
        Assert.InRange(s.Mean, 500.0, 501.0);
    }

    [Fact]
    public void Record_ValueOutsideRange_IsClampedNotThrown()
    {
        var r = new LatencyRecorder();
        r.Record(-5);
        r.Record(long.MaxValue);

        var s = r.Summarize();

        Assert.Equal(2, s.Count);
        Assert.True(s.Max >= LatencyRecorder.HighestTrackableMicros / 1000.0 * 0.999);
    }

    [Fact]
    public void Record_FromManyThreads_CountsEverySample()
    {
        var r = new LatencyRecorder();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
                r.Record(i + 1);
        });
        Assert.Equal(80_000, r.Count);
    }

    [Fact]
    public void From_Histogram_ConvertsMicrosToMillis()
    {
        var h = new LongHistogram(1_000_000, 3);
        h.RecordValue(2500);

        var s = LatencySummary.From(h);

        Assert.Equal(2.5, s.P50, 2);
        Assert.Equal(2.5, s.Max, 2);
    }
}
