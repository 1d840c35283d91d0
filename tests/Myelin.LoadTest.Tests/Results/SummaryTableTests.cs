using Myelin.LoadTest.Results;

namespace Myelin.LoadTest.Tests.Results;

public class SummaryTableTests
{
    [Fact]
    public void Format_Result_ListsEveryMetricAndDeliveryCounts()
    {
        var text = SummaryTable.Format(SampleResults.Chat(lost: 2));

        Assert.Contains("lost 2", text);
        Assert.Contains("duplicated 0", text);
        Assert.Contains("throughput 100.0/s", text);
        foreach (var metric in new[] { "send", "delivery", "sync" })
            Assert.Contains("\n" + metric, text);
        Assert.Contains("429 M_LIMIT_EXCEEDED", text);
    }

    [Fact]
    public void Format_FailedRun_SaysWhy()
    {
        var text = SummaryTable.Format(SampleResults.Chat() with { Failure = "setup failed: boom" });
        Assert.Contains("FAILED: setup failed: boom", text);
    }

    [Fact]
    public void TextTable_Render_AlignsColumns()
    {
        var t = new TextTable("name", "n");
        t.Add("a", "1");
        t.Add("longer", "100");

        var lines = t.Render().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["name      n", "------  ---", "a         1", "longer  100"], lines);
    }
}
