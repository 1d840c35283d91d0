using System.Collections.Concurrent;
using Myelin.Grains;
using Myelin.Grains.Presence;
using Myelin.Matrix;

namespace Myelin.Gateway.Http;

/// <summary>
/// <c>set_presence</c> on /sync (Synapse's user_syncing): tells the user's presence grain that the device
/// is syncing with that state, for as long as the long-poll may last. Cheap on the hot path: a device is
/// told again only when its state changes, or every <see cref="RetellAfter"/> when its sync outlasts what
/// the grain was last told — never on every long-poll iteration. Skipping a call loses nothing: a device
/// goes offline only after half a minute with no sync at all.
/// </summary>
public sealed class SyncPresence(IGrainFactory grains, PresenceOptions options, TimeProvider time, ILogger<SyncPresence> log)
{
    static readonly TimeSpan RetellAfter = TimeSpan.FromSeconds(5);
    const int SweepAbove = 100_000;

    sealed record Told(string State, long At, long Until);

    readonly ConcurrentDictionary<(string UserId, string DeviceId), Told> _told = new();

    /// <param name="setPresence">The query parameter: empty (online), online, unavailable or offline.</param>
    public async Task SyncingAsync(Requester me, string setPresence, TimeSpan timeout)
    {
        // spec: offline means "do not change the presence" (Synapse: the sync does not affect it).
        if (!options.Tracked || setPresence == PresenceStates.Offline) return;
        var state = setPresence.Length == 0 ? PresenceStates.Online : setPresence;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)timeout.TotalMilliseconds;
        var key = (me.UserId, me.DeviceId);
        if (_told.TryGetValue(key, out var told) && told.State == state
            && (now - told.At < RetellAfter.TotalMilliseconds || until <= told.Until)) return;
        if (_told.Count > SweepAbove) Sweep(now);
        _told[key] = new Told(state, now, until);
        try
        {
            await grains.Presence(me.UserId).Syncing(me.DeviceId, state, timeout);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Presence is best effort: the sync goes on, and the next one tells the grain again.
            _told.TryRemove(key, out _);
            log.LogWarning(e, "Could not update the presence of {UserId} for their sync", me.UserId);
        }
    }

    /// <summary>Forgets devices whose last sync ended over a minute ago.</summary>
    void Sweep(long now)
    {
        foreach (var (key, told) in _told)
            if (now - told.Until > 60_000) _told.TryRemove(key, out _);
    }
}
