using HdrHistogram;

namespace Myelin.LoadTest.Measurement;

/// <summary>
/// Per-second buckets of counters and latencies, for the over-time charts. Bucket 0 starts at the
/// beginning of the measured phase; samples before it are ignored.
/// </summary>
public sealed class TimeSeriesRecorder
{
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Errors = "errors";

    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, Bucket> _buckets = new();

    public void Count(string counter, long elapsedMicros, long amount = 1)
    {
        var index = IndexOf(elapsedMicros);
        if (index < 0)
            return;
        lock (_gate)
        {
            var bucket = BucketAt(index);
            bucket.Counters[counter] = bucket.Counters.GetValueOrDefault(counter) + amount;
        }
    }

    public void Latency(string metric, long elapsedMicros, long latencyMicros)
    {
        var index = IndexOf(elapsedMicros);
        if (index < 0)
            return;
        var value = Math.Clamp(latencyMicros, 1, LatencyRecorder.HighestTrackableMicros);
        lock (_gate)
        {
            var bucket = BucketAt(index);
            if (!bucket.Latencies.TryGetValue(metric, out var histogram))
                bucket.Latencies[metric] = histogram = new LongHistogram(LatencyRecorder.HighestTrackableMicros, 2);
            histogram.RecordValue(value);
        }
    }

    /// <summary>One point per second from 0 to the last bucket with data; empty seconds are included as zeros.</summary>
    public IReadOnlyList<TimelinePoint> Snapshot()
    {
        lock (_gate)
        {
            if (_buckets.Count == 0)
                return [];
            var last = _buckets.Keys.Max();
            var points = new List<TimelinePoint>(last + 1);
            for (var i = 0; i <= last; i++)
            {
                _buckets.TryGetValue(i, out var b);
                points.Add(new TimelinePoint(
                    i,
                    b?.Counters.GetValueOrDefault(Sent) ?? 0,
                    b?.Counters.GetValueOrDefault(Delivered) ?? 0,
                    b?.Counters.GetValueOrDefault(Errors) ?? 0,
                    b?.Latencies.ToDictionary(kv => kv.Key, kv => LatencySummary.From(kv.Value)) ?? []));
            }
            return points;
        }
    }

    private static int IndexOf(long elapsedMicros) =>
        elapsedMicros < 0 ? -1 : (int)Math.Min(elapsedMicros / 1_000_000, int.MaxValue);

    private Bucket BucketAt(int index)
    {
        if (!_buckets.TryGetValue(index, out var bucket))
            _buckets[index] = bucket = new Bucket();
        return bucket;
    }

    private sealed class Bucket
    {
        public Dictionary<string, long> Counters { get; } = [];
        public Dictionary<string, LongHistogram> Latencies { get; } = [];
    }
}

/// <summary>One second of a run: counts in that second and latency percentiles of samples recorded in it.</summary>
public sealed record TimelinePoint(
    int Second,
    long Sent,
    long Delivered,
    long Errors,
    IReadOnlyDictionary<string, LatencySummary> Latency);
