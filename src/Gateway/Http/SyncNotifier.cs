using Myelin.Grains.Streams;
using Myelin.Grains.Sync;

namespace Myelin.Gateway.Http;

/// <summary>
/// Wakes long-polling /sync requests when the replication bus says a stream they can see advanced: an
/// event in one of their rooms, a membership change of the user, or the user's account data.
/// <para>
/// Parked requests are indexed by room and by user (Synapse's notifier keeps the same two maps), so an
/// update finds its audience without looking at everyone parked, and the update itself takes the woken
/// ones out of the maps: a thousand members woken by one receipt do not then queue on the lock to leave.
/// </para>
/// </summary>
public sealed class SyncNotifier : IDisposable
{
    sealed class Waiter(string userId, IReadOnlyCollection<string> rooms)
    {
        public readonly string UserId = userId;
        public readonly IReadOnlyCollection<string> Rooms = rooms;
        public readonly TaskCompletionSource Woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Under the notifier's lock: whether the waiter is still in the maps.
        public bool Parked;
    }

    readonly IReplicationBus _bus;
    readonly IDisposable _subscription;
    readonly object _gate = new();
    readonly HashSet<Waiter> _waiters = [];
    readonly Dictionary<string, HashSet<Waiter>> _byRoom = new(StringComparer.Ordinal);
    readonly Dictionary<string, HashSet<Waiter>> _byUser = new(StringComparer.Ordinal);

    public SyncNotifier(IReplicationBus bus)
    {
        _bus = bus;
        _subscription = bus.Subscribe(OnUpdate);
    }

    public int WaiterCount { get { lock (_gate) return _waiters.Count; } }

    /// <summary>
    /// Waits until something concerning the user arrives after <paramref name="seen"/> (the positions the
    /// caller's last read covered), or the timeout. Returns at once if the bus is already past them.
    /// </summary>
    public async Task WaitAsync(string userId, IReadOnlyCollection<string> rooms, SyncToken seen,
        TimeSpan timeout, CancellationToken ct)
    {
        var waiter = new Waiter(userId, rooms);
        lock (_gate) Park(waiter);
        try
        {
            // Registered first, then checked: an update published in between is seen one way or the other.
            if (seen.IsBehind(_bus)) return;
            await waiter.Woken.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException) { }
        finally
        {
            if (!waiter.Woken.Task.IsCompleted)
                lock (_gate) Unpark(waiter);
        }
    }

    void OnUpdate(StreamUpdate u)
    {
        List<Waiter> wake = [];
        lock (_gate)
        {
            if (u.Everyone)
            {
                wake.AddRange(_waiters);
            }
            else
            {
                foreach (var user in u.UserIds)
                    if (_byUser.TryGetValue(user, out var parked)) wake.AddRange(parked);
                foreach (var room in u.RoomIds)
                    if (_byRoom.TryGetValue(room, out var parked)) wake.AddRange(parked);
            }
            // A waiter found twice (by user and by room) is taken out once.
            for (var i = 0; i < wake.Count; i++)
                if (wake[i].Parked) Unpark(wake[i]);
        }
        foreach (var w in wake) w.Woken.TrySetResult();
    }

    void Park(Waiter w)
    {
        w.Parked = true;
        _waiters.Add(w);
        Index(_byUser, w.UserId).Add(w);
        foreach (var room in w.Rooms) Index(_byRoom, room).Add(w);
    }

    void Unpark(Waiter w)
    {
        if (!w.Parked) return;
        w.Parked = false;
        _waiters.Remove(w);
        Unindex(_byUser, w.UserId, w);
        foreach (var room in w.Rooms) Unindex(_byRoom, room, w);
    }

    static HashSet<Waiter> Index(Dictionary<string, HashSet<Waiter>> map, string key)
    {
        if (!map.TryGetValue(key, out var set)) map[key] = set = [];
        return set;
    }

    static void Unindex(Dictionary<string, HashSet<Waiter>> map, string key, Waiter w)
    {
        if (map.TryGetValue(key, out var set) && set.Remove(w) && set.Count == 0) map.Remove(key);
    }

    public void Dispose() => _subscription.Dispose();
}
