using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Rooms;

/// <summary>Whom an event is evaluated for, fixed against the room's state just before the event is built.</summary>
public sealed class PushPlan
{
    public static readonly PushPlan Nobody = new([], null, false);

    internal PushPlan(RoomPushEvaluator.Target[] targets, string? memberTarget, bool targetJoined)
    {
        Targets = targets;
        MemberTarget = memberTarget;
        TargetJoined = targetJoined;
    }

    internal RoomPushEvaluator.Target[] Targets { get; }
    /// <summary>For an m.room.member event: its target, the only member it is evaluated for.</summary>
    internal string? MemberTarget { get; }
    internal bool TargetJoined { get; }
}

/// <summary>
/// Evaluates a room's events against its local members' push rules as the room grain builds them
/// (Synapse's BulkPushRuleEvaluator), so the notifying actions go into the event's own transaction. Every
/// joined local member but the sender is evaluated, with the room's joined-member count, their display name
/// and the room's power levels (for sender_notification_permission) from the state before the event. As
/// Synapse does, a membership event is evaluated only for its target (when local, not the sender, and
/// already joined or being invited), so joins and leaves in a large room cost one evaluation.
/// <para>
/// The members' rules and contexts are kept between events and rebuilt only when the members or power
/// levels change or the cache drops a ruleset: a message costs one rules evaluation per member.
/// </para>
/// </summary>
public sealed class RoomPushEvaluator(PushRulesCache rules, ServerIdentity server)
{
    internal sealed record Target(string UserId, PushRuleEvaluator Rules, PushContext Context);

    Target[] _targets = [];
    RoomState? _forState;
    int _forVersion = -1;
    long _forGeneration = -1;

    /// <summary>
    /// The plan for <paramref name="draft"/> against the state as it is now, taken synchronously so that
    /// the event is built against the same state. False when some ruleset is not loaded: load
    /// <paramref name="missing"/> (<see cref="PushRulesCache.LoadAsync"/>) and try again with the result in
    /// <paramref name="loaded"/>.
    /// </summary>
    public bool TryPlan(RoomState state, EventDraft draft, IReadOnlyDictionary<string, PushRuleEvaluator>? loaded,
        out PushPlan plan, out IReadOnlyList<string> missing)
    {
        plan = PushPlan.Nobody;
        missing = [];
        if (draft.Type == "m.room.member")
        {
            var target = draft.StateKey;
            if (target is null || target == draft.Sender || !server.IsMine(target)) return true;
            var targetRules = rules.TryGet(target) ?? loaded?.GetValueOrDefault(target);
            if (targetRules is null)
            {
                missing = [target];
                return false;
            }
            var context = new PushContext(target, state.DisplayNameOf(target), state.JoinedMembers.Count, state.PowerLevels);
            plan = new PushPlan([new Target(target, targetRules, context)], target, state.MembershipOf(target) == "join");
            return true;
        }

        if (!ReferenceEquals(_forState, state) || _forVersion != state.MembersVersion || _forGeneration != rules.Generation)
        {
            // The generation is read before the lookups: a ruleset dropped after them moves it on, and the
            // next event rebuilds.
            var generation = rules.Generation;
            var members = state.JoinedMembers;
            var powerLevels = state.PowerLevels;
            var targets = new List<Target>(members.Count);
            List<string>? toLoad = null;
            foreach (var (userId, displayName) in members)
            {
                if (!server.IsMine(userId)) continue;
                var memberRules = rules.TryGet(userId) ?? loaded?.GetValueOrDefault(userId);
                if (memberRules is null) (toLoad ??= []).Add(userId);
                else targets.Add(new Target(userId, memberRules, new PushContext(userId, displayName, members.Count, powerLevels)));
            }
            if (toLoad is not null)
            {
                missing = toLoad;
                return false;
            }
            _targets = targets.ToArray();
            _forState = state;
            _forVersion = state.MembersVersion;
            _forGeneration = generation;
        }
        plan = _targets.Length == 0 ? PushPlan.Nobody : new PushPlan(_targets, null, false);
        return true;
    }

    /// <summary>The notifying actions for the built event (null when none), one per member whose rules notify.</summary>
    public static IReadOnlyList<NewPushAction>? Evaluate(PushPlan plan, JsonObject pdu, string? membership)
    {
        if (plan.Targets.Length == 0) return null;
        // spec: an invite notifies the invitee (.m.rule.invite_for_me); other membership changes only a
        // target who is in the room.
        if (plan.MemberTarget is not null && !plan.TargetJoined && membership != "invite") return null;
        var e = new PushEvent(pdu);
        List<NewPushAction>? actions = null;
        foreach (var target in plan.Targets)
        {
            if (target.UserId == e.Sender) continue;
            var context = target.Context;
            // Synapse: someone not in the room yet (an invitee) has the display name their member event gives.
            if (plan.MemberTarget is not null && context.DisplayName is null && e.String("content.displayname") is { } name)
                context = context with { DisplayName = name };
            var decision = target.Rules.Evaluate(e, context);
            if (decision.Notify)
                (actions ??= []).Add(new NewPushAction(target.UserId, decision.ActionsJson ?? "[]", Notify: true, decision.Highlight));
        }
        return actions;
    }
}
