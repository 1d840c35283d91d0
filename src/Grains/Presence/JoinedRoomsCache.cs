using System.Collections.Concurrent;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Presence;

/// <summary>
/// The rooms each user is joined to, on this process: read from the database on first use and forgotten
/// when the events stream reports a membership change of the user (its update names them). Presence uses
/// it to find whom a change concerns (users sharing a room) without a query per change.
/// </summary>
public sealed class JoinedRoomsCache : IDisposable
{
    const int MaxUsers = 100_000;

    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly MembershipChanges? _changes;
    readonly ConcurrentDictionary<string, Task<IReadOnlySet<string>>> _rooms = new();
    // The events position each entry was read at: an entry older than the user's latest membership change
    // (recorded before that change's position is published) is stale even if the bus has not dropped it yet.
    readonly ConcurrentDictionary<string, long> _loadedAt = new();
    readonly IDisposable _subscription;

    public JoinedRoomsCache(MyelinDatabase db, IReplicationBus bus, MembershipChanges? changes = null)
    {
        _db = db;
        _bus = bus;
        _changes = changes;
        // Runs on the bus's thread: only drops entries.
        _subscription = bus.Subscribe(u =>
        {
            if (u.Stream != StreamNames.Events) return;
            if (u.Everyone) _rooms.Clear();
            foreach (var user in u.UserIds) _rooms.TryRemove(user, out _);
        });
    }

    /// <summary>The user's joined rooms, when known without a query.</summary>
    public bool TryGetCached(string userId, out IReadOnlySet<string> rooms)
    {
        if (_rooms.TryGetValue(userId, out var t) && t.IsCompletedSuccessfully && !IsStale(userId))
        {
            rooms = t.Result;
            return true;
        }
        rooms = null!;
        return false;
    }

    public Task<IReadOnlySet<string>> GetAsync(string userId)
    {
        if (_rooms.TryGetValue(userId, out var known) && !known.IsFaulted && !known.IsCanceled && !IsStale(userId)) return known;
        // Bounded: past the limit it starts over, rather than tracking use.
        if (_rooms.Count >= MaxUsers)
        {
            _rooms.Clear();
            _loadedAt.Clear();
        }
        // Stored before the query runs: a membership change committed after it started drops it again.
        _loadedAt[userId] = _bus.Position(StreamNames.Events);
        var load = LoadAsync(userId);
        _rooms[userId] = load;
        return load;
    }

    bool IsStale(string userId) =>
        _changes is not null && _changes.LastChange(userId) > _loadedAt.GetValueOrDefault(userId, long.MaxValue);

    /// <summary>Whether the two users are joined to a room together.</summary>
    public async Task<bool> ShareARoomAsync(string a, string b) => (await GetAsync(a)).Overlaps(await GetAsync(b));

    async Task<IReadOnlySet<string>> LoadAsync(string userId)
    {
        await Task.Yield();
        var rows = await _db.Events.GetMembershipsForUserAsync(userId);
        return rows.Where(m => m.Membership == "join").Select(m => m.RoomId).ToHashSet();
    }

    public void Dispose() => _subscription.Dispose();
}
