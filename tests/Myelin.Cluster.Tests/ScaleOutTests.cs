using System.Diagnostics;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Grains.Rooms;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// Adding an event persister to a running cluster (Synapse has to restart every worker for that): the
/// new silo joins while clients send and long-poll, takes new rooms, becomes one more writer of the
/// events stream that every gateway follows, and no process restarts.
/// </summary>
public sealed class ScaleOutTests(ITestOutputHelper output)
{
    /// <summary>From the new silo being an active member to a new room being placed on it.</summary>
    static readonly TimeSpan PlacementBound = TimeSpan.FromSeconds(30);
    static readonly TimeSpan PromptBound = TimeSpan.FromSeconds(5);

    [RedisClusterFact]
    public async Task ThirdPersisterStarted_WhileTrafficRuns_TakesNewRoomsAndNobodyRestarts()
    {
        // persister3 is named in stream_writers.events from the start, as an operator adding capacity would
        // prepare the shared config; it is started only once the cluster runs.
        await using var cluster = await TestCluster.CreateAsync(["persister1", "persister2", "persister3"], TestEnvironment.RequireRedis());
        var persister1 = await cluster.StartSiloAsync("persister1");
        var starts = new[]
        {
            cluster.StartSiloAsync("persister2"), cluster.StartGatewayAsync("gateway1"), cluster.StartGatewayAsync("gateway2"),
        };
        await Task.WhenAll(starts);
        var original = new[] { persister1, starts[0].Result, starts[1].Result, starts[2].Result };
        Uri gatewayA = starts[1].Result.BaseUrl!, gatewayB = starts[2].Result.BaseUrl!;

        using var alice = await new MatrixClient(gatewayA).RegisterAsync();
        using var bob = await new MatrixClient(gatewayB).RegisterAsync();
        var roomId = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(roomId);
        var client = await cluster.ClientAsync();
        var trafficHost = await cluster.WhereIsAsync(client.GetGrain<IRoomGrain>(roomId));

        var clock = Stopwatch.StartNew();
        await using var bobSync = new SyncFollower(gatewayB, bob.AccessToken!, clock);
        await bobSync.WaitInitialSyncAsync(TimeSpan.FromSeconds(20));
        await using var sender = new MessageSender(alice, roomId, "traffic", clock, TimeSpan.FromMilliseconds(100));
        await sender.WaitForMoreAsync(3, TimeSpan.FromSeconds(20));

        await cluster.StartSiloAsync("persister3");
        var joinedAt = clock.Elapsed;
        output.WriteLine($"{joinedAt.TotalSeconds:F1}s persister3 active; traffic room on {trafficHost}");

        // New rooms: created until one is placed on persister3, within the bound.
        var placed = new List<string?>();
        string? newRoom = null;
        while (newRoom is null)
        {
            Assert.True(clock.Elapsed - joinedAt < PlacementBound,
                $"no new room was placed on persister3 within {PlacementBound.TotalSeconds} s of it joining; rooms went to: {string.Join(", ", placed)}");
            var id = await alice.CreateRoomAsync(new { preset = "public_chat" });
            var host = await cluster.WhereIsAsync(client.GetGrain<IRoomGrain>(id));
            placed.Add(host);
            Assert.True(host is "persister1" or "persister2" or "persister3", $"a room on {host ?? "nothing"}");
            if (host == "persister3") newRoom = id;
            else await Task.Delay(250);
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s a new room on persister3 after {placed.Count} rooms ({string.Join(", ", placed)})");

        // The new persister's room is a room like any other: bob, on the other gateway, joins it and
        // alice's message there wakes his long-poll.
        await bob.JoinAsync(newRoom);
        var there = await alice.SendMessageAsync(newRoom, "on the new persister");
        var thereAcked = clock.Elapsed;
        var got = await bobSync.WaitForAsync(there, PromptBound);
        Assert.True(got is not null, $"a message in persister3's room did not reach bob's /sync within {PromptBound.TotalSeconds} s\n{cluster.Logs}");
        output.WriteLine($"persister3's room → bob's /sync in {(got.At - thereAcked).TotalMilliseconds:F0} ms");

        await sender.WaitForMoreAsync(3, TimeSpan.FromSeconds(20));
        var acked = await sender.StopAsync();
        Assert.Contains(acked, a => a.At > joinedAt);
        foreach (var a in acked)
        {
            var r = await bobSync.WaitForAsync(a.EventId, PromptBound);
            Assert.True(r is not null, $"{a.Body} (acknowledged at {a.At.TotalSeconds:F1}s) never reached bob's /sync");
            Assert.Equal(a.Body, r.Body);
        }
        output.WriteLine($"{acked.Count} traffic sends, all in bob's /sync; {sender.Failures.Count} failed attempts: {string.Join("; ", sender.Failures)}");

        // Nobody restarted: the four original processes are the ones started, and the membership table
        // holds one incarnation per silo, each active.
        Assert.All(original, n => Assert.False(n.HasExited, $"{n.WorkerName} exited"));
        var rows = await cluster.MembershipRowsAsync();
        Assert.Equal(["gateway1", "gateway2", "persister1", "persister2", "persister3"], rows.Select(r => r.SiloName).ToArray());
        Assert.All(rows, r => Assert.Equal(SiloStatus.Active, r.Status));
        Assert.Equal(["gateway1", "gateway2", "persister1", "persister2", "persister3"], await cluster.ActiveMembersAsync());
        Assert.Equal(trafficHost, await cluster.WhereIsAsync(client.GetGrain<IRoomGrain>(roomId)));
    }
}
