using System.Collections.Concurrent;
using Myelin.Grains;
using Myelin.Grains.Presence;
using Myelin.Matrix;

namespace Myelin.Gateway.Http;

/// <summary>
/// What the gateway tells the presence grains about what users do: a /sync with <c>set_presence</c>
/// (Synapse's user_syncing) and sending an event (bump_presence_active_time). Cheap on the hot path: a
/// device's sync is told again only when its state changes, or every <see cref="RetellAfter"/> when it
/// outlasts what the grain was last told — never on every long-poll iteration; activity at most every
/// <see cref="RetellAfter"/> too. Skipping loses nothing that matters: a device goes offline only after half a
/// minute with no sync at all, and last activity is announced only when it moves by a minute.
/// </summary>
public sealed class UserActivity(IGrainFactory grains, PresenceOptions options, TimeProvider time, ILogger<UserActivity> log)
{
    static readonly long RetellAfter = (long)TimeSpan.FromSeconds(5).TotalMilliseconds;
    const int SweepAbove = 100_000;

    sealed record Told(string State, long At, long Until);

    readonly ConcurrentDictionary<(string UserId, string DeviceId), Told> _syncs = new();
    readonly ConcurrentDictionary<(string UserId, string DeviceId), long> _acts = new();

    long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A /sync of the user's device, long-polling up to <paramref name="timeout"/>.</summary>
    /// <param name="setPresence">The query parameter: empty (online), online, unavailable or offline.</param>
    public async Task SyncingAsync(Requester me, string setPresence, TimeSpan timeout)
    {
        // spec: offline means "do not change the presence" (Synapse: the sync does not affect it).
        if (!options.Tracked || setPresence == PresenceStates.Offline) return;
        var state = setPresence.Length == 0 ? PresenceStates.Online : setPresence;
        var now = Now;
        var until = now + (long)timeout.TotalMilliseconds;
        var key = (me.UserId, me.DeviceId);
        var known = _syncs.TryGetValue(key, out var told) && told.State == state;
        if (known && (now - told!.At < RetellAfter || until <= told.Until)) return;
        if (_syncs.Count > SweepAbove)
            foreach (var (k, t) in _syncs)
                if (now - t.Until > 60_000) _syncs.TryRemove(k, out _);
        _syncs[key] = new Told(state, now, until);
        var call = TellAsync(me, key, state, timeout);
        // A new device or state is awaited, so this very sync carries the change; a renewal is not.
        if (!known) await call;
    }

    async Task TellAsync(Requester me, (string, string) key, string state, TimeSpan timeout)
    {
        try
        {
            await grains.Presence(me.UserId).Syncing(me.DeviceId, state, timeout);
        }
        catch (Exception e)
        {
            // Presence is best effort: the sync goes on, and the next one tells the grain again.
            _syncs.TryRemove(key, out _);
            log.LogWarning(e, "Could not update the presence of {UserId} for their sync", me.UserId);
        }
    }

    /// <summary>The user did something (sent an event): told to their grain in the background.</summary>
    public void Acted(Requester me)
    {
        if (!options.Tracked) return;
        var now = Now;
        var key = (me.UserId, me.DeviceId);
        if (_acts.TryGetValue(key, out var at) && now - at < RetellAfter) return;
        if (_acts.Count > SweepAbove) _acts.Clear();
        _acts[key] = now;
        _ = BumpAsync(me);
    }

    async Task BumpAsync(Requester me)
    {
        try
        {
            await grains.Presence(me.UserId).BumpActive(me.DeviceId);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not update the last activity of {UserId}", me.UserId);
        }
    }
}
