using System.Text.Json.Nodes;
using Myelin.Matrix;

namespace Myelin.Matrix.Tests;

public sealed class PushRuleSetTests
{
    const string Alice = "@alice:example.org";

    static JsonObject Rule(string json) => JsonNode.Parse(json)!.AsObject();

    static List<string> Ids(JsonObject ruleset, string kind) =>
        ruleset["global"]![kind]!.AsArray().Select(r => r!["rule_id"]!.GetValue<string>()).ToList();

    [Fact]
    public void FromStored_Null_IsTheDefaultRuleset()
    {
        var json = PushRuleSet.FromStored(Alice, null).ToJson();
        Assert.Equal(DefaultPushRules.Ruleset(Alice).ToJsonString(), json.ToJsonString());
    }

    [Fact]
    public void Put_NewRule_GoesFirstAmongUserRulesAfterMaster()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        set.Put("override", "one", Rule("""{"actions":["notify"],"conditions":[]}"""), null, null);
        set.Put("override", "two", Rule("""{"actions":["notify"],"conditions":[]}"""), null, null);
        var ids = Ids(set.ToJson(), "override");
        Assert.Equal([".m.rule.master", "two", "one"], ids.Take(3));
    }

    [Fact]
    public void RoundTrip_ThroughStoredJson_KeepsUserRulesAndDefaultChanges()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        set.Put("content", "cake", Rule("""{"actions":["notify"],"pattern":"cake"}"""), null, null);
        set.SetEnabled("override", ".m.rule.master", true);
        var again = PushRuleSet.FromStored(Alice, set.ToJson());
        var json = again.ToJson();
        Assert.Contains("cake", Ids(json, "content"));
        var master = json["global"]!["override"]!.AsArray().First(r => (string?)r!["rule_id"] == ".m.rule.master")!;
        Assert.True(master["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public void FromStored_MissingNewDefault_AddsIt()
    {
        var stored = Rule("""{"global":{"override":[],"content":[],"room":[],"sender":[],"underride":[]}}""");
        var json = PushRuleSet.FromStored(Alice, stored).ToJson();
        Assert.Contains(".m.rule.master", Ids(json, "override"));
    }

    [Fact]
    public void Put_DotRuleId_Throws()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        var e = Assert.Throws<PushRuleException>(() => set.Put("override", ".mine", Rule("""{"actions":[]}"""), null, null));
        Assert.False(e.NotFound);
    }

    [Fact]
    public void Put_UpdateWithoutBeforeAfter_KeepsPosition()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        set.Put("underride", "a", Rule("""{"actions":["notify"],"conditions":[]}"""), null, null);
        set.Put("underride", "b", Rule("""{"actions":["notify"],"conditions":[]}"""), null, null);
        set.Put("underride", "a", Rule("""{"actions":[],"conditions":[]}"""), null, null);
        Assert.Equal(["b", "a"], Ids(set.ToJson(), "underride").Take(2));
    }

    [Theory]
    [InlineData("""{"kind":"room_member_count","is":"2"}""", true)]
    [InlineData("""{"kind":"room_member_count","is":">=10"}""", true)]
    [InlineData("""{"kind":"room_member_count","is":"=>2"}""", false)]
    [InlineData("""{"kind":"event_property_is","key":"content.x","value":true}""", true)]
    [InlineData("""{"kind":"event_property_is","key":"content.x","value":{"a":1}}""", false)]
    [InlineData("""{"kind":"contains_display_name"}""", true)]
    [InlineData("""{"kind":"sender_notification_permission","key":"room"}""", true)]
    [InlineData("""{"kind":"event_match","key":"type"}""", false)]
    public void Put_Condition_ValidatedPerKind(string condition, bool valid)
    {
        var set = PushRuleSet.FromStored(Alice, null);
        var body = Rule($$"""{"actions":["notify"],"conditions":[{{condition}}]}""");
        if (valid) set.Put("override", "r", body, null, null);
        else Assert.Throws<PushRuleException>(() => set.Put("override", "r", body, null, null));
    }

    [Fact]
    public void Delete_DefaultRule_Throws_UnknownRuleIsNotFound()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        Assert.False(Assert.Throws<PushRuleException>(() => set.Delete("override", ".m.rule.master")).NotFound);
        Assert.True(Assert.Throws<PushRuleException>(() => set.Delete("override", "nosuch")).NotFound);
    }
}
