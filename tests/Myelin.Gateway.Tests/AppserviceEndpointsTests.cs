using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Silo.Tests.WorkerApps;

namespace Myelin.Gateway.Tests;

/// <summary>A gateway with two application services: "bridge" (a URL — the fake service below — exclusive
/// users @_bridge_* and aliases #_bridge_*, ephemeral events) and "nourl" (url: null, shared users @_shared_*).</summary>
public sealed class AppserviceFixture : IAsyncLifetime
{
    public FakeAppservice Service { get; } = new("hs-" + Guid.NewGuid().ToString("N"));
    public string AsToken { get; } = "as-" + Guid.NewGuid().ToString("N");
    public string NoUrlToken { get; } = "as-nourl-" + Guid.NewGuid().ToString("N");
    public GatewayProcess Gateway { get; private set; } = null!;
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-as-reg-").FullName;

    public async Task InitializeAsync()
    {
        var bridge = Path.Combine(_dir, "bridge.yaml");
        await File.WriteAllTextAsync(bridge, $"""
            id: bridge
            url: {Service.Url}
            as_token: {AsToken}
            hs_token: {Service.HsToken}
            sender_localpart: bridgebot
            receive_ephemeral: true
            namespaces:
              users:
                - exclusive: true
                  regex: '@_bridge_.*'
              aliases:
                - exclusive: true
                  regex: '#_bridge_.*'
            """);
        var nourl = Path.Combine(_dir, "nourl.yaml");
        await File.WriteAllTextAsync(nourl, $"""
            id: nourl
            url: null
            as_token: {NoUrlToken}
            hs_token: unused
            sender_localpart: nourlbot
            namespaces:
              users:
                - exclusive: false
                  regex: '@_shared_.*'
            """);
        Gateway = await GatewayProcess.StartAsync($"app_service_config_files: ['{bridge}', '{nourl}']");
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Service.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    public MatrixClient NewClient() => new(Gateway.BaseUrl);
    public MatrixClient AsClient(string? token = null) => new(Gateway.BaseUrl) { AccessToken = token ?? AsToken };
}

public sealed class AppserviceEndpointsTests(AppserviceFixture fx) : IClassFixture<AppserviceFixture>
{
    static string Ghost() => MatrixClient.NewLocalpart("_bridge_");

