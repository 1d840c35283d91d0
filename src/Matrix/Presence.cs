using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>spec: client-server API "Presence" — the three states a user's presence can be in.</summary>
public static class PresenceStates
{
    public const string Online = "online";
    public const string Unavailable = "unavailable";
    public const string Offline = "offline";

    public static bool IsValid(string? state) => state is Online or Unavailable or Offline;

    /// <summary>Which of a user's devices decides their state: the most present one (Synapse's order).</summary>
    internal static int Priority(string state) => state switch { Online => 3, Unavailable => 2, _ => 1 };
}

/// <summary>
/// A user's presence as the server keeps it (Synapse's UserPresenceState). Timestamps are Unix
/// milliseconds, 0 for never.
/// </summary>
public sealed record UserPresence(
    string UserId, string State, string? StatusMsg, long LastActiveTs, long LastFederationUpdateTs, long LastUserSyncTs,
    bool CurrentlyActive)
{
    /// <summary>A user the server knows nothing of: offline, never active.</summary>
    public static UserPresence Offline(string userId) => new(userId, PresenceStates.Offline, null, 0, 0, 0, false);

    /// <summary>
    /// The content of an m.presence event, and the body of <c>GET /presence/{userId}/status</c>, at
    /// <paramref name="now"/>: last_active_ago only once the user was ever active, currently_active only
    /// when online (Synapse's format_user_presence_state).
    /// </summary>
    public JsonObject ToContent(long now)
    {
        var content = new JsonObject { ["presence"] = State };
        if (LastActiveTs > 0) content["last_active_ago"] = Math.Max(0, now - LastActiveTs);
        if (!string.IsNullOrEmpty(StatusMsg)) content["status_msg"] = StatusMsg;
        if (State == PresenceStates.Online) content["currently_active"] = CurrentlyActive;
        return content;
    }

    /// <summary>The m.presence event the client receives in /sync.</summary>
    public JsonObject ToEvent(long now) => new()
    {
        ["type"] = "m.presence",
        ["sender"] = UserId,
        ["content"] = ToContent(now),
    };
}

/// <summary>
/// The presence of one local user over time, the policy of Synapse's presence handler for local users:
/// each device's state, last activity and last sync are combined into the user's state (the most present
/// device wins); a device idle for <see cref="IdleTimeoutMs"/> becomes unavailable; one that has neither
/// synced nor been active for <see cref="SyncOnlineTimeoutMs"/> goes offline; the user is
/// <c>currently_active</c> while active in the last <see cref="LastActiveGranularityMs"/>; and only
/// changes others would notice are announced. Time is passed in, so it is tested without clocks.
/// </summary>
public sealed class PresenceTracker
{
    /// <summary>Online devices idle this long become unavailable (Synapse's IDLE_TIMER).</summary>
    public const long IdleTimeoutMs = 5 * 60 * 1000;
    /// <summary>A device with no sync for this long (and none in progress) goes offline (SYNC_ONLINE_TIMEOUT).</summary>
    public const long SyncOnlineTimeoutMs = 30 * 1000;
    /// <summary>Active this recently counts as currently active (LAST_ACTIVE_GRANULARITY).</summary>
    public const long LastActiveGranularityMs = 60 * 1000;

    sealed class Device
    {
        public required string State;
        public long LastActiveTs;
        public long LastSyncTs;
        /// <summary>A sync of the device is in progress until then (a long-poll's deadline).</summary>
        public long SyncingUntil;

        /// <summary>When the device was last seen: active, syncing, or at the end of its last sync.</summary>
        public long LastSeen => Math.Max(Math.Max(LastSyncTs, LastActiveTs), SyncingUntil);
    }

    readonly Dictionary<string, Device> _devices = [];

    /// <param name="restored">The state last stored for the user (or <see cref="UserPresence.Offline"/>).</param>
    /// <param name="now">When it is restored: a user restored present gets the sync timeout from now for a
    /// client to come back before going offline, as Synapse's pseudo-device after a restart.</param>
    public PresenceTracker(UserPresence restored, long now)
    {
        Current = restored;
        if (restored.State != PresenceStates.Offline)
            _devices[""] = new Device
            {
                State = restored.State, LastActiveTs = restored.LastActiveTs, LastSyncTs = restored.LastUserSyncTs, SyncingUntil = now,
            };
    }

    public UserPresence Current { get; private set; }

    /// <summary>
    /// <c>PUT /presence/{userId}/status</c> from a device: its state, and the user's status message
    /// (absent clears it). Returns whether the change is to be stored and announced.
    /// </summary>
    public bool SetState(string deviceId, string state, string? statusMsg, long now) =>
        Set(deviceId, state, statusMsg, isSync: false, now, now);

    /// <summary>
    /// A /sync of the device with <c>set_presence</c> <paramref name="state"/> (not offline), in progress
    /// until <paramref name="syncingUntil"/>. A sync leaves the status message alone. Returns whether the
    /// change is to be stored and announced.
    /// </summary>
    public bool Syncing(string deviceId, string state, long now, long syncingUntil) =>
        Set(deviceId, state, Current.StatusMsg, isSync: true, now, syncingUntil);

