using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;
using static Myelin.Gateway.Tests.Admin.AdminTestHelpers;

namespace Myelin.Gateway.Tests.Admin;

[Collection(AdminCollection.Name)]
public sealed class UsersAdminEndpointsTests(AdminFixture fx)
{
    static async Task<MatrixClient.Response> Login(MatrixClient c, string userId, string password) =>
        await c.PostAsync("/_matrix/client/v3/login", new { type = "m.login.password", identifier = new { type = "m.id.user", user = userId }, password });

    [Fact]
    public async Task AdminEndpoints_NonAdminOrNoToken_ForbiddenOrUnauthorized()
    {
        using var user = await fx.NewClient().RegisterAsync();
        using var anonymous = fx.NewClient();
        var target = E(user.UserId);
        (HttpMethod, string)[] endpoints =
        [
            (HttpMethod.Get, "/_synapse/admin/v2/users"), (HttpMethod.Get, $"/_synapse/admin/v2/users/{target}"),
            (HttpMethod.Put, $"/_synapse/admin/v2/users/{target}"), (HttpMethod.Post, $"/_synapse/admin/v1/deactivate/{target}"),
            (HttpMethod.Post, $"/_synapse/admin/v1/reset_password/{target}"), (HttpMethod.Get, $"/_synapse/admin/v1/whois/{E("@x:localhost")}"),
            (HttpMethod.Get, $"/_synapse/admin/v1/users/{target}/admin"), (HttpMethod.Put, $"/_synapse/admin/v1/users/{target}/admin"),
            (HttpMethod.Get, "/_synapse/admin/v1/rooms"), (HttpMethod.Get, "/_synapse/admin/v1/rooms/!r:localhost"),
            (HttpMethod.Get, "/_synapse/admin/v1/rooms/!r:localhost/members"), (HttpMethod.Get, "/_synapse/admin/v1/rooms/!r:localhost/state"),
            (HttpMethod.Delete, "/_synapse/admin/v2/rooms/!r:localhost"), (HttpMethod.Get, "/_synapse/admin/v2/rooms/!r:localhost/delete_status"),
            (HttpMethod.Get, "/_synapse/admin/v2/rooms/delete_status/x"), (HttpMethod.Post, "/_synapse/admin/v1/purge_history/!r:localhost"),
            (HttpMethod.Get, "/_synapse/admin/v1/purge_history_status/x"), (HttpMethod.Get, "/_synapse/admin/v1/event_reports"),
            (HttpMethod.Get, "/_synapse/admin/v1/event_reports/1"), (HttpMethod.Delete, "/_synapse/admin/v1/event_reports/1"),
        ];
        foreach (var (method, path) in endpoints)
        {
            var body = method == HttpMethod.Get ? null : "{\"admin\":true,\"new_password\":\"x\",\"purge_up_to_ts\":1}";
            var r = await user.SendAsync(method, path, rawBody: body);
            Assert.True(r.Status == 403 && r.ErrCode == "M_FORBIDDEN", $"{method} {path}: {r.Status} {r.Raw}");
            var a = await anonymous.SendAsync(method, path, rawBody: body);
            Assert.True(a.Status == 401 && a.ErrCode == "M_MISSING_TOKEN", $"{method} {path} without token: {a.Status} {a.Raw}");
        }
    }

