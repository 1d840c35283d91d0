using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Endpoints.Admin;
using Myelin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The admin API on two gateways sharing PostgreSQL and Redis: a registration nonce from one gateway is good
/// on the other, a deactivation on one gateway ends the user's session cached on the other, and a history
/// purge on one gateway is gone from the other gateway's /sync (its recent-events cache) and /messages.
/// </summary>
public sealed class AdminClusterTests(ITestOutputHelper output)
{
    const string Secret = "cluster-admin-secret";

    static string E(string s) => Uri.EscapeDataString(s);

    static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(100);
        }
    }

    static List<string> Bodies(JsonArray events) => events.Select(e => e!.AsObject())
        .Where(e => e["type"]!.GetValue<string>() == "m.room.message").Select(e => e["content"]!["body"]!.GetValue<string>()).ToList();

    [RedisClusterFact]
    public async Task AdminApi_AcrossGateways_NonceTokensAndPurgeReachEveryProcess()
    {
        await using var cluster = await TestCluster.CreateAsync(["gateway1"], TestEnvironment.RequireRedis(),
            $"registration_shared_secret: {Secret}");
        var a = (await cluster.StartGatewayAsync("gateway1")).BaseUrl!;
        var b = (await cluster.StartGatewayAsync("gateway2")).BaseUrl!;
        output.WriteLine($"cluster up; CPU: {cluster.CpuReport}");

        // Shared-secret registration: the nonce from gateway 1, the registration on gateway 2.
        using var admin = new MatrixClient(b);
        var nonce = (await new MatrixClient(a).GetAsync("/_synapse/admin/v1/register")).Json["nonce"]!.GetValue<string>();
        var name = MatrixClient.NewLocalpart("admin");
        var reg = await admin.PostAsync("/_synapse/admin/v1/register", new JsonObject
        {
            ["nonce"] = nonce, ["username"] = name, ["password"] = "pw", ["admin"] = true,
            ["mac"] = RegisterAdminEndpoints.Mac(Secret, nonce, name, "pw", true),
        });
        Assert.True(reg.Status == 200, reg.Raw);
        admin.AccessToken = reg.Json["access_token"]!.GetValue<string>();
        using var adminOnA = new MatrixClient(a) { AccessToken = admin.AccessToken };

        // Deactivated through gateway 1, the user's token cached by gateway 2 stops working there.
        using var victim = await new MatrixClient(b).RegisterAsync();
        Assert.Equal(200, (await victim.GetAsync("/_matrix/client/v3/account/whoami")).Status);
        Assert.Equal(200, (await adminOnA.PostAsync($"/_synapse/admin/v1/deactivate/{E(victim.UserId)}", new { })).Status);
        await EventuallyAsync(() => victim.GetAsync("/_matrix/client/v3/account/whoami"), r => r.Status == 401,
            "gateway2 still accepts the deactivated user's token");

        // A purge through gateway 1; the member on gateway 2 had the messages in its process's cache.
        using var owner = await new MatrixClient(a).RegisterAsync();
        using var member = await new MatrixClient(b).RegisterAsync();
        var room = await owner.CreateRoomAsync(new { preset = "public_chat" });
        await member.JoinAsync(room);
        var before = (await member.SyncAsync())["next_batch"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 1; i <= 6; i++) ids.Add(await owner.SendMessageAsync(room, $"m{i}"));
        await EventuallyAsync(() => member.SyncAsync(before),
            s => Bodies(s["rooms"]?["join"]?[room]?["timeline"]?["events"]?.AsArray() ?? []).Count == 6, "gateway2 never saw the messages");

        var purge = await adminOnA.PostAsync($"/_synapse/admin/v1/purge_history/{E(room)}",
            new { purge_up_to_event_id = ids[3], delete_local_events = true });
        var purgeId = purge.Json["purge_id"]!.GetValue<string>();
        await EventuallyAsync(() => admin.GetAsync($"/_synapse/admin/v1/purge_history_status/{E(purgeId)}"),
            r => r.Json["status"]!.GetValue<string>() == "complete", "the purge did not complete (status read on gateway 2)");

        var sync = await EventuallyAsync(() => member.SyncAsync(before),
            s => Bodies(s["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray()).Count == 3, "gateway2's /sync still serves purged events");
        Assert.Equal(["m4", "m5", "m6"], Bodies(sync["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray()));
        var page = await member.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/messages?dir=b&limit=50");
        Assert.Equal(["m6", "m5", "m4"], Bodies(page.Json["chunk"]!.AsArray()));
        Assert.Equal(3, page.Json["chunk"]!.AsArray().Count);
    }
}