    bool Set(string deviceId, string state, string? statusMsg, bool isSync, long now, long syncingUntil)
    {
        if (!PresenceStates.IsValid(state)) throw new ArgumentException($"not a presence state: {state}", nameof(state));
        if (!_devices.TryGetValue(deviceId, out var device)) _devices[deviceId] = device = new Device { State = state };
        device.State = state;
        device.LastActiveTs = now;
        if (isSync)
        {
            device.LastSyncTs = now;
            device.SyncingUntil = Math.Max(device.SyncingUntil, syncingUntil);
        }
        var combined = Combined();
        var next = Current with { State = combined, StatusMsg = statusMsg };
        // As Synapse: setting (or syncing as) online counts as activity, unavailable does not.
        if (combined == PresenceStates.Online) next = next with { LastActiveTs = now };
        if (isSync) next = next with { LastUserSyncTs = now };
        return Update(next, now);
    }

    /// <summary>
    /// Something the user did (sent an event, a receipt, typing): the device is active, and back online
    /// if it was unavailable. Returns whether the change is to be stored and announced.
    /// </summary>
    public bool BumpActive(string deviceId, long now)
    {
        // A device not seen before counts as offline: activity alone does not bring a user online (Synapse).
        if (!_devices.TryGetValue(deviceId, out var device)) _devices[deviceId] = device = new Device { State = PresenceStates.Offline };
        device.LastActiveTs = now;
        if (device.State == PresenceStates.Unavailable) device.State = PresenceStates.Online;
        return Update(Current with { LastActiveTs = now, State = Combined() }, now);
    }

    /// <summary>
    /// Applies the timeouts due at <paramref name="now"/> (Synapse's handle_timeout): idle devices become
    /// unavailable, devices gone quiet go offline, and currently_active lapses. Returns whether the change
    /// is to be stored and announced.
    /// </summary>
    public bool HandleTimeouts(long now)
    {
        if (Current.State == PresenceStates.Offline) return false;
        List<string>? gone = null;
        foreach (var (id, device) in _devices)
        {
            if (device.State == PresenceStates.Online && now - device.LastActiveTs > IdleTimeoutMs)
                device.State = PresenceStates.Unavailable;
            if (now - device.LastSeen > SyncOnlineTimeoutMs) (gone ??= []).Add(id);
        }
        foreach (var id in gone ?? []) _devices.Remove(id);
        return Update(Current with { State = Combined() }, now);
    }

    /// <summary>When <see cref="HandleTimeouts"/> next has something to do, or null when nothing is pending.</summary>
    public long? NextTimeout()
    {
        if (Current.State == PresenceStates.Offline) return null;
        long? next = null;
        void Consider(long at) => next = next is { } n ? Math.Min(n, at) : at;
        foreach (var device in _devices.Values)
        {
            if (device.State == PresenceStates.Online) Consider(device.LastActiveTs + IdleTimeoutMs + 1);
            Consider(device.LastSeen + SyncOnlineTimeoutMs + 1);
        }
        if (Current is { State: PresenceStates.Online, CurrentlyActive: true }) Consider(Current.LastActiveTs + LastActiveGranularityMs);
        return next;
    }

    string Combined()
    {
        var state = PresenceStates.Offline;
        var lastActive = -1L;
        foreach (var device in _devices.Values)
        {
            var (p, q) = (PresenceStates.Priority(device.State), PresenceStates.Priority(state));
            if (p > q || (p == q && device.LastActiveTs > lastActive))
            {
                state = device.State;
                lastActive = device.LastActiveTs;
            }
        }
        return state;
    }

    /// <summary>Synapse's handle_update for a local user: recomputes currently_active and decides whether
    /// the change is worth announcing.</summary>
    bool Update(UserPresence next, long now)
    {
        if (next.State == PresenceStates.Online)
            next = next with { CurrentlyActive = now - next.LastActiveTs < LastActiveGranularityMs };
        var notify = ShouldNotify(Current, next);
        if (notify) next = next with { LastFederationUpdateTs = now };
        Current = next;
        return notify;
    }

    /// <summary>Whether others should hear of the change (Synapse's should_notify): a new state or status
    /// message, currently_active flipping while online, or last activity moving on by more than the
    /// granularity when that is not otherwise implied.</summary>
    public static bool ShouldNotify(UserPresence old, UserPresence next)
    {
        if (old == next) return false;
        if (old.StatusMsg != next.StatusMsg || old.State != next.State) return true;
        var bumped = next.LastActiveTs - old.LastActiveTs > LastActiveGranularityMs;
        if (old.State == PresenceStates.Online)
            return next.CurrentlyActive != old.CurrentlyActive || (bumped && !next.CurrentlyActive);
        return bumped;
    }
}
