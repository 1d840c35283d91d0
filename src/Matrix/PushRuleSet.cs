using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>A push rule change the spec refuses: 400 M_UNKNOWN, or 404 M_NOT_FOUND for a missing rule.</summary>
public sealed class PushRuleException(bool notFound, string message) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}

/// <summary>
/// A user's push rules (spec: "Push Rules"): the server-default rules with the user's enabled/actions
/// changes, plus the user's own rules, in evaluation order. The whole set is what the m.push_rules account
/// data holds, and it is rebuilt from that: defaults a newer server adds appear, changes to them are kept.
/// </summary>
public sealed class PushRuleSet
{
    public static readonly IReadOnlyList<string> Kinds = ["override", "content", "room", "sender", "underride"];
    const string MasterRule = ".m.rule.master";

    readonly string _userId;
    readonly Dictionary<string, List<JsonObject>> _user = Kinds.ToDictionary(k => k, _ => new List<JsonObject>());
    readonly Dictionary<string, bool> _enabled = new();
    readonly Dictionary<string, JsonArray> _actions = new();

    PushRuleSet(string userId) => _userId = userId;

    /// <summary>Rebuilds the set from a stored m.push_rules content (null: the defaults alone).</summary>
    public static PushRuleSet FromStored(string userId, JsonObject? stored)
    {
        var set = new PushRuleSet(userId);
        if (stored?["global"] is not JsonObject global) return set;
        foreach (var kind in Kinds)
        {
            if (global[kind] is not JsonArray rules) continue;
            foreach (var rule in rules.OfType<JsonObject>())
            {
                var id = rule["rule_id"]?.GetValue<string>();
                if (id is null) continue;
                if (rule["default"]?.GetValue<bool>() == true)
                {
                    if (rule["enabled"] is JsonValue e && e.TryGetValue<bool>(out var enabled)) set._enabled[Key(kind, id)] = enabled;
                    if (rule["actions"] is JsonArray a) set._actions[Key(kind, id)] = (JsonArray)a.DeepClone();
                }
                else
                {
                    set._user[kind].Add((JsonObject)rule.DeepClone());
                }
            }
        }
        return set;
    }

    static string Key(string kind, string ruleId) => kind + "\n" + ruleId;

    /// <summary>The ruleset as the API and the m.push_rules account data show it.</summary>
    public JsonObject ToJson()
    {
        var defaults = (JsonObject)DefaultPushRules.Ruleset(_userId)["global"]!;
        var global = new JsonObject();
        foreach (var kind in Kinds)
        {
            var merged = new JsonArray();
            var defaultRules = (defaults[kind] as JsonArray ?? []).OfType<JsonObject>().Select(r => Customised(kind, r)).ToList();
            // .m.rule.master comes first of all; otherwise the user's rules precede the server's defaults.
            foreach (var r in defaultRules.Where(r => (string?)r["rule_id"] == MasterRule)) merged.Add(r);
            foreach (var r in _user[kind]) merged.Add(r.DeepClone());
            foreach (var r in defaultRules.Where(r => (string?)r["rule_id"] != MasterRule)) merged.Add(r);
            global[kind] = merged;
        }
        return new JsonObject { ["global"] = global };
    }

    JsonObject Customised(string kind, JsonObject defaultRule)
    {
        var r = (JsonObject)defaultRule.DeepClone();
        var id = (string)r["rule_id"]!;
        if (_enabled.TryGetValue(Key(kind, id), out var enabled)) r["enabled"] = enabled;
        if (_actions.TryGetValue(Key(kind, id), out var actions)) r["actions"] = actions.DeepClone();
        return r;
    }

    bool IsDefault(string kind, string ruleId) =>
        ((JsonObject)DefaultPushRules.Ruleset(_userId)["global"]!)[kind] is JsonArray rules
        && rules.OfType<JsonObject>().Any(r => (string?)r["rule_id"] == ruleId);

    JsonObject? UserRule(string kind, string ruleId) => _user[kind].FirstOrDefault(r => (string?)r["rule_id"] == ruleId);

    public static void CheckKind(string kind)
    {
        if (!Kinds.Contains(kind)) throw new PushRuleException(false, $"Unknown push rule kind {kind}");
    }

