using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>Counts of pushes, for the logs and the metrics listener.</summary>
public sealed class PusherMetrics
{
    long _sent, _failed;
    public long SentTotal => Interlocked.Read(ref _sent);
    public long FailedTotal => Interlocked.Read(ref _failed);
    internal void Sent() => Interlocked.Increment(ref _sent);
    internal void Failed() => Interlocked.Increment(ref _failed);
}

/// <summary>
/// The http pushers of the users this instance serves (Synapse's PusherPool): of <c>pusher_instances</c>, the one
/// <see cref="PusherShards"/> names for the user. It starts every such pusher from its stored position, hands new
/// notifications to the pushers of the users they concern, tells them of their users' receipts (badge updates),
/// and follows pushers being set and deleted: announced on the pushers stream, and read again every
/// <see cref="PusherSettings.RefreshInterval"/>.
/// </summary>
public sealed class PusherPool : IDisposable
{
    const int StateCacheSize = 256;

    readonly IReplicationBus _bus;
    readonly string _instance;
    readonly IReadOnlyList<string> _instances;
    readonly ConcurrentDictionary<string, ConcurrentDictionary<(string AppId, string Pushkey), HttpPusher>> _byUser = new();
    readonly ConcurrentDictionary<string, IReadOnlyList<PushStateEvent>> _stateAt = new();
    readonly CancellationTokenSource _stopping = new();
    readonly SemaphoreSlim _reload = new(1, 1);
    IDisposable? _subscription;

    public PusherPool(MyelinDatabase db, IReplicationBus bus, IPushGatewayClient gateway, PusherSettings settings, string instance,
        IReadOnlyList<string> instances, TimeProvider time, ILogger log)
    {
        Database = db;
        _bus = bus;
        Gateway = gateway;
        Settings = settings;
        _instance = instance;
        _instances = instances;
        Time = time;
        Log = log;
    }

    internal MyelinDatabase Database { get; }
    internal IPushGatewayClient Gateway { get; }
    internal PusherSettings Settings { get; }
    internal TimeProvider Time { get; }
    internal ILogger Log { get; }
    internal CancellationToken Stopping => _stopping.Token;
    public PusherMetrics Metrics { get; } = new();

    /// <summary>Whether this instance sends the user's notifications.</summary>
    public bool Handles(string userId) => PusherShards.InstanceFor(userId, _instances) == _instance;

    /// <summary>The pushers running here (for tests and diagnostics).</summary>
    public int Count => _byUser.Values.Sum(p => p.Count);

    /// <summary>Loads every pusher of the users served here and starts each from its stored position.</summary>
    public async Task StartAsync()
    {
        _subscription = _bus.Subscribe(u =>
        {
            if (u.Stream == StreamNames.Receipts && u.UserIds.Count > 0) OnReceipts(u.UserIds);
        });
        await RefreshAsync();
    }

    /// <summary>Reads every pusher again: starts new ones, replaces re-set ones, stops deleted ones.</summary>
    public async Task RefreshAsync()
    {
        var all = await Database.Pushers.GetAllAsync();
        await _reload.WaitAsync();
        try
        {
            var mine = all.Where(p => Handles(p.UserId)).GroupBy(p => p.UserId).ToDictionary(g => g.Key, g => g.ToList());
            foreach (var user in _byUser.Keys.Where(u => !mine.ContainsKey(u)).ToList()) Apply(user, []);
            foreach (var (user, pushers) in mine) Apply(user, pushers);
        }
        finally
        {
            _reload.Release();
        }
    }

    /// <summary>The user's pushers changed (the pushers stream said so): read them again.</summary>
    public async Task ReloadUserAsync(string userId)
    {
        if (!Handles(userId)) return;
        var pushers = await Database.Pushers.GetForUserAsync(userId);
        await _reload.WaitAsync();
        try
        {
            Apply(userId, pushers);
        }
        finally
        {
            _reload.Release();
        }
    }

    internal async Task ReloadUserInBackground(string userId)
    {
        try
        {
            await ReloadUserAsync(userId);
        }
        catch (Exception e)
        {
            Log.LogWarning(e, "Reading the pushers of {User} failed; the next refresh will", userId);
        }
    }

