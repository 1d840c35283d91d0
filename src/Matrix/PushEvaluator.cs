using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Myelin.Matrix;

/// <summary>What one member's push rules say about one event. <paramref name="ActionsJson"/>: the matching
/// rule's actions as JSON (what event_push_actions and GET /notifications keep).</summary>
public readonly record struct PushDecision(bool Notify, bool Highlight, string? Sound, string? RuleId, string? ActionsJson = null)
{
    public static readonly PushDecision None = new(false, false, null, null);
}

/// <summary>The room facts the conditions need, for one member.</summary>
public sealed record PushContext(string UserId, string? DisplayName, int RoomMemberCount, PowerLevels PowerLevels);

/// <summary>
/// An event flattened once into its dot-separated property paths (spec appendices: "Dot-separated property
/// paths"), so that evaluating it for every member of a room costs dictionary lookups, not JSON walks.
/// </summary>
public sealed class PushEvent
{
    readonly Dictionary<string, JsonNode?> _properties = new(StringComparer.Ordinal);
    // String values read once: a JsonValue over parsed JSON makes a new string on every read.
    readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);

    public string Sender { get; }
    public string? RoomId { get; }
    public string? Body { get; }

    public PushEvent(JsonObject clientEvent)
    {
        Flatten("", clientEvent);
        Sender = clientEvent["sender"]?.GetValue<string>() ?? "";
        RoomId = clientEvent["room_id"]?.GetValue<string>();
        Body = String("content.body");
    }

    void Flatten(string prefix, JsonObject obj)
    {
        foreach (var (key, value) in obj)
        {
            var path = prefix + Escape(key);
            _properties[path] = value;
            if (value is JsonObject child) Flatten(path + ".", child);
            else if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) _strings[path] = v.GetValue<string>();
        }
    }

    static string Escape(string key) =>
        key.Contains('.') || key.Contains('\\') ? key.Replace("\\", "\\\\").Replace(".", "\\.") : key;

    public JsonNode? Property(string path) => _properties.GetValueOrDefault(path);
    public string? String(string path) => _strings.GetValueOrDefault(path);
    public bool Has(string path) => _properties.ContainsKey(path);
}

/// <summary>
/// Evaluates a user's push ruleset (spec: "Push Rules") against events: the first enabled rule whose
/// conditions all hold decides the actions. Rules are compiled once per ruleset; globs become regexes.
/// <para>
/// Compiled for its owner, a ruleset compares the conditions that name the owner's own user ID (the
/// defaults' invite and mention rules) with the evaluated member's user ID instead, so one evaluator serves
/// every user whose rules differ only by their ID (nearly everyone keeps the defaults): in a large room the
/// members share one compiled ruleset, which stays in the CPU's caches. <see cref="ShareKey"/> tells which
/// users may share.
/// </para>
/// </summary>
public sealed class PushRuleEvaluator
{
    delegate bool Condition(PushEvent e, PushContext ctx);

    sealed record CompiledRule(string RuleId, Condition[] Conditions, bool Notify, bool Highlight, string? Sound, string ActionsJson);

    /// <summary>Stands for the owner's user ID in <see cref="ShareKey"/> (no user ID contains a NUL).</summary>
    const string OwnerPlaceholder = "\u0000owner";

    static readonly Dictionary<(string Pattern, bool Words), Regex> GlobCache = new();
    readonly CompiledRule[] _rules;

    /// <summary>The ruleset compiled as it is: every condition compares with the values written in it.</summary>
    public PushRuleEvaluator(JsonObject ruleset) : this(ruleset, owner: null)
    {
    }

