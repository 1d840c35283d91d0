namespace Myelin.Grains.Streams;

/// <summary>
/// One writer's side of Synapse's "persisted up to" rule (MultiWriterIdGenerator): the positions this
/// instance is writing and which of them have committed. <see cref="PersistedUpto"/> is the highest
/// position P such that every position this writer holds at or below P has committed, so a reader may
/// read up to it without ever skipping a late commit of ours.
/// </summary>
/// <remarks>
/// An allocation is registered (<see cref="Begin"/>) before the database hands out its positions: its
/// floor is then the highest position seen so far, and the positions it gets are above that, because the
/// sequence has already passed every position anyone has seen. A writer with nothing in flight counts as
/// the highest position it has seen: everything it will ever write is above it, so it holds nobody back.
/// Thread-safe.
/// </remarks>
public sealed class WriterPositionTracker
{
    readonly object _gate = new();
    // Allocation handle → the position below which it writes nothing (first - 1 once known).
    readonly Dictionary<long, long> _inFlight = [];
    long _nextHandle;
    long _maxSeen;

    public WriterPositionTracker(long start = 0) => _maxSeen = start;

    /// <summary>Registers an allocation about to be made; call before asking the database for positions.</summary>
    public long Begin()
    {
        lock (_gate)
        {
            var handle = ++_nextHandle;
            _inFlight[handle] = _maxSeen;
            return handle;
        }
    }

    /// <summary>The allocation got the positions [first, last].</summary>
    public void Allocated(long handle, long first, long last)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(last, first);
        lock (_gate)
        {
            if (!_inFlight.ContainsKey(handle)) throw new InvalidOperationException($"allocation {handle} is not in flight");
            _inFlight[handle] = first - 1;
            _maxSeen = Math.Max(_maxSeen, last);
        }
    }

    /// <summary>The allocation committed, or failed (its positions stay empty forever): either way it no
    /// longer holds readers back.</summary>
    public void Complete(long handle)
    {
        lock (_gate) _inFlight.Remove(handle);
    }

    /// <summary>Another writer reached <paramref name="position"/>: the sequence is past it.</summary>
    public void Observe(long position)
    {
        lock (_gate) _maxSeen = Math.Max(_maxSeen, position);
    }

    public bool IsIdle { get { lock (_gate) return _inFlight.Count == 0; } }

    public long MaxSeen { get { lock (_gate) return _maxSeen; } }

    public long PersistedUpto
    {
        get
        {
            lock (_gate)
            {
                if (_inFlight.Count == 0) return _maxSeen;
                var floor = long.MaxValue;
                foreach (var f in _inFlight.Values) floor = Math.Min(floor, f);
                return floor;
            }
        }
    }
}
