using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>
/// One http pusher at work (Synapse's HttpPusher): it sends the user's unread notifying actions after its own
/// position, in order, one POST each, and records its position after each delivery, so a restart resumes after
/// the last delivered notification (at-least-once; the gateway de-duplicates by event_id). A failing gateway
/// is retried with exponential back-off; this pusher alone waits, every other pusher goes on.
/// </summary>
internal sealed class HttpPusher
{
    const int BatchSize = 50;

    readonly PusherPool _pool;
    readonly object _gate = new();
    Storage.Pusher _config;
    long _position;
    long _target;
    bool _running;
    bool _waitingRetry;
    bool _stopped;
    TimeSpan _backoff;
    long? _failingSince;
    int? _lastBadge;

    public HttpPusher(PusherPool pool, Storage.Pusher config, string url)
    {
        _pool = pool;
        _config = config;
        Url = url;
        _position = config.LastStreamOrdering;
        _target = config.LastStreamOrdering;
        _failingSince = config.FailingSince;
        _backoff = pool.Settings.InitialBackoff;
    }

    public string UserId => _config.UserId;
    public string AppId => _config.AppId;
    public string Pushkey => _config.Pushkey;
    public string Url { get; private set; }
    /// <summary>When the pusher was last set (a new set replaces this object).</summary>
    public long PushkeyTs => _config.PushkeyTs;
    /// <summary>Everything up to here is delivered, given up on, or read.</summary>
    public long Position { get { lock (_gate) return _position; } }
    public bool IsFailing { get { lock (_gate) return _failingSince is not null; } }
    string Name => $"{_config.UserId}/{_config.AppId}/{_config.Pushkey}";

    /// <summary>There may be notifications up to <paramref name="maxStreamOrdering"/>: start sending unless already
    /// at it, or waiting to retry a failing gateway (the retry covers them).</summary>
    public void OnNewNotifications(long maxStreamOrdering)
    {
        lock (_gate)
        {
            _target = Math.Max(_target, maxStreamOrdering);
            if (_running || _waitingRetry || _stopped || _position >= _target) return;
            _running = true;
        }
        _ = Task.Run(RunAsync);
    }

    public void Stop()
    {
        lock (_gate) _stopped = true;
    }