    /// <summary>
    /// The ruleset of <paramref name="owner"/>: a condition whose value is exactly the owner's user ID
    /// (event_match without wildcards, event_property_is, event_property_contains, a content rule's pattern)
    /// compares with <see cref="PushContext.UserId"/>. Two users' evaluators with the same
    /// <see cref="ShareKey"/> decide alike for either user.
    /// </summary>
    public PushRuleEvaluator(JsonObject ruleset, string? owner)
    {
        // The copy records the conditions bound to the owner (their value becomes the placeholder): what is
        // left names the ruleset up to its owner.
        var source = owner is null ? ruleset : (JsonObject)ruleset.DeepClone();
        var global = source["global"] as JsonObject ?? new JsonObject();
        var rules = new List<CompiledRule>();
        foreach (var kind in PushRuleSet.Kinds)
            foreach (var rule in (global[kind] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (rule["enabled"] is JsonValue en && en.TryGetValue<bool>(out var enabled) && !enabled) continue;
                if (Compile(kind, rule, owner) is { } compiled) rules.Add(compiled);
            }
        _rules = rules.ToArray();
        if (owner is not null)
        {
            // A ruleset holding a NUL of its own could pass for one with a bound condition: never shared.
            var own = ruleset.ToJsonString().Contains("\\u0000", StringComparison.Ordinal);
            ShareKey = own ? owner + "\n" + source.ToJsonString() : source.ToJsonString();
        }
    }

    /// <summary>The ruleset with the owner's ID taken out (null when compiled without an owner): evaluators
    /// of different users with equal keys are interchangeable.</summary>
    public string? ShareKey { get; }

    /// <summary>Whether the value is the owner's ID, to be compared with the evaluated member's; if so the
    /// ruleset copy gets the placeholder in its place.</summary>
    static bool BindsOwner(JsonObject holder, string property, string value, string? owner)
    {
        if (owner is null || value != owner || value.AsSpan().IndexOfAny('*', '?') >= 0) return false;
        holder[property] = OwnerPlaceholder;
        return true;
    }

    public PushDecision Evaluate(PushEvent e, PushContext ctx)
    {
        foreach (var rule in _rules)
        {
            var all = true;
            foreach (var c in rule.Conditions)
                if (!c(e, ctx)) { all = false; break; }
            if (all) return new PushDecision(rule.Notify, rule.Highlight, rule.Sound, rule.RuleId, rule.ActionsJson);
        }
        return PushDecision.None;
    }

    static CompiledRule? Compile(string kind, JsonObject rule, string? owner)
    {
        var id = rule["rule_id"]?.GetValue<string>() ?? "";
        Condition[] conditions;
        switch (kind)
        {
            case "override" or "underride":
                var list = new List<Condition>();
                foreach (var c in (rule["conditions"] as JsonArray ?? []).OfType<JsonObject>())
                    list.Add(CompileCondition(c, owner) ?? Never); // spec: an unknown condition never matches
                conditions = list.ToArray();
                break;
            case "content":
                var pattern = rule["pattern"]?.GetValue<string>();
                if (pattern is null) return null;
                if (BindsOwner(rule, "pattern", pattern, owner))
                {
                    conditions = [(e, ctx) => e.Body is { } b && ContainsWord(b, ctx.UserId)];
                    break;
                }
                var matches = Matcher(pattern, words: true);
                conditions = [(e, _) => e.Body is { } b && matches(b)];
                break;
            case "room":
                conditions = [(e, _) => e.RoomId == id];
                break;
            case "sender":
                conditions = [(e, _) => e.Sender == id];
                break;
            default:
                return null;
        }
        var actions = rule["actions"] as JsonArray;
        var (notify, highlight, sound) = Actions(actions);
        return new CompiledRule(id, conditions, notify, highlight, sound, actions?.ToJsonString() ?? "[]");
    }

    static bool Never(PushEvent e, PushContext ctx) => false;

    static (bool Notify, bool Highlight, string? Sound) Actions(JsonArray? actions)
    {
        bool notify = false, highlight = false;
        string? sound = null;
        foreach (var a in actions ?? [])
        {
            if (a is JsonValue v && v.TryGetValue<string>(out var s) && s == "notify") notify = true;
            else if (a is JsonObject o && o["set_tweak"]?.GetValue<string>() is { } tweak)
            {
                // spec: a highlight tweak without a value means true.
                if (tweak == "highlight") highlight = o["value"] is not JsonValue hv || !hv.TryGetValue<bool>(out var h) || h;
                else if (tweak == "sound") sound = o["value"]?.ToString();
            }
        }
        return (notify, highlight, sound);
    }

    static Condition? CompileCondition(JsonObject c, string? owner)
    {
        var key = c["key"] is JsonValue k && k.TryGetValue<string>(out var ks) ? ks : null;
        switch (c["kind"]?.GetValue<string>())
        {
            case "event_match":
            {
                if (key is null || c["pattern"] is not JsonValue p || !p.TryGetValue<string>(out var pattern)) return null;
                // spec: content.body matches any substring on word boundaries, other keys the whole value.
                if (BindsOwner(c, "pattern", pattern, owner))
                    return key == "content.body"
                        ? (e, ctx) => e.String(key) is { } s && ContainsWord(s, ctx.UserId)
                        : (e, ctx) => string.Equals(e.String(key), ctx.UserId, StringComparison.OrdinalIgnoreCase);
                var matches = Matcher(pattern, words: key == "content.body");
                return (e, _) => e.String(key) is { } s && matches(s);
            }
            case "event_property_is":
            {
                if (key is null || !c.ContainsKey("value")) return null;
                if (c["value"] is JsonValue ov && ov.TryGetValue<string>(out var os) && BindsOwner(c, "value", os, owner))
                    return (e, ctx) => e.String(key) == ctx.UserId;
                var expected = c["value"];
                return (e, _) => e.Has(key) && ScalarEquals(e.Property(key), expected);
            }
            case "event_property_contains":
            {
                if (key is null || !c.ContainsKey("value")) return null;
                if (c["value"] is JsonValue ov && ov.TryGetValue<string>(out var os) && BindsOwner(c, "value", os, owner))
                    return (e, ctx) => e.Property(key) is JsonArray arr && arr.Any(x => IsString(x, ctx.UserId));
                var expected = c["value"];
                return (e, _) => e.Property(key) is JsonArray arr && arr.Any(x => ScalarEquals(x, expected));
            }
            case "contains_display_name":
                return (e, ctx) => ctx.DisplayName is { Length: > 0 } name && e.Body is { } body && ContainsWord(body, name);
            case "room_member_count":
            {
                if (c["is"] is not JsonValue iv || !iv.TryGetValue<string>(out var spec)) return null;
                var digits = spec.TrimStart('=', '<', '>');
                var op = spec[..(spec.Length - digits.Length)];
                if (!int.TryParse(digits, out var n)) return null;
                Func<int, bool>? test = op switch
                {
                    "" or "==" => x => x == n,
                    "<" => x => x < n,
                    ">" => x => x > n,
                    ">=" => x => x >= n,
                    "<=" => x => x <= n,
                    _ => null,
                };
                return test is null ? null : (_, ctx) => test(ctx.RoomMemberCount);
            }
            case "sender_notification_permission":
                if (key is null) return null;
                return (e, ctx) => ctx.PowerLevels.UserLevel(e.Sender) >= ctx.PowerLevels.NotificationLevel(key);
            default:
                return null;
        }
    }

    static bool IsString(JsonNode? node, string expected) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == expected;

    /// <summary>spec: non-compound values compare exactly — strings, integers, booleans and null, no casting.</summary>
    static bool ScalarEquals(JsonNode? actual, JsonNode? expected)
    {
        if (actual is null || expected is null) return actual is null && expected is null;
        if (actual is not JsonValue a || expected is not JsonValue b) return false;
        var ka = a.GetValueKind();
        var kb = b.GetValueKind();
        if (ka != kb) return false;
        return ka switch
        {
            JsonValueKind.String => a.GetValue<string>() == b.GetValue<string>(),
            JsonValueKind.Number => a.TryGetValue<long>(out var x) && b.TryGetValue<long>(out var y) && x == y,
            JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => true,
            _ => false,
        };
    }

    /// <summary>
    /// spec appendices "Glob-style matching": * any run, ? one character; case-insensitive; with
    /// <paramref name="words"/>, anywhere in the value on word boundaries. A pattern with no wildcard (the
    /// defaults' user ID and type patterns, most keywords) is compared as a string: no regex to build per
    /// user, none to run per event.
    /// </summary>
    static Func<string, bool> Matcher(string pattern, bool words)
    {
        if (pattern.Length > 0 && pattern.AsSpan().IndexOfAny('*', '?') < 0)
            return words ? s => ContainsWord(s, pattern) : s => string.Equals(s, pattern, StringComparison.OrdinalIgnoreCase);
        return Glob(pattern, words).IsMatch;
    }

    /// <summary>
    /// Whether <paramref name="word"/> occurs in <paramref name="text"/>, ignoring case, with neither an ASCII
    /// letter, a digit nor '_' right before or after it (the spec's word boundary for content.body).
    /// </summary>
    public static bool ContainsWord(string text, string word)
    {
        if (word.Length == 0) return false;
        for (var from = 0; from <= text.Length - word.Length;)
        {
            var at = text.IndexOf(word, from, StringComparison.OrdinalIgnoreCase);
            if (at < 0) return false;
            var end = at + word.Length;
            if ((at == 0 || !IsWordChar(text[at - 1])) && (end == text.Length || !IsWordChar(text[end]))) return true;
            from = at + 1;
        }
        return false;
    }

    static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    static Regex Glob(string pattern, bool words)
    {
        lock (GlobCache)
        {
            if (GlobCache.TryGetValue((pattern, words), out var cached)) return cached;
            var sb = new StringBuilder();
            foreach (var ch in pattern)
                sb.Append(ch switch { '*' => ".*?", '?' => ".", _ => Regex.Escape(ch.ToString()) });
            var body = sb.ToString();
            var full = words ? $"(?:^|[^A-Za-z0-9_]){body}(?:[^A-Za-z0-9_]|$)" : $"^{body}$";
            var regex = new Regex(full, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.Compiled);
            if (GlobCache.Count > 10_000) GlobCache.Clear();
            GlobCache[(pattern, words)] = regex;
            return regex;
        }
    }
}
