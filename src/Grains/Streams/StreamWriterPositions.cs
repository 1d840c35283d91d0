namespace Myelin.Grains.Streams;

/// <summary>
/// A reader's view of a multi-writer stream: the persisted-up-to position each writer last announced.
/// The position safe to read up to is the minimum over the live writers (Synapse's
/// MultiWriterIdGenerator.get_current_token): below it, every writer has committed everything.
/// </summary>
/// <remarks>
/// Positions only move forward: an announcement older than what is known (a message delayed behind a
/// newer one, or a lower bound read from the database) changes nothing. A writer not heard from for
/// <c>timeout</c> is taken for dead (its process gone, so its open transaction aborted by the database)
/// and stops holding readers back until it speaks again, but only while the wire itself has been
/// carrying messages for longer than the timeout: when Redis is down, or this process was paused,
/// silence proves nothing about the writers, and nobody is dropped. Thread-safe.
/// </remarks>
public sealed class StreamWriterPositions(TimeProvider time, TimeSpan timeout)
{
    sealed class Writer(long position, long heardAt)
    {
        public long Position = position;
        public long HeardAt = heardAt;
    }

    readonly object _gate = new();
    readonly Dictionary<string, Writer> _writers = [];
    // Start of the current stretch in which the wire delivered something at least every timeout / 2.
    long? _wireAliveSince;
    long _wireHeardAt;

    TimeSpan GapLimit => timeout / 2;

    /// <summary>Something arrived over the wire (from any process, this one included).</summary>
    public void WireHeard()
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (_wireAliveSince is null || time.GetElapsedTime(_wireHeardAt, now) > GapLimit) _wireAliveSince = now;
            _wireHeardAt = now;
        }
    }

    /// <summary>Records what a writer announced; returns the position it had before (-1 when new).
    /// <paramref name="age"/> back-dates it (a position read from the database rather than heard).</summary>
    public long Update(string instance, long position, TimeSpan age = default)
    {
        var now = time.GetTimestamp() - (long)(age.TotalSeconds * time.TimestampFrequency);
        lock (_gate)
        {
            if (!_writers.TryGetValue(instance, out var w))
            {
                _writers[instance] = new Writer(position, now);
                return -1;
            }
            var before = w.Position;
            w.Position = Math.Max(w.Position, position);
            w.HeardAt = Math.Max(w.HeardAt, now);
            return before;
        }
    }

    /// <summary>The writer is alive (a PING or similar) without a new position.</summary>
    public void Heard(string instance)
    {
        lock (_gate)
            if (_writers.TryGetValue(instance, out var w)) w.HeardAt = time.GetTimestamp();
    }

    public long? PositionOf(string instance)
    {
        lock (_gate) return _writers.TryGetValue(instance, out var w) ? w.Position : null;
    }

    public IReadOnlyList<string> Instances { get { lock (_gate) return [.. _writers.Keys]; } }

    /// <summary>Highest position any writer announced (0 when none).</summary>
    public long Max
    {
        get
        {
            lock (_gate)
            {
                var max = 0L;
                foreach (var w in _writers.Values) max = Math.Max(max, w.Position);
                return max;
            }
        }
    }

    /// <summary>Whether the writer is known and counted (not taken for dead) now.</summary>
    public bool IsLive(string instance)
    {
        var now = time.GetTimestamp();
        lock (_gate) return _writers.TryGetValue(instance, out var w) && Counts(w, now);
    }

    // Caller holds _gate.
    bool Counts(Writer w, long now)
    {
        var wireTrusted = _wireAliveSince is { } since && time.GetElapsedTime(_wireHeardAt, now) <= GapLimit
            && time.GetElapsedTime(since, now) > timeout;
        return !(wireTrusted && time.GetElapsedTime(w.HeardAt, now) > timeout);
    }

    /// <summary>
    /// The minimum over live writers, with <paramref name="local"/> (this process's own writer, always
    /// live) when given; null when no writer is known.
    /// </summary>
    public long? Safe(string? localInstance = null, long? local = null)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            long? min = local;
            foreach (var (name, w) in _writers)
            {
                if (name == localInstance || !Counts(w, now)) continue;
                min = min is { } m ? Math.Min(m, w.Position) : w.Position;
            }
            return min;
        }
    }
}
