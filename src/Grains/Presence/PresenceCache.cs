using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Presence;

/// <summary>
/// The presence stream on this process: every user's latest presence, each change numbered with a local
/// position that only increases (from the current Unix time in milliseconds, so a restarted process
/// does not go back behind tokens clients hold). Each change moves the bus's presence position and wakes
/// the long-polls of the user and of the rooms they are joined to, i.e. of everyone who shares a room
/// with them (Synapse notifies the same rooms and user).
/// </summary>
public sealed class PresenceCache : IStreamRowConsumer
{
    /// <summary>Changes kept in order; a token from before the oldest is answered by a scan of every user.</summary>
    const int MaxChanges = 50_000;

    sealed record Entry(UserPresence Presence, long Token, long Position);

    readonly IReplicationBus _bus;
    readonly MyelinDatabase _db;
    readonly JoinedRoomsCache _rooms;
    readonly TimeProvider _time;
    readonly ILogger<PresenceCache> _log;
    readonly object _gate = new();
    readonly Dictionary<string, Entry> _latest = [];
    // Ascending positions; every change after _historyFrom is here.
    readonly List<(long Position, string UserId)> _changes = [];
    long _position;
    long _historyFrom;

    public PresenceCache(IReplicationBus bus, MyelinDatabase db, JoinedRoomsCache rooms, TimeProvider time, ILogger<PresenceCache> log)
    {
        _bus = bus;
        _db = db;
        _rooms = rooms;
        _time = time;
        _log = log;
        _position = _historyFrom = time.GetUtcNow().ToUnixTimeMilliseconds();
        bus.Publish(new StreamUpdate(StreamNames.Presence, _position, [], []));
    }

    public string Stream => StreamNames.Presence;

    /// <summary>The highest position given to a change (the bus's presence position once announced).</summary>
    public long Position { get { lock (_gate) return _position; } }

    public void OnRow(string instance, long token, string rowJson) => Apply(PresenceStreamRow.Parse(rowJson), token);

    /// <summary>The wire came back after a loss: rows may have been missed. Every announced change was
    /// stored before it was announced, so the presence table has them.</summary>
    public void OnWireReconnected() => _ = CatchUpAsync();

    /// <summary>Applies what the presence table has that this process did not hear: the rows of users who
    /// are not offline, and the rows of users it holds as present who are no longer in that list.</summary>
    public async Task CatchUpAsync()
    {
        try
        {
            var rows = await _db.Presence.GetNotOfflineAsync();
            foreach (var row in rows) Apply(PresenceStreamRow.FromStored(row), row.StreamId);
            var listed = rows.Select(r => r.UserId).ToHashSet();
            List<string> stale;
            lock (_gate)
                stale = _latest.Values.Where(e => e.Presence.State != PresenceStates.Offline && !listed.Contains(e.Presence.UserId))
                    .Select(e => e.Presence.UserId).ToList();
            foreach (var user in stale)
                if (await _db.Presence.GetAsync(user) is { } row) Apply(PresenceStreamRow.FromStored(row), row.StreamId);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Catching up the presence stream from the database failed");
        }
    }

    /// <summary>
    /// Takes a user's new presence with the writer's token (rows of one user come in token order; an
    /// older or repeated one is ignored) and announces it. Returns its position, or null when ignored.
    /// </summary>
    public long? Apply(UserPresence presence, long token)
    {
        long position;
        lock (_gate)
        {
            if (_latest.TryGetValue(presence.UserId, out var old) && old.Token >= token) return null;
            position = _position = Math.Max(_position + 1, _time.GetUtcNow().ToUnixTimeMilliseconds());
            _latest[presence.UserId] = new Entry(presence, token, position);
            _changes.Add((position, presence.UserId));
            if (_changes.Count > MaxChanges)
            {
                var drop = _changes.Count / 2;
                _historyFrom = _changes[drop - 1].Position;
                _changes.RemoveRange(0, drop);
            }
        }
        Announce(presence.UserId, position);
        return position;
    }

    /// <summary>
    /// What a starting process knows: the stored presence of users who are not offline, at the starting
    /// position (not as changes). Rows already heard from the stream are newer and stay.
    /// </summary>
    public void Seed(IEnumerable<StoredPresence> rows)
    {
        lock (_gate)
            foreach (var row in rows)
                if (!_latest.TryGetValue(row.UserId, out var old) || old.Token < row.StreamId)
                    _latest[row.UserId] = new Entry(PresenceStreamRow.FromStored(row), row.StreamId, _historyFrom);
    }

    /// <summary>The user's latest presence, or null when this process knows none (offline).</summary>
    public UserPresence? Get(string userId)
    {
        lock (_gate) return _latest.TryGetValue(userId, out var e) ? e.Presence : null;
    }

    /// <summary>
    /// The latest presence of the users whose presence changed at a position in (<paramref name="from"/>,
    /// <paramref name="to"/>]. A user who changed again after <paramref name="to"/> is left for the next
    /// read, which sees their newest state.
    /// </summary>
    public List<UserPresence> GetChanged(long from, long to)
    {
        var result = new List<UserPresence>();
        if (from >= to) return result;
        lock (_gate)
        {
            if (from < _historyFrom)
            {
                foreach (var e in _latest.Values)
                    if (e.Position > from && e.Position <= to) result.Add(e.Presence);
                return result;
            }
            var seen = new HashSet<string>();
            for (var i = FirstAfter(from); i < _changes.Count && _changes[i].Position <= to; i++)
            {
                var e = _latest[_changes[i].UserId];
                if (e.Position <= to && seen.Add(e.Presence.UserId)) result.Add(e.Presence);
            }
        }
        return result;
    }

    /// <summary>Index of the first change after the position (binary search; positions ascend).</summary>
    int FirstAfter(long position)
    {
        int lo = 0, hi = _changes.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_changes[mid].Position <= position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Moves the bus at once (waking the user's own long-polls); the rooms' long-polls are woken
    /// as soon as the user's rooms are known, which is at once when they are cached.</summary>
    void Announce(string userId, long position)
    {
        if (_rooms.TryGetCached(userId, out var rooms))
        {
            _bus.Publish(new StreamUpdate(StreamNames.Presence, position, rooms, [userId]));
            return;
        }
        _bus.Publish(new StreamUpdate(StreamNames.Presence, position, [], [userId]));
        _ = AnnounceToRoomsAsync(userId, position);
    }

    async Task AnnounceToRoomsAsync(string userId, long position)
    {
        try
        {
            var rooms = await _rooms.GetAsync(userId);
            if (rooms.Count > 0) _bus.Publish(new StreamUpdate(StreamNames.Presence, position, rooms, []));
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Could not find the rooms of {UserId} to announce their presence", userId);
        }
    }
}
