using System.Diagnostics;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Grains.Rooms;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The cluster of issue 4 (two persisters, two gateways, Redis between them): members of one room on
/// different gateways see each other's messages through long-polling /sync, woken by the replication bus
/// rather than by the poll's timeout, and rooms are spread over both persisters.
/// </summary>
public sealed class CrossGatewayTests(ITestOutputHelper output)
{
    /// <summary>How soon a waiting /sync on the other gateway must hand over a message after its send was
    /// acknowledged. A long-poll that is not woken returns only after its 30 s timeout.</summary>
    static readonly TimeSpan PromptBound = TimeSpan.FromSeconds(5);

    [RedisClusterFact]
    public async Task MembersOnDifferentGateways_Send_EachLongPollWakesWithTheOthersMessagesAndRoomsSpreadOverBothPersisters()
    {
        await using var cluster = await TestCluster.CreateAsync(["persister1", "persister2"], TestEnvironment.RequireRedis());
        // The first process creates the shared signing key; the others then start side by side.
        var started = Stopwatch.StartNew();
        await cluster.StartSiloAsync("persister1");
        output.WriteLine($"persister1 active after {started.Elapsed.TotalSeconds:F1} s");
        var starts = new[]
        {
            cluster.StartSiloAsync("persister2"), cluster.StartGatewayAsync("gateway1"), cluster.StartGatewayAsync("gateway2"),
        };
        await Task.WhenAll(starts);
        Uri gatewayA = starts[1].Result.BaseUrl!, gatewayB = starts[2].Result.BaseUrl!;
        output.WriteLine($"cluster up after {started.Elapsed.TotalSeconds:F1} s; CPU: {cluster.CpuReport}");

        using var alice = await new MatrixClient(gatewayA).RegisterAsync();
        using var bob = await new MatrixClient(gatewayB).RegisterAsync();
        var roomId = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(roomId);

        var clock = Stopwatch.StartNew();
        await using var aliceSync = new SyncFollower(gatewayA, alice.AccessToken!, clock);
        await using var bobSync = new SyncFollower(gatewayB, bob.AccessToken!, clock);
        await aliceSync.WaitInitialSyncAsync(TimeSpan.FromSeconds(20));
        await bobSync.WaitInitialSyncAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(500); // both are now waiting in a long-poll

        var latencies = new List<TimeSpan>();
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            foreach (var (sender, receiver, name) in new[] { (alice, bobSync, "alice→bob"), (bob, aliceSync, "bob→alice") })
            {
                var body = $"{name} {i}";
                var eventId = await sender.SendMessageAsync(roomId, body);
                var acked = clock.Elapsed;
                sent.Add(eventId);
                var got = await receiver.WaitForAsync(eventId, TimeSpan.FromSeconds(SyncFollower.LongPollMs / 1000 + 5));
                Assert.True(got is not null, $"{name}: {eventId} never reached the other gateway's /sync; errors: {string.Join("; ", receiver.Errors)}\n{cluster.Logs}");
                Assert.Equal(roomId, got.RoomId);
                Assert.Equal(sender.UserId, got.Sender);
                Assert.Equal(body, got.Body);
                var latency = got.At - acked;
                latencies.Add(latency);
                output.WriteLine($"{name} {i}: in the other member's /sync {latency.TotalMilliseconds:F0} ms after the send was acknowledged");
                Assert.True(latency <= PromptBound,
                    $"{name} {i} took {latency.TotalSeconds:F1} s to reach the other gateway's long-poll (bound {PromptBound.TotalSeconds} s)");
                await Task.Delay(200); // the receiver is back in a long-poll before the next send
            }
        }
        output.WriteLine($"cross-gateway delivery: max {latencies.Max().TotalMilliseconds:F0} ms");
        // Each member also saw its own messages, on its own gateway: both timelines hold all of them.
        foreach (var eventId in sent)
        {
            Assert.NotNull(await aliceSync.WaitForAsync(eventId, PromptBound));
            Assert.NotNull(await bobSync.WaitForAsync(eventId, PromptBound));
        }
        Assert.Empty(aliceSync.Errors);
        Assert.Empty(bobSync.Errors);

        // Rooms created through either gateway land on the two persisters, both of them.
        var client = await cluster.ClientAsync();
        var hosts = new List<string?>();
        for (var i = 0; i < 8; i++)
        {
            var creator = i % 2 == 0 ? alice : bob;
            var id = await creator.CreateRoomAsync();
            hosts.Add(await cluster.WhereIsAsync(client.GetGrain<IRoomGrain>(id)));
        }
        output.WriteLine($"8 rooms on: {string.Join(", ", hosts)}");
        Assert.All(hosts, h => Assert.True(h is "persister1" or "persister2", $"a room on {h ?? "nothing"}"));
        Assert.Contains("persister1", hosts);
        Assert.Contains("persister2", hosts);
        output.WriteLine($"done after {started.Elapsed.TotalSeconds:F1} s; CPU: {cluster.CpuReport}");
    }
}
