using Myelin.LoadTest.Reporting;
using Myelin.LoadTest.Results;
using Myelin.LoadTest.Tests.Results;

namespace Myelin.LoadTest.Tests.Reporting;

public class HtmlReportTests
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void ThroughputChart_Result_IsAPng()
    {
        var png = HtmlReport.ThroughputChart(SampleResults.Chat());
        Assert.Equal(PngSignature, png.Take(8));
    }

    [Fact]
    public void LatencyChart_Result_IsAPng()
    {
        var png = HtmlReport.LatencyChart(SampleResults.Chat());
        Assert.Equal(PngSignature, png.Take(8));
    }

    [Fact]
    public void Render_Result_HasTablesAndTwoEmbeddedCharts()
    {
        var html = HtmlReport.Render(SampleResults.Chat(lost: 7));

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<h1>Load test: chat</h1>", html);
        Assert.Contains("<td>lost</td><td>7</td>", html);
        Assert.Contains("<td>delivery</td>", html);
        Assert.Equal(2, html.Split("src=\"data:image/png;base64,").Length - 1);
        Assert.EndsWith("</html>\n", html);
    }

    [Fact]
    public void Render_TextFromTheServer_IsEscaped()
    {
        var html = HtmlReport.Render(SampleResults.Chat() with { Failure = "<script>alert(1)</script>" });
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
    }

    [Fact]
    public void Render_EmptyTimeline_StillRenders()
    {
        var html = HtmlReport.Render(SampleResults.Chat() with { Timeline = [] });
        Assert.Contains("data:image/png;base64,", html);
    }
}
