using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;

namespace Myelin.Grains.Typing;

/// <summary>A room's typing list as this process knows it, and this process's typing position of its
/// last change.</summary>
public readonly record struct TypingView(ImmutableArray<string> UserIds, long Position);

/// <summary>
/// The typing stream held in memory on every process (Synapse's FollowerTypingHandler): the users typing
/// in each room, from the rows the typing writers publish. Each change gets a position of this process's
/// own, which the bus carries as the typing stream's position (the typing part of sync tokens) and
/// <see cref="TypingSyncSection"/> compares with the tokens.
/// <para>
/// Positions start from the clock (Unix ms) and each change takes max(last + 1, now), so they keep
/// growing across restarts and a token minted by another gateway, whose positions come from the same
/// clock, is roughly comparable: at worst a change is sent twice, or, across clock skew, late.
/// </para>
/// </summary>
public sealed class TypingCache : IStreamRowConsumer, IDisposable
{
    /// <summary>A room with users typing that has heard nothing from its writer for this long lost its
    /// writer (whose activation republishes every <see cref="TypingGrain.KeepAlive"/>): it is cleared.</summary>
    public static readonly TimeSpan StaleAfter = TypingGrain.KeepAlive * 3;

    /// <summary>A room with nobody typing is forgotten this long after its last change (Synapse's
    /// FORGET_TIMEOUT); clients have long since timed its users out.</summary>
    public static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    /// <summary>A room's entry; replaced whole under the lock, read without it.</summary>
    sealed record Room(ImmutableArray<string> UserIds, long Position, long WriterToken, long HeardAtMs);

    readonly IReplicationBus _bus;
    readonly TimeProvider _time;
    readonly Func<IGrainFactory>? _grains;
    readonly ILogger<TypingCache>? _log;
    readonly object _gate = new();
    readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);
    readonly ITimer _sweep;
    long _position;

    /// <param name="grains">Asks the writers for their lists after the wire comes back from a loss; read
    /// lazily, as the container builds this before the silo runs.</param>
    public TypingCache(IReplicationBus bus, TimeProvider time, Func<IGrainFactory>? grains = null, ILogger<TypingCache>? log = null)
    {
        _bus = bus;
        _time = time;
        _grains = grains;
        _log = log;
        _position = NowMs;
        _sweep = time.CreateTimer(_ => Sweep(), null, TypingGrain.KeepAlive, TypingGrain.KeepAlive);
    }

    public string Stream => StreamNames.Typing;

    long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>This process's position of the latest typing change.</summary>
    public long Position { get { lock (_gate) return _position; } }

    /// <summary>The room's typing list and the position of its last change; null when the room has had no
    /// typing lately.</summary>
    public TypingView? Get(string roomId) => _rooms.TryGetValue(roomId, out var r) ? new TypingView(r.UserIds, r.Position) : null;

    public void OnRow(string instance, long token, string rowJson)
    {
        var row = TypingStreamRow.Parse(rowJson);
        Apply(row.RoomId, row.UserIds, token, onlyIfNewer: false);
    }

    /// <summary>Rows may have been lost while the wire was down: asks the writer of every room with users
    /// typing for its list now (a room whose users started typing meanwhile is heard at its next change or
    /// keep-alive).</summary>
    public void OnWireReconnected()
    {
        if (_grains is null) return;
        List<string> rooms;
        rooms = [.. _rooms.Where(r => r.Value.UserIds.Length > 0).Select(r => r.Key)];
        if (rooms.Count > 0) _ = RefreshAsync(rooms);
    }

    async Task RefreshAsync(List<string> rooms)
    {
        var grains = _grains!();
        // One room at a time: after an outage, fan-out to every writer at once would add to the load.
        foreach (var roomId in rooms)
        {
            try
            {
                var snapshot = await grains.Typing(roomId).Get();
                Apply(roomId, snapshot.UserIds, snapshot.Token, onlyIfNewer: true);
            }
            catch (Exception e)
            {
                _log?.LogWarning(e, "Refreshing the typing list of {RoomId} failed", roomId);
            }
        }
    }

    /// <summary>Takes a room's list from its writer. Rows come in the writer's order (one writer per room,
    /// one ordered channel); a snapshot asked for after a loss is only taken if no later row arrived
    /// first (<paramref name="onlyIfNewer"/>). The same list again (a keep-alive) is no change.</summary>
    void Apply(string roomId, ImmutableArray<string> userIds, long token, bool onlyIfNewer)
    {
        long position;
        lock (_gate)
        {
            var known = _rooms.TryGetValue(roomId, out var room);
            if (known && onlyIfNewer && token <= room!.WriterToken) return;
            if (known && SameUsers(room!.UserIds, userIds))
            {
                _rooms[roomId] = room with { WriterToken = token, HeardAtMs = NowMs };
                return;
            }
            position = NextPosition();
            _rooms[roomId] = new Room(userIds, position, token, NowMs);
        }
        // Outside the lock: the bus runs its subscribers (the sync notifier) inline.
        _bus.Publish(new StreamUpdate(StreamNames.Typing, position, [roomId], []));
    }

    long NextPosition() => _position = Math.Max(_position + 1, NowMs);

    static bool SameUsers(ImmutableArray<string> a, ImmutableArray<string> b) =>
        a.Length == b.Length && a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Clears rooms whose writer went quiet and forgets rooms idle for <see cref="ForgetAfter"/>.</summary>
    public void Sweep()
    {
        List<(string RoomId, long Position)> cleared = [];
        lock (_gate)
        {
            var now = NowMs;
            List<string> forget = [];
            foreach (var (roomId, room) in _rooms)
            {
                var quiet = now - room.HeardAtMs;
                if (room.UserIds.Length > 0 && quiet >= (long)StaleAfter.TotalMilliseconds)
                {
                    var position = NextPosition();
                    _rooms[roomId] = room with { UserIds = [], Position = position, HeardAtMs = now };
                    cleared.Add((roomId, position));
                }
                else if (room.UserIds.Length == 0 && quiet >= (long)ForgetAfter.TotalMilliseconds)
                {
                    forget.Add(roomId);
                }
            }
            foreach (var roomId in forget) _rooms.TryRemove(roomId, out _);
        }
        foreach (var (roomId, position) in cleared)
        {
            _log?.LogInformation("Typing in {RoomId} cleared: its writer has not been heard for {Seconds} s", roomId, StaleAfter.TotalSeconds);
            _bus.Publish(new StreamUpdate(StreamNames.Typing, position, [roomId], []));
        }
    }

    public void Dispose() => _sweep.Dispose();
}
