using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Silo.Tests.WorkerApps;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The appservice worker app as its own process (<c>notify_appservices_from_worker: appservice1</c>):
/// a service (the fake below) receives every event of interest in stream order while that process is
/// SIGKILLed and restarted mid-stream; an event may come twice only as the same transaction re-sent.
/// </summary>
public sealed class AppserviceWorkerTests(ITestOutputHelper output)
{
    const int Messages = 60;

    [RedisClusterFact]
    public async Task AppserviceProcessKilledAndRestarted_ServiceReceivesEveryEventInOrder()
    {
        // A slow service, so that the kill is likely to catch a transaction in flight.
        await using var service = new FakeAppservice("hs-" + Guid.NewGuid().ToString("N")) { Delay = TimeSpan.FromMilliseconds(150) };
        var registration = Path.Combine(Path.GetTempPath(), $"myelin-as-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(registration, $"""
            id: cluster
            url: {service.Url}
            as_token: as-{Guid.NewGuid():N}
            hs_token: {service.HsToken}
            sender_localpart: clusterbot
            namespaces:
              users:
                - exclusive: false
                  regex: '@as_'
            """);
        try
        {
            await using var cluster = await TestCluster.CreateAsync(["gateway1"], TestEnvironment.RequireRedis(), $"""
                app_service_config_files: ['{registration}']
                notify_appservices_from_worker: appservice1
                """);
            var started = Stopwatch.StartNew();
            var gateway = await cluster.StartGatewayAsync("gateway1");
            var worker = await cluster.StartSiloAsync("appservice1");
            output.WriteLine($"cluster up after {started.Elapsed.TotalSeconds:F1} s");

            using var alice = await new MatrixClient(gateway.BaseUrl!).RegisterAsync(MatrixClient.NewLocalpart("as_"));
            var room = await alice.CreateRoomAsync();
            await Until(() => service.DistinctEvents().Any(e => e["room_id"]?.GetValue<string>() == room), "the room's first events", cluster);

            var sent = new List<string>();
            for (var i = 0; i < Messages; i++)
            {
                sent.Add(await alice.SendMessageAsync(room, $"m{i}"));
                if (i == Messages / 3)
                {
                    await worker.KillAsync();
                    output.WriteLine($"appservice1 killed after {service.Requests.Count} requests");
                }
                if (i == Messages / 2)
                {
                    worker = await cluster.StartSiloAsync("appservice1");
                    output.WriteLine("appservice1 restarted");
                }
                await Task.Delay(50);
            }

            await Until(() => sent.All(id => service.DistinctEvents().Any(e => e["event_id"]?.GetValue<string>() == id)),
                "every message at the service", cluster, TimeSpan.FromSeconds(90));

            // In stream order, each once (as a de-duplicating service keeps them).
            var received = service.DistinctEvents().Select(e => e["event_id"]!.GetValue<string>()).ToList();
            Assert.Equal(received.Distinct(), received);
            Assert.Equal(sent, received.Where(sent.Contains));
            // An event was only ever sent again as the same transaction, and transaction IDs only grew.
            var requests = service.Requests.ToList();
            var txnsOfEvent = requests.SelectMany(r => r.Body["events"]!.AsArray().Select(e => (Id: e!["event_id"]!.GetValue<string>(), r.TxnId)))
                .Distinct().GroupBy(x => x.Id);
            Assert.All(txnsOfEvent, g => Assert.Single(g));
            var bodies = requests.GroupBy(r => r.TxnId).Select(g => g.Select(r => r.Body.ToJsonString()).Distinct().Count());
            Assert.All(bodies, n => Assert.Equal(1, n));
            var order = requests.Select(r => r.TxnId).ToList();
            for (var i = 1; i < order.Count; i++) Assert.True(order[i] >= order[i - 1], $"txn {order[i]} after {order[i - 1]}");
            output.WriteLine($"{requests.Count} requests for {order.Distinct().Count()} transactions ({requests.Count - order.Distinct().Count()} re-sent)");
            Assert.Equal(0, service.Unauthorized);
        }
        finally
        {
            File.Delete(registration);
        }
    }

    static async Task Until(Func<bool> condition, string what, TestCluster cluster, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for {what}\n{cluster.Logs}");
            await Task.Delay(100);
        }
    }
}
