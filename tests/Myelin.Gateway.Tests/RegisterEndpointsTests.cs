using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class RegisterEndpointsTests(GatewayFixture fx)
{
    [Fact]
    public async Task Register_NoAuth_Returns401WithDummyFlowAndSession()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register", new { username = MatrixClient.NewLocalpart(), password = "pw" });
        Assert.Equal(401, r.Status);
        Assert.Equal("m.login.dummy", r.Json["flows"]![0]!["stages"]![0]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(r.Json["session"]!.GetValue<string>()));
        Assert.Null(r.ErrCode);
    }

    [Fact]
    public async Task Register_DummyStageInSession_ReturnsTokenAndDevice()
    {
        using var c = fx.NewClient();
        var name = MatrixClient.NewLocalpart();
        var first = await c.PostAsync("/_matrix/client/v3/register", new { username = name, password = "pw" });
        var session = first.Json["session"]!.GetValue<string>();
        var r = await c.PostAsync("/_matrix/client/v3/register",
            new { username = name, password = "pw", device_id = "MYDEVICE", auth = new { type = "m.login.dummy", session } });
        Assert.Equal(200, r.Status);
        Assert.Equal($"@{name}:localhost", r.Json["user_id"]!.GetValue<string>());
        Assert.Equal("MYDEVICE", r.Json["device_id"]!.GetValue<string>());
        Assert.StartsWith("syt_", r.Json["access_token"]!.GetValue<string>());
    }

    [Fact]
    public async Task Register_InhibitLogin_ReturnsNoToken()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register",
            new { username = MatrixClient.NewLocalpart(), password = "pw", inhibit_login = true, auth = new { type = "m.login.dummy" } });
        Assert.Equal(200, r.Status);
        Assert.Null(r.Json["access_token"]);
        Assert.Null(r.Json["device_id"]);
    }

    [Fact]
    public async Task Register_TakenName_Returns400UserInUse()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register",
            new { username = a.UserId[1..a.UserId.IndexOf(':')], password = "pw", auth = new { type = "m.login.dummy" } });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_USER_IN_USE", r.ErrCode);
    }

    [Theory]
    [InlineData("UPPER")]
    [InlineData("has space")]
    [InlineData("bad:colon")]
    [InlineData("")]
    public async Task Register_InvalidUsername_Returns400InvalidUsername(string name)
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register", new { username = name, password = "pw", auth = new { type = "m.login.dummy" } });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_USERNAME", r.ErrCode);
    }

    [Fact]
    public async Task Register_MalformedJson_Returns400NotJson()
    {
        using var c = fx.NewClient();
        var r = await c.SendAsync(HttpMethod.Post, "/_matrix/client/v3/register", rawBody: "{not json");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task Register_UsernameWrongType_Returns400BadJson()
    {
        using var c = fx.NewClient();
        var r = await c.SendAsync(HttpMethod.Post, "/_matrix/client/v3/register", rawBody: """{"username": 5}""");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task Register_GuestKind_Returns403()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register?kind=guest", new { });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_GUEST_ACCESS_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Available_FreeAndTakenNames_AnswerTrueOrUserInUse()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var c = fx.NewClient();
        var free = await c.GetAsync("/_matrix/client/v3/register/available?username=" + MatrixClient.NewLocalpart());
        Assert.Equal(200, free.Status);
        Assert.True(free.Json["available"]!.GetValue<bool>());
        var taken = await c.GetAsync("/_matrix/client/v3/register/available?username=" + a.UserId[1..a.UserId.IndexOf(':')]);
        Assert.Equal(400, taken.Status);
        Assert.Equal("M_USER_IN_USE", taken.ErrCode);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class LoginEndpointsTests(GatewayFixture fx)
{
    [Fact]
    public async Task GetLogin_ListsPasswordFlow()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/login");
        Assert.Equal(200, r.Status);
        Assert.Contains(r.Json["flows"]!.AsArray(), f => f!["type"]!.GetValue<string>() == "m.login.password");
    }

    [Fact]
    public async Task Login_UserIdentifierAndPassword_ReturnsWorkingToken()
    {
        var name = MatrixClient.NewLocalpart();
        using var a = await fx.NewClient().RegisterAsync(name, "secret-pw");
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/login",
            new { type = "m.login.password", identifier = new { type = "m.id.user", user = name }, password = "secret-pw" });
        Assert.Equal(200, r.Status);
        c.AccessToken = r.Json["access_token"]!.GetValue<string>();
        var who = await c.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(a.UserId, who.Json["user_id"]!.GetValue<string>());
        Assert.Equal(r.Json["device_id"]!.GetValue<string>(), who.Json["device_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Login_WrongPassword_Returns403Forbidden()
    {
        var name = MatrixClient.NewLocalpart();
        using var a = await fx.NewClient().RegisterAsync(name, "right");
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/login",
            new { type = "m.login.password", identifier = new { type = "m.id.user", user = name }, password = "wrong" });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Login_UnknownType_Returns400Unknown()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/login", new { type = "m.login.magic" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Fact]
    public async Task Logout_Token_NoLongerWorks()
    {
        using var a = await fx.NewClient().RegisterAsync();
        Assert.Equal(200, (await a.PostAsync("/_matrix/client/v3/logout")).Status);
        var r = await a.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task LogoutAll_OtherSessions_NoLongerWork()
    {
        var name = MatrixClient.NewLocalpart();
        using var a = await fx.NewClient().RegisterAsync(name, "pw");
        using var b = fx.NewClient();
        var login = await b.PostAsync("/_matrix/client/v3/login", new { type = "m.login.password", user = name, password = "pw" });
        b.AccessToken = login.Json["access_token"]!.GetValue<string>();
        Assert.Equal(200, (await a.PostAsync("/_matrix/client/v3/logout/all")).Status);
        Assert.Equal(401, (await b.GetAsync("/_matrix/client/v3/account/whoami")).Status);
        Assert.Equal(401, (await a.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task WhoAmI_NoToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task WhoAmI_TokenInQuery_Works()
    {
        using var a = await fx.NewClient().RegisterAsync();
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/account/whoami?access_token=" + a.AccessToken);
        Assert.Equal(a.UserId, r.Json["user_id"]!.GetValue<string>());
    }
}
