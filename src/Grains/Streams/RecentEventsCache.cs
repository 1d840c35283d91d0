using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The newest events of the events stream, in stream order, as this process persisted them (Synapse's
/// event cache and stream change cache in one). An incremental /sync whose token is inside the window
/// reads its rooms' new events from here instead of the database, so a message fanned out to a thousand
/// members is read from disk zero times, not a thousand.
/// </summary>
public sealed class RecentEventsCache(int capacity = 20_000)
{
    // Every woken /sync reads the window at the same moment: readers share the lock, the committer alone writes.
    readonly ReaderWriterLockSlim _gate = new(LockRecursionPolicy.NoRecursion);
    readonly List<StoredEvent> _events = new(capacity);
    // Everything with a stream position above this is in the cache (up to the newest added).
    long _completeAbove = long.MaxValue;

    /// <summary>Marks the cache complete from <paramref name="position"/> on (at start-up: the current maximum).</summary>
    public void StartAt(long position)
    {
        _gate.EnterWriteLock();
        try
        {
            _events.Clear();
            _completeAbove = position;
        }
        finally { _gate.ExitWriteLock(); }
    }

    /// <summary>Adds a committed batch; positions must be above everything added before.</summary>
    public void Add(IReadOnlyList<StoredEvent> batch)
    {
        _gate.EnterWriteLock();
        try
        {
            if (_completeAbove == long.MaxValue) return; // not started: the database is the only source
            _events.AddRange(batch);
            if (_events.Count > capacity)
            {
                var drop = _events.Count - capacity;
                _completeAbove = _events[drop - 1].StreamOrdering;
                _events.RemoveRange(0, drop);
            }
        }
        finally { _gate.ExitWriteLock(); }
    }

    /// <summary>A redaction rewrote an event's stored JSON: the cached copy follows.</summary>
    public void Replace(string eventId, string json)
    {
        _gate.EnterWriteLock();
        try
        {
            var i = _events.FindLastIndex(e => e.EventId == eventId);
            if (i >= 0) _events[i] = _events[i] with { Json = json };
        }
        finally { _gate.ExitWriteLock(); }
    }

    /// <summary>A purge removed the room's events below <paramref name="beforeStreamOrdering"/> from every
    /// timeline (all of them with <see cref="long.MaxValue"/>): the cache no longer serves them.</summary>
    public void Purge(string roomId, long beforeStreamOrdering)
    {
        _gate.EnterWriteLock();
        try { _events.RemoveAll(e => e.RoomId == roomId && e.StreamOrdering < beforeStreamOrdering); }
        finally { _gate.ExitWriteLock(); }
    }

    /// <summary>The events of <paramref name="roomIds"/> in (from, to], when the cache holds that whole range.</summary>
    public bool TryGetRange(IReadOnlySet<string> roomIds, long from, long to, out List<StoredEvent> result)
    {
        result = [];
        _gate.EnterReadLock();
        try
        {
            if (from < _completeAbove) return false;
            var start = LowerBound(from + 1);
            for (var i = start; i < _events.Count && _events[i].StreamOrdering <= to; i++)
                if (roomIds.Contains(_events[i].RoomId)) result.Add(_events[i]);
            return true;
        }
        finally { _gate.ExitReadLock(); }
    }

    int LowerBound(long position)
    {
        int lo = 0, hi = _events.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (_events[mid].StreamOrdering < position) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
