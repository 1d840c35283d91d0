using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>spec: client-server API "Push Rules" — "Predefined Rules" (v1.19).</summary>
public static class DefaultPushRules
{
    /// <summary>
    /// The server-default ruleset for <paramref name="userId"/>, in the shape GET /pushrules/ returns.
    /// spec v1.17 removed the legacy body-matching rules (.m.rule.contains_display_name,
    /// .m.rule.roomnotif, .m.rule.contains_user_name), so they are absent.
    /// </summary>
    public static JsonObject Ruleset(string userId) => Ruleset(userId, includeLegacyMentionRules: false);

    /// <summary>
    /// As <see cref="Ruleset(string)"/>; with <paramref name="includeLegacyMentionRules"/> the pre-v1.17
    /// body-matching mention rules are added where Synapse still puts them, for clients that predate
    /// intentional mentions.
    /// </summary>
    public static JsonObject Ruleset(string userId, bool includeLegacyMentionRules)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var overrides = new JsonArray
        {
            Rule(".m.rule.master", enabled: false, new JsonArray(), new JsonArray()),
            Rule(".m.rule.suppress_notices", true,
                Conditions(EventMatch("content.msgtype", "m.notice")), new JsonArray()),
            Rule(".m.rule.invite_for_me", true,
                Conditions(
                    EventMatch("type", "m.room.member"),
                    EventMatch("content.membership", "invite"),
                    EventMatch("state_key", userId)),
                Actions("notify", Sound("default"))),
            Rule(".m.rule.member_event", true,
                Conditions(EventMatch("type", "m.room.member")), new JsonArray()),
            Rule(".m.rule.is_user_mention", true,
                Conditions(new JsonObject
                {
                    ["kind"] = "event_property_contains",
                    ["key"] = "content.m\\.mentions.user_ids",
                    ["value"] = userId,
                }),
                Actions("notify", Sound("default"), Highlight())),
        };

        if (includeLegacyMentionRules)
        {
            overrides.Add(Rule(".m.rule.contains_display_name", true,
                Conditions(new JsonObject { ["kind"] = "contains_display_name" }),
                Actions("notify", Sound("default"), Highlight())));
        }

        overrides.Add(Rule(".m.rule.is_room_mention", true,
            Conditions(
                new JsonObject { ["kind"] = "event_property_is", ["key"] = "content.m\\.mentions.room", ["value"] = true },
                new JsonObject { ["kind"] = "sender_notification_permission", ["key"] = "room" }),
            Actions("notify", Highlight())));

        if (includeLegacyMentionRules)
        {
            overrides.Add(Rule(".m.rule.roomnotif", true,
                Conditions(
                    EventMatch("content.body", "@room"),
                    new JsonObject { ["kind"] = "sender_notification_permission", ["key"] = "room" }),
                Actions("notify", Highlight())));
        }

        overrides.Add(Rule(".m.rule.tombstone", true,
            Conditions(EventMatch("type", "m.room.tombstone"), EventMatch("state_key", "")),
            Actions("notify", Highlight())));
        overrides.Add(Rule(".m.rule.reaction", true,
            Conditions(EventMatch("type", "m.reaction")), new JsonArray()));
        overrides.Add(Rule(".m.rule.room.server_acl", true,
            Conditions(EventMatch("type", "m.room.server_acl"), EventMatch("state_key", "")), new JsonArray()));
        overrides.Add(Rule(".m.rule.suppress_edits", true,
            Conditions(new JsonObject
            {
                ["kind"] = "event_property_is",
                ["key"] = "content.m\\.relates_to.rel_type",
                ["value"] = "m.replace",
            }),
            new JsonArray()));

        var content = new JsonArray();
        if (includeLegacyMentionRules && MatrixIds.TryParseUserId(userId, out var localpart, out _))
        {
            var rule = Rule(".m.rule.contains_user_name", true, null, Actions("notify", Sound("default"), Highlight()));
            rule["pattern"] = localpart;
            content.Add(rule);
        }

        var underride = new JsonArray
        {
            Rule(".m.rule.call", true,
                Conditions(EventMatch("type", "m.call.invite")),
                Actions("notify", Sound("ring"))),
            Rule(".m.rule.encrypted_room_one_to_one", true,
                Conditions(MemberCount("2"), EventMatch("type", "m.room.encrypted")),
                Actions("notify", Sound("default"))),
            Rule(".m.rule.room_one_to_one", true,
                Conditions(MemberCount("2"), EventMatch("type", "m.room.message")),
                Actions("notify", Sound("default"))),
            Rule(".m.rule.message", true,
                Conditions(EventMatch("type", "m.room.message")), Actions("notify")),
            Rule(".m.rule.encrypted", true,
                Conditions(EventMatch("type", "m.room.encrypted")), Actions("notify")),
        };

        return new JsonObject
        {
            ["global"] = new JsonObject
            {
                ["override"] = overrides,
                ["content"] = content,
                ["room"] = new JsonArray(),
                ["sender"] = new JsonArray(),
                ["underride"] = underride,
            },
        };
    }

    private static JsonObject Rule(string ruleId, bool enabled, JsonArray? conditions, JsonArray actions)
    {
        var rule = new JsonObject
        {
            ["rule_id"] = ruleId,
            ["default"] = true,
            ["enabled"] = enabled,
        };
        if (conditions is not null)
        {
            rule["conditions"] = conditions;
        }

        rule["actions"] = actions;
        return rule;
    }

    private static JsonArray Conditions(params JsonObject[] conditions) => new(conditions);

    private static JsonArray Actions(params JsonNode[] actions) => new(actions);

    private static JsonObject EventMatch(string key, string pattern) =>
        new() { ["kind"] = "event_match", ["key"] = key, ["pattern"] = pattern };

    private static JsonObject MemberCount(string isValue) =>
        new() { ["kind"] = "room_member_count", ["is"] = isValue };

    private static JsonObject Sound(string sound) => new() { ["set_tweak"] = "sound", ["value"] = sound };

    private static JsonObject Highlight() => new() { ["set_tweak"] = "highlight" };
}
