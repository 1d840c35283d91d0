using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class DevicesEndpointsTests(GatewayFixture fx)
{
    const string Password = "correct horse";

    static string DevicePath(string deviceId) => "/_matrix/client/v3/devices/" + Uri.EscapeDataString(deviceId);

    /// <summary>Logs the user in again: a second device with its own token.</summary>
    async Task<MatrixClient> LoginAgainAsync(MatrixClient user, string? displayName = null)
    {
        var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/login", new
        {
            type = "m.login.password",
            identifier = new { type = "m.id.user", user = user.UserId },
            password = Password,
            initial_device_display_name = displayName,
        });
        Assert.Equal(200, r.Status);
        c.AccessToken = r.Json["access_token"]!.GetValue<string>();
        return c;
    }

    static async Task<string> DeviceIdOf(MatrixClient c) =>
        (await c.GetAsync("/_matrix/client/v3/account/whoami")).Json["device_id"]!.GetValue<string>();

    static object PasswordAuth(MatrixClient user, string session, string password = Password) => new
    {
        type = "m.login.password",
        identifier = new { type = "m.id.user", user = user.UserId },
        password,
        session,
    };

    [Fact]
    public async Task GetDevices_TwoLogins_ListsBothWithTheirFields()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice, "phone");
        var phoneId = await DeviceIdOf(phone);

        var r = await alice.GetAsync("/_matrix/client/v3/devices");

        Assert.Equal(200, r.Status);
        var devices = r.Json["devices"]!.AsArray().Select(d => d!.AsObject()).ToList();
        Assert.Equal(2, devices.Count);
        Assert.Contains(devices, d => (string?)d["device_id"] == alice.DeviceId);
        var p = Assert.Single(devices, d => (string?)d["device_id"] == phoneId);
        Assert.Equal("phone", (string?)p["display_name"]);
        Assert.True(p.ContainsKey("last_seen_ts"));
        Assert.True(p.ContainsKey("last_seen_ip"));
    }

    [Fact]
    public async Task GetDevices_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/devices");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task GetDevices_UnknownToken_Returns401UnknownToken()
    {
        using var c = fx.NewClient();
        c.AccessToken = "syt_bm9ib2R5_notAToken_000000";
        var r = await c.GetAsync("/_matrix/client/v3/devices");
        Assert.Equal(401, r.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task GetDevice_OwnDevice_ReturnsIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(DevicePath(alice.DeviceId));
        Assert.Equal(200, r.Status);
        Assert.Equal(alice.DeviceId, (string?)r.Json["device_id"]);
    }

    [Fact]
    public async Task GetDevice_Unknown_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(DevicePath("NOSUCHDEVICE"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetDevice_OtherUsersDevice_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var r = await alice.GetAsync(DevicePath(bob.DeviceId));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task PutDevice_DisplayName_IsStored()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(DevicePath(alice.DeviceId), new { display_name = "My other phone" });
        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json);
        var get = await alice.GetAsync(DevicePath(alice.DeviceId));
        Assert.Equal("My other phone", (string?)get.Json["display_name"]);
    }

    [Fact]
    public async Task PutDevice_NoDisplayName_LeavesNameUnchanged()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        await alice.PutAsync(DevicePath(alice.DeviceId), new { display_name = "kept" });
        var r = await alice.PutAsync(DevicePath(alice.DeviceId), new { });
        Assert.Equal(200, r.Status);
        Assert.Equal("kept", (string?)(await alice.GetAsync(DevicePath(alice.DeviceId))).Json["display_name"]);
    }

    [Fact]
    public async Task PutDevice_Unknown_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(DevicePath("NOSUCHDEVICE"), new { display_name = "x" });
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task PutDevice_DisplayNameNotString_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(DevicePath(alice.DeviceId), new { display_name = 42 });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutDevice_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, DevicePath(alice.DeviceId), rawBody: "{not json");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutDevice_DisplayNameTooLong_Returns400TooLarge()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(DevicePath(alice.DeviceId), new { display_name = new string('a', 101) });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_TOO_LARGE", r.ErrCode);
    }

    [Fact]
    public async Task DeleteDevice_NoAuth_Returns401WithPasswordFlow()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        var r = await alice.DeleteAsync(DevicePath(await DeviceIdOf(phone)));

        Assert.Equal(401, r.Status);
        Assert.NotNull(r.Json["session"]);
        var stages = r.Json["flows"]!.AsArray().SelectMany(f => f!["stages"]!.AsArray()).Select(s => (string?)s);
        Assert.Contains("m.login.password", stages);
        // The device is still there.
        Assert.Equal(200, (await phone.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task DeleteDevice_WithPassword_DeletesDeviceAndItsToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        var phoneId = await DeviceIdOf(phone);
        var challenge = await alice.DeleteAsync(DevicePath(phoneId), new { });
        var session = challenge.Json["session"]!.GetValue<string>();

        var r = await alice.DeleteAsync(DevicePath(phoneId), new { auth = PasswordAuth(alice, session) });

        Assert.Equal(200, r.Status);
        Assert.Equal(404, (await alice.GetAsync(DevicePath(phoneId))).Status);
        var whoami = await phone.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(401, whoami.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", whoami.ErrCode);
        // The other session is untouched.
        Assert.Equal(200, (await alice.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task DeleteDevice_WrongPassword_Returns401Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        var phoneId = await DeviceIdOf(phone);
        var session = (await alice.DeleteAsync(DevicePath(phoneId), new { })).Json["session"]!.GetValue<string>();

        var r = await alice.DeleteAsync(DevicePath(phoneId), new { auth = PasswordAuth(alice, session, "wrong") });

        Assert.Equal(401, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
        Assert.Equal(200, (await phone.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task DeleteDevice_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.DeleteAsync(DevicePath("ANY"), new { });
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task DeleteDevices_WithPassword_DeletesAllListed()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var phone = await LoginAgainAsync(alice);
        using var laptop = await LoginAgainAsync(alice);
        var ids = new[] { await DeviceIdOf(phone), await DeviceIdOf(laptop), "ALREADYGONE" };
        var challenge = await alice.PostAsync("/_matrix/client/v3/delete_devices", new { devices = ids });
        Assert.Equal(401, challenge.Status);

        var r = await alice.PostAsync("/_matrix/client/v3/delete_devices",
            new { devices = ids, auth = PasswordAuth(alice, challenge.Json["session"]!.GetValue<string>()) });

        Assert.Equal(200, r.Status);
        var left = (await alice.GetAsync("/_matrix/client/v3/devices")).Json["devices"]!.AsArray();
        Assert.Equal(alice.DeviceId, (string?)Assert.Single(left)!["device_id"]);
        Assert.Equal(401, (await laptop.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task DeleteDevices_MissingDevices_Returns400MissingParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync("/_matrix/client/v3/delete_devices", new { });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_MISSING_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task DeleteDevices_DevicesNotStrings_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync("/_matrix/client/v3/delete_devices", new JsonObject { ["devices"] = new JsonArray(1, 2) });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task DeleteDevices_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Post, "/_matrix/client/v3/delete_devices", rawBody: "[oops");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }
}
