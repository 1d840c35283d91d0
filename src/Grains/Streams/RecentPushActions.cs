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

    readonly object _gate = new();
    readonly Dictionary<long, IReadOnlyList<(string UserId, bool Highlight)>> _byPosition = [];
    readonly Queue<long> _order = new();

    public void Add(long position, IEnumerable<NewPushAction>? actions) =>
        Add(position, (actions ?? []).Where(a => a.Notify).Select(a => (a.UserId, a.Highlight)).ToList());

    public void Add(long position, IReadOnlyList<(string UserId, bool Highlight)> notifying)
    {
        lock (_gate)
        {
            if (!_byPosition.TryAdd(position, notifying)) return;
            _order.Enqueue(position);
            while (_order.Count > Capacity) _byPosition.Remove(_order.Dequeue());
        }
    }

    public bool TryGet(long position, out IReadOnlyList<(string UserId, bool Highlight)> notifying)
    {
        lock (_gate) return _byPosition.TryGetValue(position, out notifying!);
    }
}
