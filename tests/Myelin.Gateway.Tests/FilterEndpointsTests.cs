using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class FilterEndpointsTests(GatewayFixture fx)
{
    static string FilterPath(string userId, string? filterId = null) =>
        $"/_matrix/client/v3/user/{Uri.EscapeDataString(userId)}/filter" + (filterId is null ? "" : "/" + Uri.EscapeDataString(filterId));

    static JsonObject SampleFilter() => new()
    {
        ["room"] = new JsonObject
        {
            ["timeline"] = new JsonObject { ["limit"] = 10, ["types"] = new JsonArray("m.room.message") },
            ["state"] = new JsonObject { ["lazy_load_members"] = true },
        },
        ["presence"] = new JsonObject { ["not_types"] = new JsonArray("*") },
        ["event_fields"] = new JsonArray("type", "content", "sender"),
    };

    [Fact]
    public async Task PostFilter_Valid_ReturnsStringIdThatGetReturns()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var filter = SampleFilter();

        var post = await alice.PostAsync(FilterPath(alice.UserId), filter);

        Assert.Equal(200, post.Status);
        var id = post.Json["filter_id"]!.GetValue<string>();
        Assert.False(id.StartsWith('{'));
        var get = await alice.GetAsync(FilterPath(alice.UserId, id));
        Assert.Equal(200, get.Status);
        Assert.True(JsonNode.DeepEquals(filter, get.Body), get.Raw);
    }

    [Fact]
    public async Task PostFilter_Twice_GivesDistinctIds()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var a = (await alice.PostAsync(FilterPath(alice.UserId), new { })).Json["filter_id"]!.GetValue<string>();
        var b = (await alice.PostAsync(FilterPath(alice.UserId), SampleFilter())).Json["filter_id"]!.GetValue<string>();
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task PostFilter_UsedBySync_IsAccepted()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var id = (await alice.PostAsync(FilterPath(alice.UserId), SampleFilter())).Json["filter_id"]!.GetValue<string>();
        var sync = await alice.SyncAsync(filter: id);
        Assert.NotNull(sync["next_batch"]);
    }

    [Fact]
    public async Task PostFilter_TimelineLimitAbove100_IsStoredAs100()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var filter = new JsonObject { ["room"] = new JsonObject { ["timeline"] = new JsonObject { ["limit"] = 5000 } } };
        var id = (await alice.PostAsync(FilterPath(alice.UserId), filter)).Json["filter_id"]!.GetValue<string>();
        var get = await alice.GetAsync(FilterPath(alice.UserId, id));
        Assert.Equal(100, get.Json["room"]!["timeline"]!["limit"]!.GetValue<int>());
    }

    [Fact]
    public async Task PostFilter_OtherUser_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync(FilterPath(bob.UserId), SampleFilter());
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task PostFilter_InvalidDefinition_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync(FilterPath(alice.UserId), new { event_format = "xml" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostFilter_WrongFieldType_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync(FilterPath(alice.UserId), new { room = "everything" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostFilter_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Post, FilterPath(alice.UserId), rawBody: "{\"room\":");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostFilter_WithoutToken_Returns401MissingToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Post, FilterPath(alice.UserId), new { }, auth: false);
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task GetFilter_Unknown_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(FilterPath(alice.UserId, "999999"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetFilter_NonNumericId_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(FilterPath(alice.UserId, "abc"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetFilter_OtherUsersFilter_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var id = (await bob.PostAsync(FilterPath(bob.UserId), SampleFilter())).Json["filter_id"]!.GetValue<string>();
        var r = await alice.GetAsync(FilterPath(bob.UserId, id));
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task GetFilter_WithoutToken_Returns401MissingToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Get, FilterPath(alice.UserId, "0"), auth: false);
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }
}
