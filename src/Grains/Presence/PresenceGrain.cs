using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Presence;

/// <summary>
/// Holds one user's <see cref="PresenceTracker"/> and runs its timeouts on a grain timer (on the injected
/// <see cref="TimeProvider"/>). A change others should hear of is stored in the presence table, then
/// published on the presence stream; other changes (sync times) are kept in memory and stored when the
/// grain deactivates, as Synapse persists its unannounced changes lazily.
/// </summary>
public sealed class PresenceGrain(MyelinDatabase db, StreamFanout fanout, TimeProvider time, ILogger<PresenceGrain> log)
    : Grain, IPresenceGrain
{
    PresenceTracker _tracker = null!;
    UserPresence? _stored;
    long _token;
    IGrainTimer? _timer;

    string UserId => this.GetPrimaryKeyString();
    long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        var row = await db.Presence.GetAsync(UserId);
        _token = row?.StreamId ?? 0;
        _stored = row is null ? null : PresenceStreamRow.FromStored(row);
        _tracker = new PresenceTracker(_stored ?? UserPresence.Offline(UserId), Now);
        Schedule();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        if (_tracker is null || _tracker.Current == _stored) return;
        try
        {
            await db.Presence.UpsertAsync(PresenceStreamRow.ToStored(_tracker.Current, _token));
        }
        catch (Exception e)
        {
            // Only sync times are lost: the user's timeouts start over from what was stored.
            log.LogWarning(e, "Could not store the presence of {UserId} on deactivation", UserId);
        }
    }

    public Task SetState(string deviceId, string presence, string? statusMsg)
    {
        if (!PresenceStates.IsValid(presence)) throw MatrixException.InvalidParam("presence must be online, unavailable or offline");
        return AfterAsync(_tracker.SetState(deviceId, presence, statusMsg, Now));
    }

    public Task Syncing(string deviceId, string presence, TimeSpan syncFor)
    {
        if (!PresenceStates.IsValid(presence)) throw MatrixException.InvalidParam("set_presence must be online, unavailable or offline");
        var now = Now;
        return AfterAsync(_tracker.Syncing(deviceId, presence, now, now + (long)Math.Max(0, syncFor.TotalMilliseconds)));
    }

    public Task BumpActive(string deviceId) => AfterAsync(_tracker.BumpActive(deviceId, Now));

    public Task<PresenceStatus> Get()
    {
        var p = _tracker.Current;
        return Task.FromResult(new PresenceStatus(p.UserId, p.State, p.StatusMsg, p.LastActiveTs, p.CurrentlyActive));
    }

    public Task Resume() => Task.CompletedTask;

    async Task OnTimeoutAsync(CancellationToken ct) => await AfterAsync(_tracker.HandleTimeouts(Now));

    async Task AfterAsync(bool announce)
    {
        if (announce) await PublishAsync();
        Schedule();
    }

    /// <summary>Stores the state, then announces it: a process that starts reads what the others heard.</summary>
    async Task PublishAsync()
    {
        var p = _tracker.Current;
        // The user's own rows are ordered by this token, also across activations on other silos.
        _token = Math.Max(_token + 1, Now);
        await db.Presence.UpsertAsync(PresenceStreamRow.ToStored(p, _token));
        _stored = p;
        await fanout.PublishAsync(StreamNames.Presence, _token, PresenceStreamRow.ToJson(p));
    }

    /// <summary>One timer, moved to the tracker's next timeout after every change.</summary>
    void Schedule()
    {
        var due = _tracker.NextTimeout() is { } at ? TimeSpan.FromMilliseconds(Math.Max(0, at - Now)) : Timeout.InfiniteTimeSpan;
        if (_timer is null)
        {
            if (due == Timeout.InfiniteTimeSpan) return;
            _timer = this.RegisterGrainTimer(OnTimeoutAsync, due, Timeout.InfiniteTimeSpan);
        }
        else
        {
            _timer.Change(due, Timeout.InfiniteTimeSpan);
        }
    }
}