    async Task<string> RegisterGhostAsync(MatrixClient asClient, string? localpart = null)
    {
        var r = await asClient.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = localpart ?? Ghost() });
        Assert.Equal(200, r.Status);
        return r.Json["user_id"]!.GetValue<string>();
    }

    [Fact]
    public async Task AsToken_ActsAsTheSender_WithoutADevice()
    {
        using var c = fx.AsClient();
        var r = await c.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(200, r.Status);
        Assert.Equal("@bridgebot:localhost", r.Json["user_id"]!.GetValue<string>());
        Assert.Null(r.Json["device_id"]);
    }

    [Fact]
    public async Task AsToken_UserIdOfARegisteredNamespacedUser_ActsAsThem()
    {
        using var c = fx.AsClient();
        var ghost = await RegisterGhostAsync(c);
        var r = await c.GetAsync($"/_matrix/client/v3/account/whoami?user_id={Uri.EscapeDataString(ghost)}");
        Assert.Equal(200, r.Status);
        Assert.Equal(ghost, r.Json["user_id"]!.GetValue<string>());

        // and can act as them in a room
        var room = await c.PostAsync($"/_matrix/client/v3/createRoom?user_id={Uri.EscapeDataString(ghost)}", new { });
        Assert.Equal(200, room.Status);
    }

    [Fact]
    public async Task AsToken_UserIdOutsideTheNamespace_Forbidden()
    {
        using var user = await fx.NewClient().RegisterAsync();
        using var c = fx.AsClient();
        var r = await c.GetAsync($"/_matrix/client/v3/account/whoami?user_id={Uri.EscapeDataString(user.UserId)}");
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task AsToken_UserIdInTheNamespaceButNotRegistered_Forbidden()
    {
        using var c = fx.AsClient();
        var r = await c.GetAsync($"/_matrix/client/v3/account/whoami?user_id=@{Ghost()}:localhost");
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task Register_ApplicationService_CreatesTheUser_WithAWorkingToken()
    {
        using var c = fx.AsClient();
        var localpart = Ghost();
        var r = await c.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = localpart });
        Assert.Equal(200, r.Status);
        Assert.Equal($"@{localpart}:localhost", r.Json["user_id"]!.GetValue<string>());
        using var ghost = new MatrixClient(fx.Gateway.BaseUrl) { AccessToken = r.Json["access_token"]!.GetValue<string>() };
        var who = await ghost.GetAsync("/_matrix/client/v3/account/whoami");
        Assert.Equal(r.Json["user_id"]!.GetValue<string>(), who.Json["user_id"]!.GetValue<string>());
        Assert.Equal(r.Json["device_id"]!.GetValue<string>(), who.Json["device_id"]!.GetValue<string>());

        var again = await c.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = localpart });
        Assert.Equal(400, again.Status);
        Assert.Equal("M_USER_IN_USE", again.ErrCode);
    }

    [Fact]
    public async Task Register_ApplicationService_InhibitLogin_NoToken()
    {
        using var c = fx.AsClient();
        var r = await c.PostAsync("/_matrix/client/v3/register",
            new { type = "m.login.application_service", username = Ghost(), inhibit_login = true });
        Assert.Equal(200, r.Status);
        Assert.Null(r.Json["access_token"]);
        Assert.Null(r.Json["device_id"]);
    }

    [Fact]
    public async Task Register_ApplicationService_OutsideItsNamespace_Exclusive()
    {
        using var c = fx.AsClient();
        var r = await c.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = MatrixClient.NewLocalpart() });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_EXCLUSIVE", r.ErrCode);
    }

    [Fact]
    public async Task Register_ApplicationService_WithoutAnAsToken_Rejected()
    {
        using var anonymous = fx.NewClient();
        var none = await anonymous.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = Ghost() });
        Assert.Equal(400, none.Status);

        using var user = await fx.NewClient().RegisterAsync();
        var wrong = await user.PostAsync("/_matrix/client/v3/register", new { type = "m.login.application_service", username = Ghost() });
        Assert.Equal(401, wrong.Status);
        Assert.Equal("M_UNKNOWN_TOKEN", wrong.ErrCode);
    }

    [Fact]
    public async Task Register_Normal_InAnExclusiveNamespace_Exclusive_ButSharedOnesAreOpen()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/register",
            new { username = Ghost(), password = "correct horse", auth = new { type = "m.login.dummy" } });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_EXCLUSIVE", r.ErrCode);

        var available = await c.GetAsync($"/_matrix/client/v3/register/available?username={Ghost()}");
        Assert.Equal(400, available.Status);
        Assert.Equal("M_EXCLUSIVE", available.ErrCode);

        var sender = await c.GetAsync("/_matrix/client/v3/register/available?username=bridgebot");
        Assert.Equal(400, sender.Status); // the sender exists already (created at start) and is exclusive anyway

        using var shared = await fx.NewClient().RegisterAsync(MatrixClient.NewLocalpart("_shared_"));
        Assert.StartsWith("@_shared_", shared.UserId);
    }

    [Fact]
    public async Task Alias_InAnExclusiveNamespace_OnlyTheServiceMayCreateAndDelete()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();
        var alias = $"#{MatrixClient.NewLocalpart("_bridge_")}:localhost";
        var path = $"/_matrix/client/v3/directory/room/{Uri.EscapeDataString(alias)}";

        var byUser = await owner.PutAsync(path, new { room_id = room });
        Assert.Equal(400, byUser.Status);
        Assert.Equal("M_EXCLUSIVE", byUser.ErrCode);

        using var service = fx.AsClient();
        Assert.Equal(200, (await service.PutAsync(path, new { room_id = room })).Status);
        Assert.Equal(room, (await owner.GetAsync(path)).Json["room_id"]!.GetValue<string>());

        var deleteByUser = await owner.DeleteAsync(path);
        Assert.Equal(400, deleteByUser.Status);
        Assert.Equal("M_EXCLUSIVE", deleteByUser.ErrCode);

        Assert.Equal(200, (await service.DeleteAsync(path)).Status);
        Assert.Equal(404, (await owner.GetAsync(path)).Status);
    }

    [Fact]
    public async Task Alias_OutsideItsNamespace_TheServiceMayNot()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();
        using var service = fx.AsClient();
        var r = await service.PutAsync($"/_matrix/client/v3/directory/room/{Uri.EscapeDataString($"#{MatrixClient.NewLocalpart()}:localhost")}",
            new { room_id = room });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_EXCLUSIVE", r.ErrCode);
    }

    [Fact]
    public async Task Ping_ReachesTheService_AndAnswersTheDuration()
    {
        using var c = fx.AsClient();
        var txn = Guid.NewGuid().ToString("N");
        var r = await c.PostAsync("/_matrix/client/v1/appservice/bridge/ping", new { transaction_id = txn });
        Assert.Equal(200, r.Status);
        Assert.True(r.Json["duration_ms"]!.GetValue<long>() >= 0);
        Assert.Contains(fx.Service.Pings, p => p["transaction_id"]?.GetValue<string>() == txn);
    }

    [Fact]
    public async Task Ping_ServiceAnswersAnError_BadStatusWithItsStatusAndBody()
    {
        fx.Service.PingStatus = 401;
        try
        {
            using var c = fx.AsClient();
            var r = await c.PostAsync("/_matrix/client/v1/appservice/bridge/ping", new { });
            Assert.Equal(502, r.Status);
            Assert.Equal("M_BAD_STATUS", r.ErrCode);
            Assert.Equal(401, r.Json["status"]!.GetValue<int>());
            Assert.Contains("M_UNKNOWN", r.Json["body"]!.GetValue<string>());
        }
        finally
        {
            fx.Service.PingStatus = 200;
        }
    }

    [Fact]
    public async Task Ping_Errors_AsTheSpecLists()
    {
        using var service = fx.AsClient();
        var other = await service.PostAsync("/_matrix/client/v1/appservice/nourl/ping", new { });
        Assert.Equal((403, "M_FORBIDDEN"), (other.Status, other.ErrCode));

        using var user = await fx.NewClient().RegisterAsync();
        var byUser = await user.PostAsync("/_matrix/client/v1/appservice/bridge/ping", new { });
        Assert.Equal((403, "M_FORBIDDEN"), (byUser.Status, byUser.ErrCode));

        using var nourl = fx.AsClient(fx.NoUrlToken);
        var noUrl = await nourl.PostAsync("/_matrix/client/v1/appservice/nourl/ping", new { });
        Assert.Equal((400, "M_URL_NOT_SET"), (noUrl.Status, noUrl.ErrCode));

        var badTxn = await service.PostAsync("/_matrix/client/v1/appservice/bridge/ping", new { transaction_id = 5 });
        Assert.Equal((400, "M_INVALID_PARAM"), (badTxn.Status, badTxn.ErrCode));

        using var anonymous = fx.NewClient();
        var noToken = await anonymous.PostAsync("/_matrix/client/v1/appservice/bridge/ping", new { });
        Assert.Equal((401, "M_MISSING_TOKEN"), (noToken.Status, noToken.ErrCode));
    }

    [Fact]
    public async Task Transactions_CarryTheRoomsEventsAndTyping_OfANamespacedMember()
    {
        using var service = fx.AsClient();
        var ghost = await RegisterGhostAsync(service);
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        Assert.Equal(200, (await alice.PostAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/invite", new { user_id = ghost })).Status);
        Assert.Equal(200, (await service.PostAsync($"/_matrix/client/v3/join/{Uri.EscapeDataString(room)}?user_id={Uri.EscapeDataString(ghost)}")).Status);
        var message = await alice.SendMessageAsync(room, "hello bridge");
        Assert.Equal(200, (await alice.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/typing/{Uri.EscapeDataString(alice.UserId)}",
            new { typing = true, timeout = 30000 })).Status);

        await Until(() => fx.Service.DistinctEvents().Any(e => e["event_id"]?.GetValue<string>() == message)
            && fx.Service.DistinctEphemeral().Any(e => e["type"]?.GetValue<string>() == "m.typing" && e["room_id"]?.GetValue<string>() == room),
            "the message and the typing notification");
        var events = fx.Service.DistinctEvents().Where(e => e["room_id"]?.GetValue<string>() == room).ToList();
        // The invite (its target is one of the service's users), the join, and what follows in the room.
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "m.room.member" && e["state_key"]?.GetValue<string>() == ghost
            && e["content"]!["membership"]!.GetValue<string>() == "invite");
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "m.room.member" && e["state_key"]?.GetValue<string>() == ghost
            && e["content"]!["membership"]!.GetValue<string>() == "join");
        Assert.Equal(events.Count, events.Select(e => e["event_id"]!.GetValue<string>()).Distinct().Count());
        var typing = fx.Service.DistinctEphemeral().Last(e => e["type"]?.GetValue<string>() == "m.typing" && e["room_id"]?.GetValue<string>() == room);
        Assert.Contains(alice.UserId, typing["content"]!["user_ids"]!.AsArray().Select(u => u!.GetValue<string>()));
    }

    static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }
}
