using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;
using Orleans.Concurrency;
using Orleans.Placement;

namespace Myelin.Grains.Rooms;

// Reentrant: building an event reads and updates the in-memory state with no await in between, so turns
// may interleave safely; that lets many sends of one room be in the group commit at the same time.
// Hash-based placement: rooms spread evenly over the silos that may host them (the placement filter keeps
// them to stream_writers.events), whatever each silo's load was at the moment a room first activated;
// resource-optimized placement put every room of a test on one persister at times.
[Reentrant]
[HashBasedPlacement]
public sealed class RoomGrain(
    MyelinDatabase db, ServerIdentity server, EventPersister persister, PushRulesCache pushRules, ILogger<RoomGrain> log) : Grain, IRoomGrain
{
    RoomState? _state;
    readonly Dictionary<TxnKey, Task<string>> _txns = new();
    // Admin API: a blocked room takes no joins, invites or knocks; a room being purged takes nothing.
    bool _blocked;
    bool _purging;
    readonly HashSet<Task> _inFlight = [];
    readonly RoomPushEvaluator _push = new(pushRules, server);

    string RoomId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        var record = await db.Rooms.GetRoomAsync(RoomId);
        if (record is null) return;
        var version = RoomVersions.Get(record.RoomVersion)
            ?? throw new InvalidOperationException($"room {RoomId} has unsupported version {record.RoomVersion}");
        var state = await db.Events.GetCurrentStateAsync(RoomId);
        var latest = await db.Events.GetLatestEventAsync(RoomId);
        _state = RoomState.Load(RoomId, version, record.Creator, state, latest);
        _blocked = await db.Admin.GetRoomBlockerAsync(RoomId) is not null;
    }

    public Task Block()
    {
        _blocked = true;
        return Task.CompletedTask;
    }

    public async Task Purge()
    {
        _purging = true;
        // Reentrant: sends already past the check may still be persisting; the purge goes after them.
        try { await Task.WhenAll(_inFlight.ToArray()); }
        catch (Exception) { /* a failed send left nothing to keep */ }
        await db.Admin.PurgeRoomAsync(RoomId);
        _state = null;
        DeactivateOnIdle();
    }

    public Task<RoomInfo?> GetInfo() => Task.FromResult(_state is null ? null
        : new RoomInfo(RoomId, _state.Version.Id, _state.Creator, _state.LastStreamOrdering));

    public Task<string?> GetMembership(string userId) => Task.FromResult(_state?.MembershipOf(userId));

    public async Task<RoomInfo> Create(CreateRoomCommand command)
    {
        if (_state is not null) throw new MatrixException(400, "M_ROOM_IN_USE", "Room ID already in use");
        var version = RoomVersions.Get(command.RoomVersion)
            ?? throw new MatrixException(400, "M_UNSUPPORTED_ROOM_VERSION", $"Room version {command.RoomVersion} is not supported");
        var state = RoomState.Empty(RoomId, version, command.Creator);

        var creation = JsonNode.Parse(command.CreationContentJson)!.AsObject();
        creation["room_version"] = version.Id;
        if (!version.CreatorIsSender) creation["creator"] = command.Creator;
        var drafts = new List<EventDraft>
        {
            new("m.room.create", "", command.Creator, creation.ToJsonString()),
            new("m.room.member", command.Creator, command.Creator, command.CreatorMemberContentJson),
            new("m.room.power_levels", "", command.Creator, command.PowerLevelsContentJson),
        };
        drafts.AddRange(command.InitialEvents);

        // The state is this call's own until it is stored below, so awaiting rulesets between builds is safe.
        var built = new List<NewEvent>(drafts.Count);
        foreach (var draft in drafts)
        {
            var plan = await PlanPushAsync(state, draft);
            var ev = state.Build(draft, server, null, out var pdu);
            built.Add(WithPushActions(ev, plan, pdu));
        }

        await db.Rooms.CreateRoomAsync(new RoomRecord(RoomId, version.Id, command.Creator, command.IsPublic, state.NowMs()));
        _state = state;
        try
        {
            var positions = await persister.PersistAsync(built);
            state.LastStreamOrdering = positions[^1];
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        return new RoomInfo(RoomId, version.Id, command.Creator, state.LastStreamOrdering);
    }

    public Task<string> Send(EventDraft draft, TxnKey? txn)
    {
        if (_purging) return Task.FromException<string>(MatrixException.Forbidden("This room has been shut down"));
        if (txn is null) return Track(SendCore(draft, null));
        if (_txns.TryGetValue(txn, out var existing)) return existing;
        var task = Track(SendCore(draft, txn));
        _txns[txn] = task;
        // The map only joins concurrent retries: once the send is done it leaves, so the map stays small.
        // A later retry finds the event in event_txn_id (written in the event's own transaction); a failed
        // send may be retried afresh.
        _ = task.ContinueWith(_ => _txns.Remove(txn), TaskScheduler.Current);
        return task;
    }

    Task<string> Track(Task<string> send)
    {
        if (send.IsCompleted) return send;
        _inFlight.Add(send);
        _ = send.ContinueWith(t => _inFlight.Remove(t), TaskScheduler.Current);
        return send;
    }

    /// <summary>Synapse: joins, invites and knocks of a blocked room are refused with 403, whatever the auth rules say.</summary>
    static bool IsEntry(EventDraft draft)
    {
        if (draft.Type != "m.room.member") return false;
        try
        {
            return JsonNode.Parse(draft.ContentJson)?["membership"] is JsonValue m && m.TryGetValue<string>(out var membership)
                && membership is "join" or "invite" or "knock";
        }
        catch (System.Text.Json.JsonException) { return false; }
    }

    async Task<string> SendCore(EventDraft draft, TxnKey? txn)
    {
        if (_blocked && IsEntry(draft)) throw MatrixException.Forbidden("This room has been blocked on this server");
        var scope = $"send:{RoomId}";
        if (txn is not null)
        {
            var earlier = await db.Transactions.GetResultAsync(txn.UserId, txn.DeviceId, scope, txn.TxnId);
            if (earlier is not null) return earlier;
        }
        var state = _state ?? throw MatrixException.Forbidden("Unknown room");
        StoredEvent? target = null;
        if (draft.Type == "m.room.redaction" && draft.Redacts is not null)
            target = await db.Events.GetEventAsync(draft.Redacts) is { } t && t.RoomId == RoomId ? t : null;

        // The members' push rulesets are loaded first; the plan of whom to notify is taken with no await
        // after it, like everything else from here to PersistAsync: the event is built against the state as it is now.
        IReadOnlyDictionary<string, PushRuleEvaluator>? loaded = null;
        PushPlan plan;
        while (!_push.TryPlan(state, draft, loaded, out plan, out var missing))
            loaded = Merge(loaded, await pushRules.LoadAsync(missing));
        if (draft.Type == "m.room.redaction") state.CheckRedaction(draft, target?.Sender);
        var leaving = draft.Type == "m.room.member" && draft.StateKey is { } member && state.MembershipOf(member) == "join";
        var ev = state.Build(draft, server, txn, out var pdu);
        ev = WithPushActions(ev, plan, pdu);
        if (target is not null) ev = state.ApplyRedaction(ev, target);
        if (txn is not null) ev = ev with { Txn = new EventTxn(txn.UserId, txn.DeviceId, scope, txn.TxnId) };
        long[] positions;
        try
        {
            positions = await persister.PersistAsync([ev]);
        }
        catch (Exception e)
        {
            Fail(e);
            throw;
        }
        state.LastStreamOrdering = Math.Max(state.LastStreamOrdering, positions[0]);
        // A member who leaves (or is kicked or banned) stops typing (Synapse's user_left_room).
        if (leaving && ev.Membership != "join") GrainFactory.Typing(RoomId).UserLeft(ev.StateKey!).Ignore();
        return ev.EventId;
    }

    async Task<PushPlan> PlanPushAsync(RoomState state, EventDraft draft)
    {
        IReadOnlyDictionary<string, PushRuleEvaluator>? loaded = null;
        PushPlan plan;
        while (!_push.TryPlan(state, draft, loaded, out plan, out var missing))
            loaded = Merge(loaded, await pushRules.LoadAsync(missing));
        return plan;
    }

    static IReadOnlyDictionary<string, PushRuleEvaluator> Merge(
        IReadOnlyDictionary<string, PushRuleEvaluator>? earlier, IReadOnlyDictionary<string, PushRuleEvaluator> fresh)
    {
        if (earlier is null) return fresh;
        var all = new Dictionary<string, PushRuleEvaluator>(earlier, StringComparer.Ordinal);
        foreach (var (user, rules) in fresh) all[user] = rules;
        return all;
    }

    /// <summary>The event with its notifying push actions. Evaluation failing costs the event its
    /// notifications, never its delivery.</summary>
    NewEvent WithPushActions(NewEvent ev, PushPlan plan, JsonObject pdu)
    {
        try
        {
            return RoomPushEvaluator.Evaluate(plan, pdu, ev.Membership) is { } actions ? ev with { PushActions = actions } : ev;
        }
        catch (Exception e)
        {
            log.LogError(e, "Evaluating push rules for {EventId} in {RoomId} failed", ev.EventId, RoomId);
            return ev;
        }
    }

    /// <summary>The in-memory state may be ahead of the database now: drop it and reload on next call.</summary>
    void Fail(Exception e)
    {
        log.LogError(e, "Persisting events of {RoomId} failed; the room reloads from the database", RoomId);
        _state = null;
        DeactivateOnIdle();
    }
}