    void Apply(string userId, IReadOnlyList<Storage.Pusher> stored)
    {
        var running = _byUser.GetOrAdd(userId, _ => new());
        var wanted = stored.Where(p => p.Kind == "http").ToDictionary(p => (p.AppId, p.Pushkey));
        foreach (var (key, pusher) in running)
            if (!wanted.TryGetValue(key, out var s) || s.PushkeyTs != pusher.PushkeyTs)
            {
                pusher.Stop();
                running.TryRemove(key, out _);
            }
        var upTo = _bus.Position(StreamNames.Events);
        foreach (var (key, config) in wanted)
        {
            if (running.ContainsKey(key)) continue;
            if (UrlOf(config) is not { } url)
            {
                Log.LogWarning("Pusher {User}/{AppId}/{Pushkey} has no usable data.url; not started", userId, key.AppId, key.Pushkey);
                continue;
            }
            var pusher = new HttpPusher(this, config, url);
            running[key] = pusher;
            Log.LogInformation("Starting pusher {User}/{AppId}/{Pushkey} from {Position}", userId, key.AppId, key.Pushkey,
                config.LastStreamOrdering);
            pusher.OnNewNotifications(upTo);
        }
        if (running.IsEmpty) _byUser.TryRemove(userId, out _);
    }

    static string? UrlOf(Storage.Pusher p) =>
        JsonNode.Parse(p.DataJson) is JsonObject o && o["url"] is JsonValue v && v.TryGetValue<string>(out var url) ? url : null;

    /// <summary>These users have notifications at or below <paramref name="maxStreamOrdering"/> (a safe position).</summary>
    public void OnNewNotifications(IEnumerable<string> userIds, long maxStreamOrdering)
    {
        foreach (var user in userIds)
            if (_byUser.TryGetValue(user, out var pushers))
                foreach (var p in pushers.Values) p.OnNewNotifications(maxStreamOrdering);
    }

    void OnReceipts(IEnumerable<string> userIds)
    {
        foreach (var user in userIds)
            if (_byUser.TryGetValue(user, out var pushers))
                foreach (var p in pushers.Values)
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await p.UpdateBadgeAsync();
                        }
                        catch (Exception e) when (!Stopping.IsCancellationRequested)
                        {
                            Log.LogWarning(e, "Badge update for {User} failed", user);
                        }
                        catch (OperationCanceledException) { }
                    });
    }

    /// <summary>Deletes the pusher (its pushkey was rejected) and stops it.</summary>
    internal async Task RemoveAsync(HttpPusher pusher)
    {
        pusher.Stop();
        await Database.Pushers.DeleteAsync(pusher.UserId, pusher.AppId, pusher.Pushkey);
        if (_byUser.TryGetValue(pusher.UserId, out var pushers)) pushers.TryRemove((pusher.AppId, pusher.Pushkey), out _);
    }

    /// <summary>The user's unread count as a push carries it (Synapse's get_badge_count): invites, plus the joined
    /// rooms with unread notifications (or their notifications, when not grouped by room).</summary>
    internal async Task<int> BadgeAsync(string userId)
    {
        var memberships = await Database.Events.GetMembershipsForUserAsync(userId);
        var invites = memberships.Count(m => m.Membership == "invite" && !m.Forgotten);
        var joined = memberships.Where(m => m.Membership == "join").Select(m => m.RoomId).ToList();
        var counts = await Database.PushActions.GetUnreadCountsAsync(userId, joined, long.MaxValue);
        return Settings.GroupUnreadCountByRoom
            ? PushNotifications.Badge(invites, counts.Select(c => c.Notifications))
            : invites + (int)counts.Sum(c => c.Notifications);
    }

    /// <summary>The sender's display name and the room's name for the user, from the room's state at the event.</summary>
    internal async Task<(string? Sender, string? Room)> NamesAsync(StoredEvent e, string userId)
    {
        if (!_stateAt.TryGetValue(e.EventId, out var state))
        {
            state = (await Database.Events.GetStateAtAsync(e.RoomId, e.StreamOrdering))
                .Where(s => s.StateKey is not null && s.Type is "m.room.name" or "m.room.canonical_alias" or "m.room.member"
                    or "m.room.third_party_invite")
                .Select(s => JsonNode.Parse(s.Json) is JsonObject pdu
                    ? new PushStateEvent(s.Type, s.StateKey!, s.Sender, s.OriginServerTs, pdu["content"] as JsonObject ?? [])
                    : null)
                .OfType<PushStateEvent>().ToList();
            if (_stateAt.Count >= StateCacheSize) _stateAt.Clear();
            _stateAt[e.EventId] = state;
        }
        var sender = state.FirstOrDefault(s => s.Type == "m.room.member" && s.StateKey == e.Sender);
        return (sender is null ? null : PushNotifications.NameOf(sender), PushNotifications.RoomName(state, userId));
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _stopping.Cancel();
        foreach (var pushers in _byUser.Values)
            foreach (var p in pushers.Values) p.Stop();
    }
}
