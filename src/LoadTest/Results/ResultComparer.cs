using System.Globalization;
using System.Text;

namespace Myelin.LoadTest.Results;

/// <summary>One row of a side-by-side comparison; Ratio is candidate / baseline (null when the baseline is 0).</summary>
public sealed record ComparisonRow(string Metric, double Baseline, double Candidate, double? Ratio);

/// <summary>Puts two runs side by side with ratios, for `--compare a.json b.json`.</summary>
public static class ResultComparer
{
    public static IReadOnlyList<ComparisonRow> Compare(RunResult a, RunResult b)
    {
        var rows = new List<ComparisonRow>
        {
            Row("throughput_per_s", a.ThroughputPerS, b.ThroughputPerS),
            Row("sent", a.Sent, b.Sent),
            Row("failed", a.Failed, b.Failed),
            Row("lost", a.Lost, b.Lost),
            Row("duplicated", a.Duplicated, b.Duplicated),
            Row("reordered", a.Reordered, b.Reordered),
            Row("errors", a.Errors.Sum(e => e.Count), b.Errors.Sum(e => e.Count)),
        };
        var metrics = a.LatencyMs.Keys.Concat(b.LatencyMs.Keys).Distinct(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            a.LatencyMs.TryGetValue(metric, out var la);
            b.LatencyMs.TryGetValue(metric, out var lb);
            if ((la?.Count ?? 0) == 0 && (lb?.Count ?? 0) == 0)
                continue;
            rows.Add(Row($"{metric} p50 ms", la?.P50 ?? 0, lb?.P50 ?? 0));
            rows.Add(Row($"{metric} p90 ms", la?.P90 ?? 0, lb?.P90 ?? 0));
            rows.Add(Row($"{metric} p99 ms", la?.P99 ?? 0, lb?.P99 ?? 0));
            rows.Add(Row($"{metric} max ms", la?.Max ?? 0, lb?.Max ?? 0));
        }
        return rows;
    }

    public static ComparisonRow Row(string metric, double baseline, double candidate) =>
        new(metric, baseline, candidate, baseline == 0 ? null : candidate / baseline);

    public static string Format(RunResult a, RunResult b, string nameA, string nameB)
    {
        var rows = Compare(a, b);
        var sb = new StringBuilder();
        if (a.Scenario != b.Scenario)
            sb.AppendLine(CultureInfo.InvariantCulture, $"note: comparing different scenarios ({a.Scenario} vs {b.Scenario})");
        var table = new TextTable("metric", nameA, nameB, "b/a");
        foreach (var r in rows)
            table.Add(r.Metric, Num(r.Baseline), Num(r.Candidate), r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-");
        sb.Append(table.Render());
        return sb.ToString();
    }

    internal static string Num(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e12 ? v.ToString("0", CultureInfo.InvariantCulture) : v.ToString("0.##", CultureInfo.InvariantCulture);
}
