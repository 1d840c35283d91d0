using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class PushRulesEndpointsTests(GatewayFixture fx)
{
    const string Base = "/_matrix/client/v3/pushrules";

    static IEnumerable<string?> RuleIds(JsonNode? rules) => rules!.AsArray().Select(r => (string?)r!["rule_id"]);

    [Fact]
    public async Task GetPushRules_Root_ReturnsDefaultRulesetForTheUser()
    {
        using var alice = await fx.NewClient().RegisterAsync();

        var r = await alice.GetAsync(Base + "/");

        Assert.Equal(200, r.Status);
        var global = r.Json["global"]!;
        Assert.Contains(".m.rule.master", RuleIds(global["override"]));
        Assert.Contains(".m.rule.message", RuleIds(global["underride"]));
        Assert.Empty(global["room"]!.AsArray());
        Assert.Empty(global["sender"]!.AsArray());
        var invite = global["override"]!.AsArray().Single(x => (string?)x!["rule_id"] == ".m.rule.invite_for_me")!;
        Assert.Contains(invite["conditions"]!.AsArray(), c => (string?)c!["pattern"] == alice.UserId);
    }

    [Fact]
    public async Task GetPushRules_WithoutTrailingSlash_ReturnsRuleset()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base);
        Assert.Equal(200, r.Status);
        Assert.NotNull(r.Json["global"]);
    }

    [Fact]
    public async Task GetPushRules_Global_ReturnsTheKinds()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/");
        Assert.Equal(200, r.Status);
        foreach (var kind in new[] { "override", "content", "room", "sender", "underride" })
            Assert.IsType<JsonArray>(r.Json[kind]);
    }

    [Fact]
    public async Task GetPushRules_Kind_ReturnsItsRules()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/underride/");
        Assert.Equal(200, r.Status);
        Assert.Contains(".m.rule.call", RuleIds(r.Body));
    }

    [Fact]
    public async Task GetPushRule_Known_ReturnsTheRule()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/override/.m.rule.master");
        Assert.Equal(200, r.Status);
        Assert.Equal(".m.rule.master", (string?)r.Json["rule_id"]);
        Assert.True(r.Json["default"]!.GetValue<bool>());
        Assert.False(r.Json["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task GetPushRuleEnabled_Known_ReturnsWrappedValue()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/underride/.m.rule.message/enabled");
        Assert.Equal(200, r.Status);
        Assert.True(r.Json["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task GetPushRuleActions_Known_ReturnsActions()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/underride/.m.rule.message/actions");
        Assert.Equal(200, r.Status);
        Assert.Contains(r.Json["actions"]!.AsArray(), a => (string?)(a as JsonValue) == "notify");
    }

    [Fact]
    public async Task GetPushRule_Unknown_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + "/global/override/no.such.rule");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Theory]
    [InlineData("/global")]
    [InlineData("/global/override")]
    [InlineData("/device/")]
    [InlineData("/global/nokind/")]
    [InlineData("/global/override/.m.rule.master/nosuchattr")]
    public async Task GetPushRules_MalformedPath_Returns400Unrecognized(string path)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(Base + path);
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNRECOGNIZED", r.ErrCode);
    }

    [Fact]
    public async Task GetPushRules_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(Base + "/");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    static IEnumerable<string> RuleIds(JsonNode ruleset, string kind) =>
        ruleset["global"]![kind]!.AsArray().Select(r => r!["rule_id"]!.GetValue<string>());

    [Fact]
    public async Task PutRoomRule_AppearsInRulesetAndSync()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var since = (await alice.SyncAsync())["next_batch"]!.GetValue<string>();
        var r = await alice.PutAsync(Base + "/global/room/" + Uri.EscapeDataString("!abc:localhost"), new { actions = new[] { "notify" } });
        Assert.Equal(200, r.Status);
        var rule = await alice.GetAsync(Base + "/global/room/" + Uri.EscapeDataString("!abc:localhost"));
        Assert.Equal(200, rule.Status);
        Assert.False(rule.Json["default"]!.GetValue<bool>());
        Assert.True(rule.Json["enabled"]!.GetValue<bool>());
        var sync = await alice.SyncAsync(since, timeoutMs: 5000);
        var pushRules = sync["account_data"]!["events"]!.AsArray().First(e => e!["type"]!.GetValue<string>() == "m.push_rules")!;
        Assert.Contains("!abc:localhost", RuleIds(pushRules["content"]!, "room"));
    }

    [Fact]
    public async Task PutOverrideRules_BeforeAndAfter_OrderThem()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var cond = new[] { new { kind = "event_match", key = "type", pattern = "m.room.message" } };
        Assert.Equal(200, (await alice.PutAsync(Base + "/global/override/a", new { actions = new[] { "notify" }, conditions = cond })).Status);
        Assert.Equal(200, (await alice.PutAsync(Base + "/global/override/b?after=a", new { actions = new[] { "notify" }, conditions = cond })).Status);
        Assert.Equal(200, (await alice.PutAsync(Base + "/global/override/c?before=a", new { actions = new[] { "notify" }, conditions = cond })).Status);
        var ids = RuleIds((await alice.GetAsync(Base + "/")).Json, "override").ToList();
        Assert.Equal(".m.rule.master", ids[0]);
        Assert.Equal(["c", "a", "b"], ids.Skip(1).Take(3));
    }

    [Fact]
    public async Task PutRule_BeforeUnknownRule_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(Base + "/global/content/mine?before=nosuch", new { actions = new[] { "notify" }, pattern = "cake" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Theory]
    [InlineData("/global/override/.reserved", """{"actions":["notify"],"conditions":[]}""")]
    [InlineData("/global/content/nopattern", """{"actions":["notify"]}""")]
    [InlineData("/global/override/badaction", """{"actions":["explode"],"conditions":[]}""")]
    [InlineData("/global/override/badcond", """{"actions":["notify"],"conditions":[{"kind":"event_match"}]}""")]
    [InlineData("/global/override/unknowncond", """{"actions":["notify"],"conditions":[{"kind":"telepathy"}]}""")]
    [InlineData("/global/room/not-a-room", """{"actions":["notify"]}""")]
    public async Task PutRule_Invalid_Returns400(string path, string body)
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, Base + path, rawBody: body);
        Assert.Equal(400, r.Status);
        Assert.NotNull(r.ErrCode);
    }

    [Fact]
    public async Task DeleteRule_UserRuleGoes_DefaultRuleRefused_UnknownIs404()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        await alice.PutAsync(Base + "/global/content/cake", new { actions = new[] { "notify" }, pattern = "cake" });
        Assert.Equal(200, (await alice.DeleteAsync(Base + "/global/content/cake")).Status);
        Assert.Equal(404, (await alice.GetAsync(Base + "/global/content/cake")).Status);
        Assert.Equal(404, (await alice.DeleteAsync(Base + "/global/content/cake")).Status);
        Assert.Equal(400, (await alice.DeleteAsync(Base + "/global/override/.m.rule.master")).Status);
    }

    [Fact]
    public async Task DisableDefaultRule_AndChangeActions_ArePersisted()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Equal(200, (await alice.PutAsync(Base + "/global/override/.m.rule.master/enabled", new { enabled = true })).Status);
        Assert.Equal(200, (await alice.PutAsync(Base + "/global/underride/.m.rule.message/actions", new { actions = new object[] { "notify", new { set_tweak = "sound", value = "default" } } })).Status);
        var master = await alice.GetAsync(Base + "/global/override/.m.rule.master/enabled");
        Assert.True(master.Json["enabled"]!.GetValue<bool>());
        var actions = await alice.GetAsync(Base + "/global/underride/.m.rule.message/actions");
        Assert.Equal(2, actions.Json["actions"]!.AsArray().Count);
    }

    [Fact]
    public async Task SetEnabled_UnknownRule_Returns404_AndWrongType400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        Assert.Equal(404, (await alice.PutAsync(Base + "/global/override/nosuch/enabled", new { enabled = false })).Status);
        var bad = await alice.PutAsync(Base + "/global/override/.m.rule.master/enabled", new { enabled = "yes" });
        Assert.Equal(400, bad.Status);
    }
}
