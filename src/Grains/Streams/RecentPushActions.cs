using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// Who each recent event notifies (its notifying push actions: user and highlight), by stream position,
/// on this process: the persister records its own events' as it commits them, and other writers' arrive
/// with their events on the wire (<see cref="EventPayloadRow"/>). Incremental notification counts add
/// from here instead of asking the database on every sync. A position not here (read from the database
/// after a gap, or evicted) means "unknown": the caller asks the database.
/// </summary>
public sealed class RecentPushActions
{
    const int Capacity = 100_000;

    static readonly IReadOnlyDictionary<string, bool> Nobody = new Dictionary<string, bool>();

    readonly object _gate = new();
    // Read by every woken /sync (a thousand at once for a message in a large room): lock-free reads, and
    // each event's notified users by user ID, so a member finds themselves without scanning the others.
    readonly System.Collections.Concurrent.ConcurrentDictionary<long, IReadOnlyDictionary<string, bool>> _byPosition = new();
    readonly Queue<long> _order = new();

    public void Add(long position, IEnumerable<NewPushAction>? actions) =>
        Add(position, (actions ?? []).Where(a => a.Notify).Select(a => (a.UserId, a.Highlight)).ToList());

    public void Add(long position, IReadOnlyList<(string UserId, bool Highlight)> notifying)
    {
        IReadOnlyDictionary<string, bool> byUser = Nobody;
        if (notifying.Count > 0)
        {
            var map = new Dictionary<string, bool>(notifying.Count, StringComparer.Ordinal);
            foreach (var (user, highlight) in notifying) map[user] = highlight;
            byUser = map;
        }
        lock (_gate)
        {
            if (!_byPosition.TryAdd(position, byUser)) return;
            _order.Enqueue(position);
            while (_order.Count > Capacity) _byPosition.TryRemove(_order.Dequeue(), out _);
        }
    }

    /// <summary>The users the event at <paramref name="position"/> notifies, with whether it highlights for them.</summary>
    public bool TryGet(long position, out IReadOnlyDictionary<string, bool> notifying) =>
        _byPosition.TryGetValue(position, out notifying!);
}
