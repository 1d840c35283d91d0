using System.Collections.Concurrent;

namespace Myelin.LoadTest.Measurement;

/// <summary>Counts failed requests by HTTP status and Matrix errcode (status 0 means no HTTP response at all).</summary>
public sealed class ErrorTally
{
    private readonly ConcurrentDictionary<(int Status, string ErrCode), long> _counts = new();
    private long _total;

    public long Total => Interlocked.Read(ref _total);

    /// <summary>Called after each recorded error, e.g. to place it on the timeline.</summary>
    public Action? Recorded { get; set; }

    public void Record(int status, string? errcode)
    {
        _counts.AddOrUpdate((status, errcode ?? ""), 1, (_, n) => n + 1);
        Interlocked.Increment(ref _total);
        Recorded?.Invoke();
    }

    /// <summary>The counts, most frequent first; keys read "429 M_LIMIT_EXCEEDED" or "0 CONNECTION_FAILED".</summary>
    public IReadOnlyList<ErrorCount> Snapshot() =>
        _counts.Select(kv => new ErrorCount(kv.Key.Status, kv.Key.ErrCode.Length == 0 ? null : kv.Key.ErrCode, kv.Value))
            .OrderByDescending(e => e.Count).ThenBy(e => e.Status).ThenBy(e => e.Errcode, StringComparer.Ordinal)
            .ToList();
}

public sealed record ErrorCount(int Status, string? Errcode, long Count);
