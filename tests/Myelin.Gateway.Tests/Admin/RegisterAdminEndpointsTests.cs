using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Admin;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests.Admin;

[Collection(AdminCollection.Name)]
public sealed class RegisterAdminEndpointsTests(AdminFixture fx)
{
    const string Path = "/_synapse/admin/v1/register";

    async Task<string> NonceAsync(MatrixClient c) => (await c.GetAsync(Path)).Json["nonce"]!.GetValue<string>();

    static JsonObject Body(string nonce, string user, string password, bool admin, string? mac = null) => new()
    {
        ["nonce"] = nonce, ["username"] = user, ["password"] = password, ["admin"] = admin, ["displayname"] = "Shown Name",
        ["mac"] = mac ?? RegisterAdminEndpoints.Mac(AdminFixture.Secret, nonce, user, password, admin),
    };

    [Fact]
    public async Task Register_ValidMac_CreatesUserThatLogsIn()
    {
        using var c = fx.NewClient();
        var user = MatrixClient.NewLocalpart("ss");
        var r = await c.PostAsync(Path, Body(await NonceAsync(c), user, "pw one", admin: false));

        Assert.Equal(200, r.Status);
        Assert.Equal($"@{user}:localhost", r.Json["user_id"]!.GetValue<string>());
        Assert.NotNull(r.Json["access_token"]);
        Assert.NotNull(r.Json["device_id"]);
        var login = await c.PostAsync("/_matrix/client/v3/login", new { type = "m.login.password", user, password = "pw one" });
        Assert.Equal(200, login.Status);
        var shown = await fx.Admin.GetAsync($"/_synapse/admin/v2/users/@{user}:localhost");
        Assert.Equal("Shown Name", shown.Json["displayname"]!.GetValue<string>());
        Assert.False(shown.Json["admin"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Register_AdminFlag_MakesServerAdmin()
    {
        var user = MatrixClient.NewLocalpart("ssa");
        using var c = await fx.RegisterWithSecretAsync(user, "pw", admin: true);

        var r = await c.GetAsync($"/_synapse/admin/v1/users/@{user}:localhost/admin");

        Assert.Equal(200, r.Status);
        Assert.True(r.Json["admin"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Register_WrongMac_Forbidden()
    {
        using var c = fx.NewClient();
        var nonce = await NonceAsync(c);
        var r = await c.PostAsync(Path, Body(nonce, MatrixClient.NewLocalpart(), "pw", false,
            mac: RegisterAdminEndpoints.Mac("not the secret", nonce, "x", "pw", false)));
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Register_NonceUsedTwice_SecondIsUnrecognised()
    {
        using var c = fx.NewClient();
        var nonce = await NonceAsync(c);
        Assert.Equal(200, (await c.PostAsync(Path, Body(nonce, MatrixClient.NewLocalpart(), "pw", false))).Status);

        var again = await c.PostAsync(Path, Body(nonce, MatrixClient.NewLocalpart(), "pw", false));

        Assert.Equal(400, again.Status);
        Assert.Equal("M_UNKNOWN", again.ErrCode);
    }

    [Fact]
    public async Task Register_UnknownNonce_Unknown()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync(Path, Body("made-up", MatrixClient.NewLocalpart(), "pw", false));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Fact]
    public async Task Register_TakenUsername_UserInUse()
    {
        using var c = fx.NewClient();
        var user = MatrixClient.NewLocalpart();
        Assert.Equal(200, (await c.PostAsync(Path, Body(await NonceAsync(c), user, "pw", false))).Status);

        var r = await c.PostAsync(Path, Body(await NonceAsync(c), user, "pw", false));

        Assert.Equal(400, r.Status);
        Assert.Equal("M_USER_IN_USE", r.ErrCode);
    }

    [Fact]
    public async Task Register_MissingMacOrNotJson_BadRequest()
    {
        using var c = fx.NewClient();
        var body = Body(await NonceAsync(c), MatrixClient.NewLocalpart(), "pw", false);
        body.Remove("mac");
        var noMac = await c.PostAsync(Path, body);
        Assert.Equal(400, noMac.Status);
        Assert.Equal("M_BAD_JSON", noMac.ErrCode);

        var notJson = await c.SendAsync(HttpMethod.Post, Path, rawBody: "nope");
        Assert.Equal(400, notJson.Status);
        Assert.Equal("M_NOT_JSON", notJson.ErrCode);
    }

    [Fact]
    public async Task ServerVersion_AnyoneWithoutToken_Answers()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_synapse/admin/v1/server_version");
        Assert.Equal(200, r.Status);
        Assert.False(string.IsNullOrEmpty(r.Json["server_version"]!.GetValue<string>()));
    }

    static async Task<(int Exit, string Output)> RunCommandAsync(params string[] args)
    {
        var dll = System.IO.Path.Combine(AppContext.BaseDirectory, "Myelin.Gateway.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, RegisterNewMatrixUserCommandName, .. args])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (p.ExitCode, await stdout + await stderr);
    }

    const string RegisterNewMatrixUserCommandName = "register_new_matrix_user";

    [Fact]
    public async Task Command_WithConfig_RegistersAdminOnRunningGateway()
    {
        var user = MatrixClient.NewLocalpart("cli");
        var config = System.IO.Path.Combine(fx.Gateway.Directory, "homeserver.yaml");

        var (exit, output) = await RunCommandAsync("-c", config, "-u", user, "-p", "cli password", "-a");

        Assert.True(exit == 0, output);
        Assert.Contains("Success!", output);
        var r = await fx.Admin.GetAsync($"/_synapse/admin/v2/users/@{user}:localhost");
        Assert.Equal(200, r.Status);
        Assert.True(r.Json["admin"]!.GetValue<bool>());
        using var c = fx.NewClient();
        Assert.Equal(200, (await c.PostAsync("/_matrix/client/v3/login", new { type = "m.login.password", user, password = "cli password" })).Status);
    }

    [Fact]
    public async Task Command_WrongSecret_FailsWithHmacError()
    {
        var (exit, output) = await RunCommandAsync("-k", "wrong secret", "-u", MatrixClient.NewLocalpart(), "-p", "pw", "--no-admin",
            fx.Gateway.BaseUrl.ToString());
        Assert.Equal(1, exit);
        Assert.Contains("HMAC incorrect", output);
    }

    [Fact]
    public async Task Command_NoUserWhenNotInteractive_Usage()
    {
        var (exit, output) = await RunCommandAsync("-k", AdminFixture.Secret, "-p", "pw", fx.Gateway.BaseUrl.ToString());
        Assert.Equal(2, exit);
        Assert.Contains("-u USER", output);
    }
}

/// <summary>Without registration_shared_secret the API is off, as Synapse's.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RegisterAdminDisabledTests(GatewayFixture fx)
{
    [Fact]
    public async Task GetNonce_NoSharedSecretConfigured_Refused()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_synapse/admin/v1/register");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }
}
