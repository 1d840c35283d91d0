using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Tests.Measurement;

public class ErrorTallyTests
{
    [Fact]
    public void Snapshot_GroupsByStatusAndErrcode_MostFrequentFirst()
    {
        var t = new ErrorTally();
        t.Record(429, "M_LIMIT_EXCEEDED");
        t.Record(500, null);
        t.Record(429, "M_LIMIT_EXCEEDED");
        t.Record(0, "CONNECTION_FAILED");

        Assert.Equal(4, t.Total);
        Assert.Equal(
            [new ErrorCount(429, "M_LIMIT_EXCEEDED", 2), new ErrorCount(0, "CONNECTION_FAILED", 1), new ErrorCount(500, null, 1)],
            t.Snapshot());
    }

    [Fact]
    public void Record_InvokesObserver()
    {
        var seen = 0;
        var t = new ErrorTally { Recorded = () => seen++ };
        t.Record(500, "M_UNKNOWN");
        Assert.Equal(1, seen);
    }
}
