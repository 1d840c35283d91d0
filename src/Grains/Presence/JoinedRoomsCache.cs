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
    readonly ConcurrentDictionary<string, Task<IReadOnlySet<string>>> _rooms = new();
    readonly IDisposable _subscription;

    public JoinedRoomsCache(MyelinDatabase db, IReplicationBus bus)
    {
        _db = db;
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
        if (_rooms.TryGetValue(userId, out var t) && t.IsCompletedSuccessfully)
        {
            rooms = t.Result;
            return true;
        }
        rooms = null!;
        return false;
    }

    public Task<IReadOnlySet<string>> GetAsync(string userId)
    {
        if (_rooms.TryGetValue(userId, out var known) && !known.IsFaulted && !known.IsCanceled) return known;
        // Bounded: past the limit it starts over, rather than tracking use.
        if (_rooms.Count >= MaxUsers) _rooms.Clear();
        // Stored before the query runs: a membership change committed after it started drops it again.
        var load = LoadAsync(userId);
        _rooms[userId] = load;
        return load;
    }

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
