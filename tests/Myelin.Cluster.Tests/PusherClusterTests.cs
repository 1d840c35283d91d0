using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The pusher as its own process (a silo named in <c>pusher_instances</c>), SIGKILLed while messages keep
/// coming and started again: every notification still reaches the push gateway (at-least-once; the gateway
/// de-duplicates by event_id), and the gateway process itself never pushes.
/// </summary>
public sealed class PusherClusterTests(ITestOutputHelper output)
{
    [RedisClusterFact]
    public async Task PusherKilledMidStream_Restarted_EveryNotificationStillArrives()
    {
        await using var cluster = await TestCluster.CreateAsync(["gateway1"], TestEnvironment.RequireRedis(),
            sharedYaml: "pusher_instances: [pusher1]\nip_range_whitelist: ['127.0.0.1']");
        var gateway = await cluster.StartGatewayAsync("gateway1");
        var pusher = await cluster.StartSiloAsync("pusher1");
        using var push = new FakePushGateway();

        using var alice = await new MatrixClient(gateway.BaseUrl!).RegisterAsync();
        using var bob = await new MatrixClient(gateway.BaseUrl!).RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var set = await bob.PostAsync("/_matrix/client/v3/pushers/set", new JsonObject
        {
            ["kind"] = "http", ["app_id"] = "org.example.app", ["app_display_name"] = "Example", ["device_display_name"] = "Phone",
            ["pushkey"] = "bob-phone", ["lang"] = "en", ["data"] = new JsonObject { ["url"] = push.NotifyUrl },
        });
        Assert.Equal(200, set.Status);

        // The pusher process learns of the new pusher over the replication stream; a first message shows it works.
        var sent = new List<string> { await alice.SendMessageAsync(room, "first") };
        await push.WaitForAsync(r => r.Count >= 1, "the first push", TimeSpan.FromSeconds(60));

        // Alice keeps sending while the pusher process is SIGKILLed and started again.
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var id = await alice.SendMessageAsync(room, $"message {i}");
                lock (sent) sent.Add(id);
                await Task.Delay(100);
            }
        });
        await push.WaitForAsync(r => r.Count >= 6, "some pushes before the kill", TimeSpan.FromSeconds(60));
        await pusher.KillAsync();
        int atKill = push.Received.Count, sentAtKill;
        lock (sent) sentAtKill = sent.Count;
        output.WriteLine($"{atKill} pushes received of {sentAtKill} messages sent when the pusher was killed");

        await cluster.StartSiloAsync("pusher1");
        await sender;
        sent.Add(await alice.SendMessageAsync(room, "last"));
        var received = await push.WaitForAsync(r => sent.All(id => r.Any(n => (string?)n["event_id"] == id)),
            "every notification after the restart", TimeSpan.FromSeconds(90));

        var ids = received.Select(n => (string?)n["event_id"]).OfType<string>().ToList();
        Assert.Empty(ids.Except(sent));
        // In order, once each (a resend after the crash may repeat an event the gateway had already had).
        Assert.Equal(sent, ids.Distinct());
        output.WriteLine($"{ids.Count} pushes for {sent.Count} messages ({ids.Count - sent.Count} repeated after the restart)");
        // Only the pusher instance ran the app (the gateway is not in pusher_instances).
        await using var db = new Npgsql.NpgsqlConnection(cluster.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT instance_name FROM worker_app_positions WHERE app_name = 'pusher'", db);
        var instances = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) instances.Add(reader.GetString(0));
        Assert.Equal(["pusher1"], instances);
    }
}