    async Task RunAsync()
    {
        while (true)
        {
            long target;
            lock (_gate) target = _target;
            bool caughtUp;
            try
            {
                caughtUp = await ProcessAsync(target);
            }
            catch (Exception e) when (!_pool.Stopping.IsCancellationRequested)
            {
                _pool.Log.LogWarning(e, "Pusher {Pusher}: processing failed", Name);
                caughtUp = false;
            }
            catch (Exception)
            {
                // Shutting down.
                lock (_gate) _running = false;
                return;
            }
            lock (_gate)
            {
                if (_stopped)
                {
                    _running = false;
                    return;
                }
                if (!caughtUp)
                {
                    _running = false;
                    _waitingRetry = true;
                    ScheduleRetry(_backoff);
                    _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _pool.Settings.MaxBackoff.Ticks));
                    return;
                }
                if (_target <= target)
                {
                    _running = false;
                    return;
                }
            }
        }
    }

    void ScheduleRetry(TimeSpan delay)
    {
        _pool.Log.LogInformation("Pusher {Pusher}: push failed, retrying in {Delay}", Name, delay);
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(delay, _pool.Time, _pool.Stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            lock (_gate)
            {
                _waitingRetry = false;
                if (_stopped || _running) return;
                _running = true;
            }
            await RunAsync();
        });
    }

    /// <summary>Sends what is unread in (position, target]; false when the gateway failed and a retry is due.</summary>
    async Task<bool> ProcessAsync(long target)
    {
        var db = _pool.Database;
        while (Position < target)
        {
            var actions = await db.Pushers.GetUnreadActionsAsync(UserId, Position, target, BatchSize);
            foreach (var action in actions)
            {
                // Deleted (by its device logging out, another user taking the pushkey) or changed since loaded.
                var current = await db.Pushers.GetAsync(UserId, AppId, Pushkey);
                if (current is null || _stopped)
                {
                    Stop();
                    return true;
                }
                if (current.PushkeyTs != _config.PushkeyTs)
                {
                    // Set again since loaded: the pool starts it afresh from the position the new set gave it.
                    Stop();
                    _ = _pool.ReloadUserInBackground(UserId);
                    return true;
                }
                _config = current;

                var outcome = await SendAsync(action);
                var now = _pool.Time.GetUtcNow().ToUnixTimeMilliseconds();
                if (outcome.Delivered)
                {
                    lock (_gate)
                    {
                        _position = action.Event.StreamOrdering;
                        _backoff = _pool.Settings.InitialBackoff;
                        _failingSince = null;
                    }
                    _pool.Metrics.Sent();
                    if (!await db.Pushers.RecordSuccessAsync(UserId, AppId, Pushkey, action.Event.StreamOrdering, now))
                    {
                        Stop();
                        return true;
                    }
                    if (outcome.Rejected.Contains(Pushkey))
                    {
                        // spec: a rejected pushkey is to be removed.
                        _pool.Log.LogInformation("Pusher {Pusher}: the gateway rejected the pushkey; removing it", Name);
                        await _pool.RemoveAsync(this);
                        return true;
                    }
                    continue;
                }

                _pool.Metrics.Failed();
                _pool.Log.LogWarning("Pusher {Pusher}: push of {EventId} failed: {Error}", Name, action.Event.EventId, outcome.Error);
                long failingSince;
                lock (_gate) failingSince = _failingSince ??= now;
                if (_config.FailingSince is null)
                    await db.Pushers.SetFailingSinceAsync(UserId, AppId, Pushkey, failingSince);
                if (failingSince >= now - (long)_pool.Settings.GiveUpAfter.TotalMilliseconds) return false;

                // Synapse gives up on a notification after a day of failures, so a gateway that comes back does
                // not get a day's backlog at once.
                _pool.Log.LogWarning("Pusher {Pusher}: giving up on {EventId}", Name, action.Event.EventId);
                lock (_gate)
                {
                    _position = action.Event.StreamOrdering;
                    _failingSince = null;
                    _backoff = _pool.Settings.InitialBackoff;
                }
                await db.Pushers.SetLastStreamOrderingAsync(UserId, AppId, Pushkey, action.Event.StreamOrdering);
                await db.Pushers.SetFailingSinceAsync(UserId, AppId, Pushkey, null);
            }
            if (actions.Count < BatchSize)
                lock (_gate) _position = Math.Max(_position, target);
        }
        return true;
    }

    async Task<PushOutcome> SendAsync(PushActionToSend action)
    {
        var pdu = JsonNode.Parse(action.Event.Json) as JsonObject ?? new JsonObject();
        var actions = JsonNode.Parse(action.ActionsJson) as JsonArray ?? [];
        var tweaks = PushNotifications.Tweaks(actions);
        var badge = await _pool.BadgeAsync(UserId);
        var data = JsonNode.Parse(_config.DataJson) as JsonObject ?? new JsonObject();
        var eventIdOnly = data["format"] is JsonValue f && f.TryGetValue<string>(out var format) && format == "event_id_only";
        string? senderName = null, roomName = null;
        if (!eventIdOnly)
            (senderName, roomName) = await _pool.NamesAsync(action.Event, UserId);
        var body = PushNotifications.ForEvent(pdu, action.Event.EventId, UserId, tweaks, badge, Device(data), eventIdOnly,
            _pool.Settings.IncludeContent, senderName, roomName);
        var outcome = await _pool.Gateway.NotifyAsync(Url, body, _pool.Stopping);
        if (outcome.Delivered && outcome.Rejected.Count == 0)
            lock (_gate) _lastBadge = badge;
        return outcome;
    }

    PushDevice Device(JsonObject data) => new(AppId, Pushkey, _config.PushkeyTs, data);

    /// <summary>A receipt of the user moved: Synapse sends the new unread count alone when it changed.</summary>
    public async Task UpdateBadgeAsync()
    {
        if (_stopped) return;
        var badge = await _pool.BadgeAsync(UserId);
        lock (_gate)
        {
            if (_lastBadge == badge) return;
            _lastBadge = badge;
        }
        var data = JsonNode.Parse(_config.DataJson) as JsonObject ?? new JsonObject();
        var outcome = await _pool.Gateway.NotifyAsync(Url, PushNotifications.BadgeUpdate(badge, Device(data)), _pool.Stopping);
        if (!outcome.Delivered)
            _pool.Log.LogWarning("Pusher {Pusher}: badge update failed: {Error}", Name, outcome.Error);
    }
}
