namespace Myelin.LoadTest.Delivery;

/// <summary>
/// Delivery of ephemeral updates (typing, receipts) to the other members' /sync. Unlike messages these
/// may be coalesced by the server, so an unseen update is counted, not called lost.
/// </summary>
public sealed class EphemeralTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private long _expected;
    private long _seen;

    /// <summary>An update keyed by <paramref name="key"/> (e.g. "typing:@u:hs") began; a new start replaces the old one.</summary>
    public void Started(string key, string owner, int audience, long startMicros)
    {
        lock (_gate)
        {
            _pending[key] = new Pending(owner, startMicros);
            _expected += audience;
        }
    }

    /// <summary>Returns the latency the first time <paramref name="receiver"/> sees the latest update for the key.</summary>
    public long? Observed(string receiver, string key, long nowMicros)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var p) || p.Owner == receiver || !p.SeenBy.Add(receiver))
                return null;
            _seen++;
            return Math.Max(0, nowMicros - p.StartMicros);
        }
    }

    public (long Expected, long Seen) Totals
    {
        get { lock (_gate) return (_expected, _seen); }
    }

    private sealed record Pending(string Owner, long StartMicros)
    {
        public HashSet<string> SeenBy { get; } = new(StringComparer.Ordinal);
    }
}