    [Fact]
    public async Task ListUsers_NameFilterAndPaging_NextTokenAndTotal()
    {
        var tag = MatrixClient.NewLocalpart("lst")[..10];
        for (var i = 0; i < 3; i++) using (await fx.NewClient().RegisterAsync($"{tag}{i}")) { }

        var first = await fx.Admin.GetAsync($"/_synapse/admin/v2/users?name={tag}&limit=2");
        Assert.Equal(200, first.Status);
        Assert.Equal(3, first.Json["total"]!.GetValue<int>());
        Assert.Equal("2", first.Json["next_token"]!.GetValue<string>());
        var names = first.Json["users"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()).ToList();
        Assert.Equal([$"@{tag}0:localhost", $"@{tag}1:localhost"], names);
        var entry = first.Json["users"]![0]!.AsObject();
        foreach (var key in new[] { "is_guest", "admin", "user_type", "deactivated", "erased", "shadow_banned", "displayname", "avatar_url", "creation_ts", "locked" })
            Assert.True(entry.ContainsKey(key), key);

        var second = await fx.Admin.GetAsync($"/_synapse/admin/v2/users?name={tag}&limit=2&from=2");
        Assert.Single(second.Json["users"]!.AsArray());
        Assert.Null(second.Json["next_token"]);

        var backwards = await fx.Admin.GetAsync($"/_synapse/admin/v2/users?user_id={tag}&dir=b");
        Assert.Equal($"@{tag}2:localhost", backwards.Json["users"]![0]!["name"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("limit=-1")]
    [InlineData("from=x")]
    [InlineData("order_by=nonsense")]
    [InlineData("dir=up")]
    [InlineData("guests=maybe")]
    public async Task ListUsers_BadParameter_InvalidParam(string query)
    {
        var r = await fx.Admin.GetAsync($"/_synapse/admin/v2/users?{query}");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task GetUser_UnknownOrRemote_NotFoundOrBadRequest()
    {
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v2/users/{E("@nobody-here:localhost")}")).Status);
        Assert.Equal(400, (await fx.Admin.GetAsync($"/_synapse/admin/v2/users/{E("@someone:elsewhere.org")}")).Status);
    }

    [Fact]
    public async Task PutUser_NewThenModified_201Then200()
    {
        var userId = $"@{MatrixClient.NewLocalpart("put")}:localhost";
        var created = await fx.Admin.PutAsync($"/_synapse/admin/v2/users/{E(userId)}",
            new { password = "first pw", displayname = "Putty", user_type = "bot" });
        Assert.Equal(201, created.Status);
        Assert.Equal("Putty", created.Json["displayname"]!.GetValue<string>());
        Assert.Equal("bot", created.Json["user_type"]!.GetValue<string>());
        using var c = fx.NewClient();
        Assert.Equal(200, (await Login(c, userId, "first pw")).Status);

        var modified = await fx.Admin.PutAsync($"/_synapse/admin/v2/users/{E(userId)}",
            new { displayname = "Renamed", avatar_url = "mxc://localhost/abc", admin = true });
        Assert.Equal(200, modified.Status);
        Assert.Equal("Renamed", modified.Json["displayname"]!.GetValue<string>());
        Assert.Equal("mxc://localhost/abc", modified.Json["avatar_url"]!.GetValue<string>());
        Assert.True(modified.Json["admin"]!.GetValue<bool>());
        var profile = await c.GetAsync($"/_matrix/client/v3/profile/{E(userId)}/displayname");
        Assert.Equal("Renamed", profile.Json["displayname"]!.GetValue<string>());
    }

    [Fact]
    public async Task PutUser_BadInput_Refused()
    {
        var path = $"/_synapse/admin/v2/users/{E($"@{MatrixClient.NewLocalpart()}:localhost")}";
        Assert.Equal("M_NOT_JSON", (await fx.Admin.SendAsync(HttpMethod.Put, path, rawBody: "{")).ErrCode);
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.PutAsync(path, new { user_type = "wizard" })).ErrCode);
        Assert.Equal("M_BAD_JSON", (await fx.Admin.PutAsync(path, new { admin = "yes" })).ErrCode);
        Assert.Equal(400, (await fx.Admin.PutAsync($"/_synapse/admin/v2/users/{E("@a:elsewhere.org")}", new { })).Status);
    }

    [Fact]
    public async Task MakeAdmin_TakesEffectAtOnce_AndSelfDemotionRefused()
    {
        using var user = await fx.NewClient().RegisterAsync();
        Assert.Equal(403, (await user.GetAsync("/_synapse/admin/v2/users")).Status);

        var put = await fx.Admin.PutAsync($"/_synapse/admin/v1/users/{E(user.UserId)}/admin", new { admin = true });
        Assert.Equal(200, put.Status);

        Assert.Equal(200, (await user.GetAsync("/_synapse/admin/v2/users")).Status);
        Assert.True((await fx.Admin.GetAsync($"/_synapse/admin/v1/users/{E(user.UserId)}/admin")).Json["admin"]!.GetValue<bool>());
        var demoteSelf = await user.PutAsync($"/_synapse/admin/v1/users/{E(user.UserId)}/admin", new { admin = false });
        Assert.Equal(400, demoteSelf.Status);
        Assert.Equal("M_MISSING_PARAM", (await fx.Admin.PutAsync($"/_synapse/admin/v1/users/{E(user.UserId)}/admin", new { })).ErrCode);

        await fx.Admin.PutAsync($"/_synapse/admin/v1/users/{E(user.UserId)}/admin", new { admin = false });
        Assert.Equal(403, (await user.GetAsync("/_synapse/admin/v2/users")).Status);
    }

    [Fact]
    public async Task Deactivate_Erase_LogsOutLeavesRoomsAndRefusesLogin()
    {
        using var user = await fx.NewClient().RegisterAsync(password: "deact pw");
        var room = await fx.Admin.CreateRoomAsync(new { preset = "public_chat" });
        await user.JoinAsync(room);

        var r = await fx.Admin.PostAsync($"/_synapse/admin/v1/deactivate/{E(user.UserId)}", new { erase = true });

        Assert.Equal(200, r.Status);
        Assert.Equal("success", r.Json["id_server_unbind_result"]!.GetValue<string>());
        var whoami = await user.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(401, whoami.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", whoami.ErrCode);
        using var c = fx.NewClient();
        var login = await Login(c, user.UserId, "deact pw");
        Assert.Equal(403, login.Status);
        Assert.Equal("M_USER_DEACTIVATED", login.ErrCode);
        var members = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}/members");
        Assert.DoesNotContain(user.UserId, members.Json["members"]!.AsArray().Select(m => m!.GetValue<string>()));
        var shown = await fx.Admin.GetAsync($"/_synapse/admin/v2/users/{E(user.UserId)}");
        Assert.True(shown.Json["deactivated"]!.GetValue<bool>());
        Assert.True(shown.Json["erased"]!.GetValue<bool>());
        Assert.Null(shown.Json["displayname"]);

        // Reactivating needs a password (Synapse).
        Assert.Equal(400, (await fx.Admin.PutAsync($"/_synapse/admin/v2/users/{E(user.UserId)}", new { deactivated = false })).Status);
        Assert.Equal(200, (await fx.Admin.PutAsync($"/_synapse/admin/v2/users/{E(user.UserId)}", new { deactivated = false, password = "back again" })).Status);
        Assert.Equal(200, (await Login(c, user.UserId, "back again")).Status);
    }

    [Fact]
    public async Task Deactivate_BadInput_Refused()
    {
        Assert.Equal(404, (await fx.Admin.PostAsync($"/_synapse/admin/v1/deactivate/{E("@ghost-user:localhost")}", new { })).Status);
        using var user = await fx.NewClient().RegisterAsync();
        Assert.Equal("M_BAD_JSON", (await fx.Admin.PostAsync($"/_synapse/admin/v1/deactivate/{E(user.UserId)}", new { erase = "yes" })).ErrCode);
    }

    [Fact]
    public async Task ResetPassword_NewPasswordWorks_SessionsEnded()
    {
        using var user = await fx.NewClient().RegisterAsync(password: "old pw");
        var r = await fx.Admin.PostAsync($"/_synapse/admin/v1/reset_password/{E(user.UserId)}", new { new_password = "new pw" });

        Assert.Equal(200, r.Status);
        Assert.Equal(401, (await user.GetAsync("/_matrix/client/v3/account/whoami")).Status);
        using var c = fx.NewClient();
        Assert.Equal(403, (await Login(c, user.UserId, "old pw")).Status);
        Assert.Equal(200, (await Login(c, user.UserId, "new pw")).Status);

        Assert.Equal("M_MISSING_PARAM", (await fx.Admin.PostAsync($"/_synapse/admin/v1/reset_password/{E(user.UserId)}", new { })).ErrCode);
        Assert.Equal(404, (await fx.Admin.PostAsync($"/_synapse/admin/v1/reset_password/{E("@ghost-user:localhost")}", new { new_password = "x" })).Status);
    }

    [Fact]
    public async Task ResetPassword_KeepDevices_TokenStillWorks()
    {
        using var user = await fx.NewClient().RegisterAsync(password: "old pw");
        await fx.Admin.PostAsync($"/_synapse/admin/v1/reset_password/{E(user.UserId)}", new { new_password = "new pw", logout_devices = false });
        Assert.Equal(200, (await user.GetAsync("/_matrix/client/v3/account/whoami")).Status);
    }

    [Fact]
    public async Task Whois_AdminOrSelf_ListsDevices_OthersForbidden()
    {
        using var user = await fx.NewClient().RegisterAsync();
        using var other = await fx.NewClient().RegisterAsync();

        var r = await fx.Admin.GetAsync($"/_synapse/admin/v1/whois/{E(user.UserId)}");
        Assert.Equal(200, r.Status);
        Assert.Equal(user.UserId, r.Json["user_id"]!.GetValue<string>());
        Assert.NotNull(r.Json["devices"]![user.DeviceId]!["sessions"]);
        Assert.Equal(200, (await user.GetAsync($"/_synapse/admin/v1/whois/{E(user.UserId)}")).Status);
        Assert.Equal(403, (await other.GetAsync($"/_synapse/admin/v1/whois/{E(user.UserId)}")).Status);
    }
}
