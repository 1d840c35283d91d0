using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.Results;

namespace Myelin.LoadTest.Tests.Results;

public class ResultComparerTests
{
    [Fact]
    public void Compare_TwoRuns_GivesCandidateOverBaselineRatios()
    {
        var rows = ResultComparer.Compare(SampleResults.Chat(throughput: 100, sendP99: 20), SampleResults.Chat(throughput: 150, sendP99: 10));

        var throughput = rows.Single(r => r.Metric == "throughput_per_s");
        Assert.Equal((100.0, 150.0, 1.5), (throughput.Baseline, throughput.Candidate, throughput.Ratio!.Value));
        Assert.Equal(0.5, rows.Single(r => r.Metric == "send p99 ms").Ratio);
    }

    [Fact]
    public void Compare_ZeroBaseline_HasNoRatio()
    {
        var rows = ResultComparer.Compare(SampleResults.Chat(lost: 0), SampleResults.Chat(lost: 3));
        var lost = rows.Single(r => r.Metric == "lost");
        Assert.Equal(3, lost.Candidate);
        Assert.Null(lost.Ratio);
    }

    [Fact]
    public void Compare_MetricOnlyInOneRun_ComparesAgainstZero()
    {
        var b = SampleResults.Chat() with
        {
            LatencyMs = new Dictionary<string, LatencySummary>(SampleResults.Chat().LatencyMs) { ["login"] = new(5, 1, 2, 3, 4, 2) },
        };
        var rows = ResultComparer.Compare(SampleResults.Chat(), b);
        Assert.Equal(3, rows.Single(r => r.Metric == "login p99 ms").Candidate);
    }

    [Fact]
    public void Compare_MetricEmptyInBothRuns_IsLeftOut()
    {
        var a = SampleResults.Chat() with
        {
            LatencyMs = new Dictionary<string, LatencySummary> { ["send"] = LatencySummary.Empty },
        };
        Assert.DoesNotContain(ResultComparer.Compare(a, a), r => r.Metric.StartsWith("send", StringComparison.Ordinal));
    }

    [Fact]
    public void Format_TwoRuns_PrintsNamesAndRatios()
    {
        var text = ResultComparer.Format(SampleResults.Chat(throughput: 100), SampleResults.Chat(throughput: 150), "a.json", "b.json");
        Assert.Contains("a.json", text);
        Assert.Contains("b.json", text);
        Assert.Contains("1.50x", text);
    }

    [Fact]
    public void Format_DifferentScenarios_SaysSo()
    {
        var text = ResultComparer.Format(SampleResults.Chat(), SampleResults.Chat() with { Scenario = "burst" }, "a", "b");
        Assert.Contains("different scenarios", text);
    }
}
