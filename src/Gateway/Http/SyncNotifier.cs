using Myelin.Grains.Streams;

namespace Myelin.Gateway.Http;

/// <summary>
/// Wakes long-polling /sync requests when the replication bus says a stream they can see advanced: an
/// event in one of their rooms, a membership change of the user, or the user's account data.
/// </summary>
public sealed class SyncNotifier : IDisposable
{
    sealed class Waiter(string userId, IReadOnlyCollection<string> rooms)
    {
        public readonly string UserId = userId;
        public readonly HashSet<string> Rooms = [.. rooms];
        public readonly TaskCompletionSource Woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    readonly IReplicationBus _bus;
    readonly IDisposable _subscription;
    readonly object _gate = new();
    readonly HashSet<Waiter> _waiters = [];

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
    public async Task WaitAsync(string userId, IReadOnlyCollection<string> rooms, IReadOnlyDictionary<string, long> seen,
        TimeSpan timeout, CancellationToken ct)
    {
        var waiter = new Waiter(userId, rooms);
        lock (_gate) _waiters.Add(waiter);
        try
        {
            // Registered first, then checked: an update published in between is seen one way or the other.
            foreach (var (stream, position) in seen)
                if (_bus.Position(stream) > position) return;
            await waiter.Woken.Task.WaitAsync(timeout, ct);
        }
        catch (TimeoutException) { }
        finally
        {
            lock (_gate) _waiters.Remove(waiter);
        }
    }

    void OnUpdate(StreamUpdate u)
    {
        List<Waiter> wake = [];
        lock (_gate)
        {
            foreach (var w in _waiters)
                if (u.Everyone || u.UserIds.Contains(w.UserId) || u.RoomIds.Any(w.Rooms.Contains)) wake.Add(w);
        }
        foreach (var w in wake) w.Woken.TrySetResult();
    }

    public void Dispose() => _subscription.Dispose();
}
