using HdrHistogram;

namespace Myelin.LoadTest.Measurement;

/// <summary>
/// A thread-safe latency histogram in microseconds (HdrHistogram, 3 significant digits, up to one hour).
/// </summary>
public sealed class LatencyRecorder
{
    public const long HighestTrackableMicros = 3_600_000_000L;

    private readonly LongHistogram _histogram = new(HighestTrackableMicros, 3);
    private readonly Lock _gate = new();

    public long Count
    {
        get { lock (_gate) return _histogram.TotalCount; }
    }

    /// <summary>Records one latency; values outside the trackable range are clamped rather than thrown on.</summary>
    public void Record(long micros)
    {
        var value = Math.Clamp(micros, 1, HighestTrackableMicros);
        lock (_gate)
            _histogram.RecordValue(value);
    }

    public void Record(TimeSpan latency) => Record((long)latency.TotalMicroseconds);

    public LatencySummary Summarize()
    {
        lock (_gate)
            return LatencySummary.From(_histogram);
    }
}

/// <summary>The percentiles of one metric, in milliseconds, as written to the JSON result.</summary>
public sealed record LatencySummary(long Count, double P50, double P90, double P99, double Max, double Mean)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0);

    /// <summary>Summarizes a histogram whose values are microseconds.</summary>
    public static LatencySummary From(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
            return Empty;
        return new LatencySummary(
            histogram.TotalCount,
            ToMillis(histogram.GetValueAtPercentile(50)),
            ToMillis(histogram.GetValueAtPercentile(90)),
            ToMillis(histogram.GetValueAtPercentile(99)),
            ToMillis(histogram.GetMaxValue()),
            Math.Round(histogram.GetMean() / 1000.0, 3));
    }

    private static double ToMillis(long micros) => Math.Round(micros / 1000.0, 3);
}
