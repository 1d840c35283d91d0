using System.Globalization;
using System.Net;
using System.Text;
using Myelin.LoadTest.Results;
using ScottPlot;

namespace Myelin.LoadTest.Reporting;

/// <summary>
/// A self-contained HTML page for one run: the summary table, errors, and PNG charts (ScottPlot) of
/// throughput and latency over time, embedded as data URIs so the file can be mailed or archived alone.
/// </summary>
public static class HtmlReport
{
    private const int Width = 900;
    private const int Height = 380;

    public static string Render(RunResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append(inv, $"<title>Myelin load test: {H(r.Scenario)}</title>");
        sb.Append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:960px}table{border-collapse:collapse}" +
                  "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}" +
                  ".failed{color:#b00;font-weight:bold}</style></head><body>\n");
        sb.Append(inv, $"<h1>Load test: {H(r.Scenario)}</h1>\n");
        sb.Append(inv, $"<p>Server <code>{H(r.ServerUrl)}</code>, started {r.StartedAt:u}, {r.DurationS:0.0} s, {r.Users} users, {r.Rooms} rooms");
        if (r.TargetRate is { } rate)
            sb.Append(inv, $", target rate {rate:0.##}/s");
        sb.Append(".</p>\n");
        if (r.Failure is not null)
            sb.Append(inv, $"<p class=\"failed\">Failed: {H(r.Failure)}</p>\n");

        sb.Append("<table><tr><th>result</th><th>value</th></tr>\n");
        Row(sb, "sent (acknowledged)", r.Sent.ToString(inv));
        Row(sb, "failed", r.Failed.ToString(inv));
        Row(sb, "throughput per s", r.ThroughputPerS.ToString("0.0", inv));
        if (r.DeliveryChecked)
        {
            Row(sb, "delivered / expected", $"{r.Delivered} / {r.ExpectedDeliveries}");
            Row(sb, "lost", r.Lost.ToString(inv));
            Row(sb, "duplicated", r.Duplicated.ToString(inv));
            Row(sb, "reordered", r.Reordered.ToString(inv));
        }
        sb.Append("</table>\n<h2>Latency (ms)</h2>\n<table><tr><th>metric</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th></tr>\n");
        foreach (var (name, s) in r.LatencyMs)
            sb.Append(inv, $"<tr><td>{H(name)}</td><td>{s.Count}</td><td>{s.P50:0.###}</td><td>{s.P90:0.###}</td><td>{s.P99:0.###}</td><td>{s.Max:0.###}</td><td>{s.Mean:0.###}</td></tr>\n");
        sb.Append("</table>\n");

        if (r.Errors.Count > 0)
        {
            sb.Append("<h2>Errors</h2>\n<table><tr><th>status errcode</th><th>count</th></tr>\n");
            foreach (var e in r.Errors)
                Row(sb, $"{(e.Status == 0 ? "no response" : e.Status.ToString(inv))} {e.Errcode}", e.Count.ToString(inv));
            sb.Append("</table>\n");
        }

        sb.Append("<h2>Over time</h2>\n");
        try
        {
            sb.Append(Img(ThroughputChart(r), "throughput over time"));
            sb.Append(Img(LatencyChart(r), "latency over time"));
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            // The native drawing library may be missing on a bare server; the numbers above still stand.
            sb.Append(inv, $"<p>Charts unavailable: {H(e.Message)}</p>\n");
        }

        if (r.Notes.Count > 0)
        {
            sb.Append("<h2>Notes</h2><ul>\n");
            foreach (var n in r.Notes)
                sb.Append(inv, $"<li>{H(n)}</li>\n");
            sb.Append("</ul>\n");
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Operations acknowledged, deliveries observed and errors, per second.</summary>
    public static byte[] ThroughputChart(RunResult r)
    {
        var plot = new Plot();
        var xs = r.Timeline.Select(p => (double)p.Second).ToArray();
        if (xs.Length > 0)
        {
            Line(plot, xs, r.Timeline.Select(p => (double)p.Sent).ToArray(), "acknowledged/s");
            if (r.DeliveryChecked)
                Line(plot, xs, r.Timeline.Select(p => (double)p.Delivered).ToArray(), "delivered/s");
            if (r.Timeline.Any(p => p.Errors > 0))
                Line(plot, xs, r.Timeline.Select(p => (double)p.Errors).ToArray(), "errors/s");
            plot.ShowLegend(Edge.Right);
        }
        plot.Title($"{r.Scenario}: throughput");
        plot.XLabel("seconds");
        plot.YLabel("per second");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>p50 and p99 of each measured metric, per second.</summary>
    public static byte[] LatencyChart(RunResult r)
    {
        var plot = new Plot();
        var metrics = r.Timeline.SelectMany(p => p.Latency.Keys).Distinct(StringComparer.Ordinal).OrderBy(m => m, StringComparer.Ordinal).ToList();
        foreach (var metric in metrics)
        {
            var points = r.Timeline.Where(p => p.Latency.ContainsKey(metric)).ToList();
            var xs = points.Select(p => (double)p.Second).ToArray();
            Line(plot, xs, points.Select(p => p.Latency[metric].P50).ToArray(), $"{metric} p50");
            Line(plot, xs, points.Select(p => p.Latency[metric].P99).ToArray(), $"{metric} p99");
        }
        if (metrics.Count > 0)
            plot.ShowLegend(Edge.Right);
        plot.Title($"{r.Scenario}: latency");
        plot.XLabel("seconds");
        plot.YLabel("milliseconds");
        return plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    private static void Line(Plot plot, double[] xs, double[] ys, string label)
    {
        var s = plot.Add.Scatter(xs, ys);
        s.LegendText = label;
        s.MarkerSize = xs.Length > 60 ? 0 : 4;
    }

    private static string Img(byte[] png, string alt) =>
        $"<p><img alt=\"{H(alt)}\" width=\"{Width}\" height=\"{Height}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"></p>\n";

    private static void Row(StringBuilder sb, string name, string value) =>
        sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(name)}</td><td>{H(value)}</td></tr>\n");

    private static string H(string s) => WebUtility.HtmlEncode(s);
}
