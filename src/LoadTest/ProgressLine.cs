using System.Globalization;
using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest;

/// <summary>
/// The live status line: elapsed, acknowledged operations and their rate over the last second, deliveries,
/// failures and errors. Rewritten in place on a terminal; one line every five seconds when redirected.
/// </summary>
public sealed class ProgressLine(TextWriter output, bool inPlace)
{
    private long _lastSent;
    private long _lastMicros;
    private int _ticks;
    private int _lastWidth;

    public static string Format(string scenario, double elapsedS, double durationS, long sent, double ratePerS, long delivered, long failed, long errors, string? status) =>
        string.Create(CultureInfo.InvariantCulture,
            $"[{scenario} {elapsedS,5:0}s/{durationS:0}s] acked {sent} ({ratePerS:0.0}/s) delivered {delivered} failed {failed} errors {errors}{(status is null ? "" : " | " + status)}");

    public void Tick(string scenario, RunMetrics metrics, TimeSpan duration, string? status)
    {
        var now = metrics.NowMicros;
        var elapsed = metrics.PhaseElapsed(now);
        if (elapsed < 0)
        {
            if (status is not null && inPlace)
                Write($"[{scenario}] setting up: {status}");
            return;
        }
        var sent = metrics.Sent;
        var rate = _lastMicros == 0 ? 0 : (sent - _lastSent) / Math.Max(1e-3, (now - _lastMicros) / 1e6);
        _lastSent = sent;
        _lastMicros = now;
        var line = Format(scenario, Math.Min(elapsed / 1e6, duration.TotalSeconds), duration.TotalSeconds, sent, rate, metrics.Delivered, metrics.Failed, metrics.Errors.Total, status);
        if (inPlace)
            Write(line);
        else if (_ticks++ % 5 == 0)
            output.WriteLine(line);
    }

    public void Finish()
    {
        if (inPlace && _lastWidth > 0)
        {
            output.WriteLine();
            _lastWidth = 0;
        }
    }

    private void Write(string line)
    {
        output.Write('\r' + line.PadRight(_lastWidth));
        _lastWidth = line.Length;
    }
}
