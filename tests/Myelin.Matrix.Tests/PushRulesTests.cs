using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class PushRulesTests
{
    private static string[] Ids(JsonNode? kind) =>
        kind!.AsArray().Select(r => (string)r!["rule_id"]!).ToArray();

    [Fact]
    public void Ruleset_Override_HasSpecRulesInSpecOrder()
    {
        var rules = DefaultPushRules.Ruleset("@alice:example.org");

        Assert.Equal(
            [".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
             ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone", ".m.rule.reaction",
             ".m.rule.room.server_acl", ".m.rule.suppress_edits"],
            Ids(rules["global"]!["override"]));
    }

    [Fact]
    public void Ruleset_Underride_HasSpecRulesInSpecOrder()
    {
        var rules = DefaultPushRules.Ruleset("@alice:example.org");

        Assert.Equal(
            [".m.rule.call", ".m.rule.encrypted_room_one_to_one", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted"],
            Ids(rules["global"]!["underride"]));
    }

    [Fact]
    public void Ruleset_ContentRoomSender_EmptySinceV117()
    {
        var global = DefaultPushRules.Ruleset("@alice:example.org")["global"]!;

        Assert.Empty(global["content"]!.AsArray());
        Assert.Empty(global["room"]!.AsArray());
        Assert.Empty(global["sender"]!.AsArray());
    }

    [Fact]
    public void Ruleset_AllRules_AreDefaultAndOnlyMasterDisabled()
    {
        var global = DefaultPushRules.Ruleset("@alice:example.org")["global"]!.AsObject();

        foreach (var (_, kind) in global)
        {
            foreach (var rule in kind!.AsArray())
            {
                Assert.True((bool)rule!["default"]!);
                Assert.Equal((string)rule["rule_id"]! != ".m.rule.master", (bool)rule["enabled"]!);
            }
        }
    }

    [Fact]
    public void Ruleset_Master_MatchesSpecDefinition()
    {
        var master = DefaultPushRules.Ruleset("@a:x")["global"]!["override"]![0];

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"rule_id":".m.rule.master","default":true,"enabled":false,"conditions":[],"actions":[]}"""),
            master));
    }

    [Fact]
    public void Ruleset_InviteForMe_MatchesSpecWithUserId()
    {
        var rule = Find(DefaultPushRules.Ruleset("@alice:example.org"), "override", ".m.rule.invite_for_me");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.invite_for_me",
                "default": true,
                "enabled": true,
                "conditions": [
                    { "key": "type", "kind": "event_match", "pattern": "m.room.member" },
                    { "key": "content.membership", "kind": "event_match", "pattern": "invite" },
                    { "key": "state_key", "kind": "event_match", "pattern": "@alice:example.org" }
                ],
                "actions": [ "notify", { "set_tweak": "sound", "value": "default" } ]
            }
            """), rule));
    }

    [Fact]
    public void Ruleset_IsUserMention_MatchesSpecWithUserId()
    {
        var rule = Find(DefaultPushRules.Ruleset("@alice:example.org"), "override", ".m.rule.is_user_mention");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.is_user_mention",
                "default": true,
                "enabled": true,
                "conditions": [
                    { "kind": "event_property_contains", "key": "content.m\\.mentions.user_ids", "value": "@alice:example.org" }
                ],
                "actions": [ "notify", { "set_tweak": "sound", "value": "default" }, { "set_tweak": "highlight" } ]
            }
            """), rule));
    }

    [Fact]
    public void Ruleset_IsRoomMention_MatchesSpec()
    {
        var rule = Find(DefaultPushRules.Ruleset("@alice:example.org"), "override", ".m.rule.is_room_mention");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.is_room_mention",
                "default": true,
                "enabled": true,
                "conditions": [
                    { "kind": "event_property_is", "key": "content.m\\.mentions.room", "value": true },
                    { "kind": "sender_notification_permission", "key": "room" }
                ],
                "actions": [ "notify", { "set_tweak": "highlight" } ]
            }
            """), rule));
    }

    [Fact]
    public void Ruleset_SuppressEditsAndTombstone_MatchSpec()
    {
        var rules = DefaultPushRules.Ruleset("@alice:example.org");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.suppress_edits", "default": true, "enabled": true,
                "conditions": [ { "kind": "event_property_is", "key": "content.m\\.relates_to.rel_type", "value": "m.replace" } ],
                "actions": []
            }
            """), Find(rules, "override", ".m.rule.suppress_edits")));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.tombstone", "default": true, "enabled": true,
                "conditions": [
                    { "kind": "event_match", "key": "type", "pattern": "m.room.tombstone" },
                    { "kind": "event_match", "key": "state_key", "pattern": "" }
                ],
                "actions": [ "notify", { "set_tweak": "highlight" } ]
            }
            """), Find(rules, "override", ".m.rule.tombstone")));
    }

    [Fact]
    public void Ruleset_CallAndOneToOne_MatchSpec()
    {
        var rules = DefaultPushRules.Ruleset("@alice:example.org");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.call", "default": true, "enabled": true,
                "conditions": [ { "key": "type", "kind": "event_match", "pattern": "m.call.invite" } ],
                "actions": [ "notify", { "set_tweak": "sound", "value": "ring" } ]
            }
            """), Find(rules, "underride", ".m.rule.call")));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.encrypted_room_one_to_one", "default": true, "enabled": true,
                "conditions": [
                    { "kind": "room_member_count", "is": "2" },
                    { "kind": "event_match", "key": "type", "pattern": "m.room.encrypted" }
                ],
                "actions": [ "notify", { "set_tweak": "sound", "value": "default" } ]
            }
            """), Find(rules, "underride", ".m.rule.encrypted_room_one_to_one")));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {
                "rule_id": ".m.rule.message", "default": true, "enabled": true,
                "conditions": [ { "kind": "event_match", "key": "type", "pattern": "m.room.message" } ],
                "actions": [ "notify" ]
            }
            """), Find(rules, "underride", ".m.rule.message")));
    }

    [Fact]
    public void Ruleset_WithLegacyMentionRules_AddsThemInSynapseOrder()
    {
        var rules = DefaultPushRules.Ruleset("@alice:example.org", includeLegacyMentionRules: true);

        var overrides = Ids(rules["global"]!["override"]);
        Assert.Equal(
            [".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
             ".m.rule.is_user_mention", ".m.rule.contains_display_name", ".m.rule.is_room_mention", ".m.rule.roomnotif",
             ".m.rule.tombstone", ".m.rule.reaction", ".m.rule.room.server_acl", ".m.rule.suppress_edits"],
            overrides);
        var content = Find(rules, "content", ".m.rule.contains_user_name");
        Assert.Equal("alice", (string?)content["pattern"]);
    }

    [Fact]
    public void Ruleset_TwoCalls_ReturnIndependentObjects()
    {
        var a = DefaultPushRules.Ruleset("@alice:example.org");
        a["global"]!["override"]!.AsArray().Clear();

        Assert.NotEmpty(DefaultPushRules.Ruleset("@alice:example.org")["global"]!["override"]!.AsArray());
    }

    private static JsonNode Find(JsonObject rules, string kind, string ruleId) =>
        rules["global"]![kind]!.AsArray().Single(r => (string)r!["rule_id"]! == ruleId)!;
}
