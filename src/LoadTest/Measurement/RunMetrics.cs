using System.Collections.Concurrent;
using System.Diagnostics;

namespace Myelin.LoadTest.Measurement;

/// <summary>
/// Everything one scenario measures: named latency histograms, counters, errors and the per-second timeline.
/// Times are microseconds since this object was made, on the monotonic Stopwatch clock.
/// </summary>
public sealed class RunMetrics
{
    public const string Send = "send";
    public const string Delivery = "delivery";
    public const string Sync = "sync";

    private readonly long _origin = Stopwatch.GetTimestamp();
    private readonly ConcurrentDictionary<string, LatencyRecorder> _latencies = new(StringComparer.Ordinal);
    private long _phaseStartMicros = long.MaxValue;
    private long _sent;
    private long _failed;
    private long _delivered;

    public RunMetrics()
    {
        Errors.Recorded = () => Timeline.Count(TimeSeriesRecorder.Errors, PhaseElapsed(NowMicros));
    }

    public ErrorTally Errors { get; } = new();
    public TimeSeriesRecorder Timeline { get; } = new();

    public long NowMicros => (long)Stopwatch.GetElapsedTime(_origin).TotalMicroseconds;

    /// <summary>Operations the server acknowledged (messages, typing updates, registrations, initial syncs).</summary>
    public long Sent => Interlocked.Read(ref _sent);
    public long Failed => Interlocked.Read(ref _failed);
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Marks the start of the measured phase: timeline second 0.</summary>
    public void StartPhase() => Interlocked.Exchange(ref _phaseStartMicros, NowMicros);

    public long PhaseElapsed(long nowMicros)
    {
        var start = Interlocked.Read(ref _phaseStartMicros);
        return start == long.MaxValue ? -1 : nowMicros - start;
    }

    public LatencyRecorder Latency(string metric) => _latencies.GetOrAdd(metric, _ => new LatencyRecorder());

    public void RecordLatency(string metric, long latencyMicros)
    {
        Latency(metric).Record(latencyMicros);
        Timeline.Latency(metric, PhaseElapsed(NowMicros), latencyMicros);
    }

    public void CountSent(long latencyMicros, string metric = Send)
    {
        Interlocked.Increment(ref _sent);
        Timeline.Count(TimeSeriesRecorder.Sent, PhaseElapsed(NowMicros));
        RecordLatency(metric, latencyMicros);
    }

    public void CountFailed() => Interlocked.Increment(ref _failed);

    public void CountDelivered()
    {
        Interlocked.Increment(ref _delivered);
        Timeline.Count(TimeSeriesRecorder.Delivered, PhaseElapsed(NowMicros));
    }

    /// <summary>send, delivery and sync always (zeros when unmeasured), then any others in name order.</summary>
    public IReadOnlyDictionary<string, LatencySummary> Summaries()
    {
        var result = new Dictionary<string, LatencySummary>(StringComparer.Ordinal);
        foreach (var name in new[] { Send, Delivery, Sync })
            result[name] = _latencies.TryGetValue(name, out var r) ? r.Summarize() : LatencySummary.Empty;
        foreach (var (name, r) in _latencies.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            result.TryAdd(name, r.Summarize());
        return result;
    }
}