    /// <summary>Adds or replaces a user rule (spec: PUT /pushrules/global/{kind}/{ruleId}).</summary>
    public void Put(string kind, string ruleId, JsonObject body, string? before, string? after)
    {
        CheckKind(kind);
        if (ruleId.Length == 0 || ruleId.StartsWith('.'))
            throw new PushRuleException(false, "Rule IDs starting with '.' are reserved for server-default rules");
        if (ruleId.Contains('/') || ruleId.Contains('\\'))
            throw new PushRuleException(false, "Rule IDs may not contain '/' or '\\'");
        if (kind == "room" && !MatrixIds.IsValidRoomId(ruleId))
            throw new PushRuleException(false, "A room rule's ID must be a room ID");
        if (kind == "sender" && !MatrixIds.IsValidUserId(ruleId))
            throw new PushRuleException(false, "A sender rule's ID must be a user ID");

        var rule = new JsonObject
        {
            ["rule_id"] = ruleId,
            ["default"] = false,
            ["enabled"] = UserRule(kind, ruleId)?["enabled"]?.GetValue<bool>() ?? true,
            ["actions"] = CheckActions(body["actions"]),
        };
        if (kind == "content")
        {
            if (body["pattern"] is not JsonValue p || !p.TryGetValue<string>(out var pattern) || pattern.Length == 0)
                throw new PushRuleException(false, "A content rule needs a 'pattern'");
            rule["pattern"] = pattern;
        }
        if (kind is "override" or "underride")
            rule["conditions"] = CheckConditions(body["conditions"]);

        var list = _user[kind];
        if (before is not null && list.All(r => (string?)r["rule_id"] != before))
            throw new PushRuleException(false, $"before/after rule not found: {before}");
        if (after is not null && list.All(r => (string?)r["rule_id"] != after))
            throw new PushRuleException(false, $"before/after rule not found: {after}");

        var existing = list.FindIndex(r => (string?)r["rule_id"] == ruleId);
        if (existing >= 0 && before is null && after is null)
        {
            list[existing] = rule; // an update keeps its place
            return;
        }
        if (existing >= 0) list.RemoveAt(existing);
        if (before is not null) list.Insert(list.FindIndex(r => (string?)r["rule_id"] == before), rule);
        else if (after is not null) list.Insert(list.FindIndex(r => (string?)r["rule_id"] == after) + 1, rule);
        else list.Insert(0, rule); // spec: a new rule is the highest priority of its kind
    }

    public void Delete(string kind, string ruleId)
    {
        CheckKind(kind);
        if (IsDefault(kind, ruleId)) throw new PushRuleException(false, "Server-default rules cannot be deleted");
        if (_user[kind].RemoveAll(r => (string?)r["rule_id"] == ruleId) == 0)
            throw new PushRuleException(true, "Unknown push rule");
    }

    public void SetEnabled(string kind, string ruleId, bool enabled)
    {
        CheckKind(kind);
        if (UserRule(kind, ruleId) is { } rule) rule["enabled"] = enabled;
        else if (IsDefault(kind, ruleId)) _enabled[Key(kind, ruleId)] = enabled;
        else throw new PushRuleException(true, "Unknown push rule");
    }

    public void SetActions(string kind, string ruleId, JsonNode? actions)
    {
        CheckKind(kind);
        var checkedActions = CheckActions(actions);
        if (UserRule(kind, ruleId) is { } rule) rule["actions"] = checkedActions;
        else if (IsDefault(kind, ruleId)) _actions[Key(kind, ruleId)] = checkedActions;
        else throw new PushRuleException(true, "Unknown push rule");
    }

    /// <summary>spec: actions are "notify", the legacy "dont_notify"/"coalesce", or {"set_tweak": ...}.</summary>
    static JsonArray CheckActions(JsonNode? actions)
    {
        if (actions is not JsonArray list) throw new PushRuleException(false, "'actions' must be an array");
        foreach (var a in list)
        {
            switch (a)
            {
                case JsonValue v when v.TryGetValue<string>(out var s) && s is "notify" or "dont_notify" or "coalesce":
                    break;
                case JsonObject o when o["set_tweak"] is JsonValue t && t.TryGetValue<string>(out _):
                    break;
                default:
                    throw new PushRuleException(false, $"Unknown push rule action {a?.ToJsonString()}");
            }
        }
        return (JsonArray)list.DeepClone();
    }

    /// <summary>spec: the condition kinds and the fields each needs. Unknown kinds are refused.</summary>
    static JsonArray CheckConditions(JsonNode? conditions)
    {
        if (conditions is null) return [];
        if (conditions is not JsonArray list) throw new PushRuleException(false, "'conditions' must be an array");
        foreach (var node in list)
        {
            if (node is not JsonObject c || c["kind"] is not JsonValue k || !k.TryGetValue<string>(out var kind))
                throw new PushRuleException(false, "A condition needs a 'kind'");
            var ok = kind switch
            {
                "event_match" => IsString(c["key"]) && IsString(c["pattern"]),
                "event_property_is" => IsString(c["key"]) && c["value"] is JsonValue v && v.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Array),
                "event_property_contains" => IsString(c["key"]) && c["value"] is JsonValue,
                "contains_display_name" => true,
                "room_member_count" => IsString(c["is"]) && RoomMemberCountIs((string)c["is"]!),
                "sender_notification_permission" => IsString(c["key"]),
                _ => false,
            };
            if (!ok) throw new PushRuleException(false, $"Invalid push rule condition of kind {kind}");
        }
        return (JsonArray)list.DeepClone();
    }

    static bool IsString(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out _);

    /// <summary>spec: "is" is an optional comparison (==, &lt;, &gt;, &gt;=, &lt;=) followed by an integer.</summary>
    static bool RoomMemberCountIs(string s)
    {
        var digits = s.TrimStart('=', '<', '>');
        var prefix = s[..(s.Length - digits.Length)];
        return prefix is "" or "==" or "<" or ">" or ">=" or "<=" && digits.Length > 0 && digits.All(char.IsAsciiDigit);
    }
}
