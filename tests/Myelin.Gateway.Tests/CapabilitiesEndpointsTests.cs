using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class CapabilitiesEndpointsTests(GatewayFixture fx)
{
    [Fact]
    public async Task GetCapabilities_Authenticated_ListsRoomVersionsAndFlags()
    {
        using var alice = await fx.NewClient().RegisterAsync();

        var r = await alice.GetAsync("/_matrix/client/v3/capabilities");

        Assert.Equal(200, r.Status);
        var caps = r.Json["capabilities"]!;
        var versions = caps["m.room_versions"]!;
        Assert.Equal("10", (string?)versions["default"]);
        Assert.Equal("stable", (string?)versions["available"]!["10"]);
        Assert.Equal("stable", (string?)versions["available"]!["11"]);
        Assert.True(caps["m.change_password"]!["enabled"]!.GetValue<bool>());
        Assert.True(caps["m.set_displayname"]!["enabled"]!.GetValue<bool>());
        Assert.True(caps["m.set_avatar_url"]!["enabled"]!.GetValue<bool>());
        Assert.False(caps["m.3pid_changes"]!["enabled"]!.GetValue<bool>());
        Assert.False(caps["m.get_login_token"]!["enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task GetCapabilities_R0Prefix_IsServed()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync("/_matrix/client/r0/capabilities");
        Assert.Equal(200, r.Status);
        Assert.NotNull(r.Json["capabilities"]);
    }

    [Fact]
    public async Task GetCapabilities_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/capabilities");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }
}
