using System.Globalization;
using System.Text;

namespace Myelin.LoadTest.Results;

/// <summary>The table printed at the end of a run.</summary>
public static class SummaryTable
{
    public static string Format(RunResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"scenario {r.Scenario} against {r.ServerUrl}: {r.Users} users, {r.Rooms} rooms, {r.DurationS:0.0} s");
        if (r.Failure is not null)
            sb.AppendLine(inv, $"FAILED: {r.Failure}");
        sb.AppendLine(inv, $"sent {r.Sent} acknowledged, {r.Failed} failed, throughput {r.ThroughputPerS:0.0}/s");
        if (r.DeliveryChecked)
            sb.AppendLine(inv, $"delivery: {r.Delivered}/{r.ExpectedDeliveries} delivered, lost {r.Lost} ({r.LostMessages} messages), duplicated {r.Duplicated}, reordered {r.Reordered}");
        sb.AppendLine();

        var table = new TextTable("latency (ms)", "count", "p50", "p90", "p99", "max");
        foreach (var (name, s) in r.LatencyMs)
        {
            if (s.Count == 0)
                table.Add(name, "0", "-", "-", "-", "-");
            else
                table.Add(name, s.Count.ToString(inv), Ms(s.P50), Ms(s.P90), Ms(s.P99), Ms(s.Max));
        }
        sb.Append(table.Render());

        if (r.Errors.Count > 0)
        {
            sb.AppendLine();
            var errors = new TextTable("errors", "count");
            foreach (var e in r.Errors)
                errors.Add($"{(e.Status == 0 ? "no response" : e.Status.ToString(inv))} {e.Errcode}".Trim(), e.Count.ToString(inv));
            sb.Append(errors.Render());
        }
        foreach (var note in r.Notes)
            sb.AppendLine(inv, $"note: {note}");
        return sb.ToString();
    }

    private static string Ms(double v) => v.ToString(v < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);
}
