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

    [Fact]
    public async Task PutPushRule_NotYetSupported_ReturnsUnrecognized()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(Base + "/global/room/!abc:localhost", new { actions = new[] { "notify" } });
        Assert.Equal(404, r.Status);
        Assert.Equal("M_UNRECOGNIZED", r.ErrCode);
    }
}
