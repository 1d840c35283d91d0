using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// Users' compiled push rules, shared by every room grain of the process, for evaluating events as they
/// are persisted (the rules cache behind Synapse's BulkPushRuleEvaluator). A ruleset is loaded from the
/// user's m.push_rules account data on a miss (none stored: the defaults), and dropped when the bus reports
/// account data (or push rules) of the user, which the push rules grain writes on every change.
/// <para>
/// Users whose rules differ only by their user ID share one compiled evaluator
/// (<see cref="PushRuleEvaluator.ShareKey"/>): everyone on the defaults, so a large room's members cost
/// one ruleset in memory, and evaluating them stays within the CPU's caches.
/// </para>
/// </summary>
public sealed class PushRulesCache : IDisposable
{
    const int MaxUsers = 200_000;
    // Changes are counted per stripe of users, so a load can tell whether one raced with its read.
    const int Stripes = 64;

    readonly MyelinDatabase _db;
    readonly ILogger<PushRulesCache> _log;
    readonly ConcurrentDictionary<string, PushRuleEvaluator> _rules = new(StringComparer.Ordinal);
    // Evaluators by share key; entries are never invalid (a key is the ruleset itself), only bounded.
    readonly ConcurrentDictionary<string, PushRuleEvaluator> _shared = new(StringComparer.Ordinal);
    PushRuleEvaluator? _defaults;
    readonly long[] _changes = new long[Stripes];
    readonly IDisposable _subscription;
    long _generation;

    public PushRulesCache(MyelinDatabase db, IReplicationBus bus, ILogger<PushRulesCache> log)
    {
        _db = db;
        _log = log;
        _subscription = bus.Subscribe(OnUpdate);
    }

    /// <summary>Moves on whenever a cached ruleset is dropped: whoever holds evaluators from
    /// <see cref="TryGet"/> checks it before using them again.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>The user's cached rules, or null when they must be loaded (<see cref="LoadAsync"/>).</summary>
    public PushRuleEvaluator? TryGet(string userId) => _rules.TryGetValue(userId, out var rules) ? rules : null;

    /// <summary>Reads and compiles the users' rulesets (one query), caches them, and returns them.</summary>
    public async Task<IReadOnlyDictionary<string, PushRuleEvaluator>> LoadAsync(IReadOnlyCollection<string> userIds)
    {
        var users = userIds.Distinct().ToArray();
        var seen = users.Select(u => Interlocked.Read(ref _changes[Stripe(u)])).ToArray();
        var stored = await _db.PushActions.GetPushRulesAsync(users);
        if (_rules.Count + users.Length > MaxUsers)
        {
            _rules.Clear();
            Interlocked.Increment(ref _generation);
        }
        if (_shared.Count > MaxUsers / 10) _shared.Clear();
        var result = new Dictionary<string, PushRuleEvaluator>(users.Length, StringComparer.Ordinal);
        for (var i = 0; i < users.Length; i++)
        {
            var rules = Compile(users[i], stored.GetValueOrDefault(users[i]));
            result[users[i]] = rules;
            // Kept only when no change of the user's account data arrived meanwhile: the read may predate it.
            if (Interlocked.Read(ref _changes[Stripe(users[i])]) == seen[i]) _rules[users[i]] = rules;
        }
        return result;
    }

    PushRuleEvaluator Compile(string userId, string? storedJson)
    {
        JsonObject? stored = null;
        if (storedJson is not null)
        {
            try { stored = JsonNode.Parse(storedJson) as JsonObject; }
            catch (JsonException e) { _log.LogWarning("Ignoring unreadable m.push_rules of {UserId}: {Error}", userId, e.Message); }
        }
        // No rules stored: the server defaults, the same for everyone up to their ID.
        if (stored is null && _defaults is { } defaults) return defaults;
        var compiled = new PushRuleEvaluator(PushRuleSet.FromStored(userId, stored).ToJson(), owner: userId);
        var shared = _shared.GetOrAdd(compiled.ShareKey!, compiled);
        if (stored is null) _defaults = shared;
        return shared;
    }

    // Runs on the bus's thread: only drops entries.
    void OnUpdate(StreamUpdate update)
    {
        if (update.Stream is not (StreamNames.AccountData or StreamNames.PushRules)) return;
        if (update.Everyone)
        {
            for (var i = 0; i < Stripes; i++) Interlocked.Increment(ref _changes[i]);
            _rules.Clear();
            Interlocked.Increment(ref _generation);
            return;
        }
        foreach (var user in update.UserIds)
        {
            Interlocked.Increment(ref _changes[Stripe(user)]);
            if (_rules.TryRemove(user, out _)) Interlocked.Increment(ref _generation);
        }
    }

    static int Stripe(string userId) => (int)((uint)StringComparer.Ordinal.GetHashCode(userId) % Stripes);

    public void Dispose() => _subscription.Dispose();
}
