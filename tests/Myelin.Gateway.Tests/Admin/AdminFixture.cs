using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Admin;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests.Admin;

/// <summary>A gateway with shared-secret registration enabled, and a server admin made through it.</summary>
public sealed class AdminFixture : IAsyncLifetime
{
    public const string Secret = "admin-tests-shared-secret";
    public GatewayProcess Gateway { get; private set; } = null!;
    public MatrixClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Gateway = await GatewayProcess.StartAsync($"registration_shared_secret: {Secret}");
        Admin = await RegisterWithSecretAsync(MatrixClient.NewLocalpart("admin"), "admin pw", admin: true);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Gateway.DisposeAsync();
    }

    public MatrixClient NewClient() => new(Gateway.BaseUrl);

    /// <summary>The shared-secret flow: a nonce, then the HMAC'd registration; the client keeps the token.</summary>
    public async Task<MatrixClient> RegisterWithSecretAsync(string localpart, string password, bool admin = false)
    {
        var c = NewClient();
        var nonce = (await c.GetAsync("/_synapse/admin/v1/register")).Json["nonce"]!.GetValue<string>();
        var r = await c.PostAsync("/_synapse/admin/v1/register", new JsonObject
        {
            ["nonce"] = nonce, ["username"] = localpart, ["password"] = password, ["admin"] = admin,
            ["mac"] = RegisterAdminEndpoints.Mac(Secret, nonce, localpart, password, admin),
        });
        if (r.Status != 200) throw new InvalidOperationException($"shared-secret registration failed: {r.Status} {r.Raw}");
        c.AccessToken = r.Json["access_token"]!.GetValue<string>();
        return c;
    }
}

[CollectionDefinition(Name)]
public sealed class AdminCollection : ICollectionFixture<AdminFixture>
{
    public const string Name = "admin";
}

static class AdminTestHelpers
{
    public static string E(string s) => Uri.EscapeDataString(s);

    public static async Task<string> UserIdOf(MatrixClient c) =>
        (await c.GetAsync("/_matrix/client/v3/account/whoami")).Json["user_id"]!.GetValue<string>();

    /// <summary>Polls a task status URL until it is no longer scheduled or active.</summary>
    public static async Task<JsonObject> WaitForTaskAsync(MatrixClient admin, string statusPath)
    {
        for (var i = 0; i < 200; i++)
        {
            var r = await admin.GetAsync(statusPath);
            Assert.Equal(200, r.Status);
            var status = r.Json["status"]!.GetValue<string>();
            if (status is not ("scheduled" or "active")) return r.Json;
            await Task.Delay(100);
        }
        throw new TimeoutException($"{statusPath} did not finish");
    }
}
