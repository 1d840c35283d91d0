using System.Diagnostics;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// Redis is only the bus: the database is the source of truth. When Redis dies mid-traffic, sends go on
/// being acknowledged, and once it is back every process catches up from the database, so a member on
/// the other gateway misses nothing and its long-polls are woken again.
/// </summary>
public sealed class RedisRestartTests(ITestOutputHelper output)
{
    /// <summary>How long after Redis answers again a message may take to reach the other gateway's /sync
    /// (the bus's client reconnects with a backoff; the writers' keep-alive is 5 s).</summary>
    static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(20);
    /// <summary>Once resumed, deliveries are woken, not found by the poll's 30 s timeout.</summary>
    static readonly TimeSpan PromptBound = TimeSpan.FromSeconds(5);

    [RedisClusterFact]
    public async Task RedisRestarted_WhileClientSendsAndOtherLongPolls_NothingAcknowledgedMissingAndSyncsResume()
    {
        // A Redis of the test's own, which it may kill; the shared one stays up for the other tests.
        _ = TestEnvironment.RequireRedis();
        await using var redis = await RedisServer.StartAsync();
        await using var cluster = await TestCluster.CreateAsync(["persister1", "persister2"], redis.Endpoint);
        await cluster.StartSiloAsync("persister1");
        var starts = new[]
        {
            cluster.StartSiloAsync("persister2"), cluster.StartGatewayAsync("gateway1"), cluster.StartGatewayAsync("gateway2"),
        };
        await Task.WhenAll(starts);
        Uri gatewayA = starts[1].Result.BaseUrl!, gatewayB = starts[2].Result.BaseUrl!;

        using var alice = await new MatrixClient(gatewayA).RegisterAsync();
        using var bob = await new MatrixClient(gatewayB).RegisterAsync();
        var roomId = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(roomId);
        // A second room on (likely) the other persister, so that both persisters are writers of the
        // events stream and bob's gateway must hear from both to move on.
        var other = await bob.CreateRoomAsync(new { preset = "public_chat" });
        await alice.JoinAsync(other);
        await bob.SendMessageAsync(other, "second writer");

        var clock = Stopwatch.StartNew();
        await using var bobSync = new SyncFollower(gatewayB, bob.AccessToken!, clock);
        await bobSync.WaitInitialSyncAsync(TimeSpan.FromSeconds(20));

        await using var sender = new MessageSender(alice, roomId, "during", clock, TimeSpan.FromMilliseconds(50));
        await sender.WaitForMoreAsync(5, TimeSpan.FromSeconds(20));
        var beforeOutage = sender.AckedSoFar[^1];
        Assert.NotNull(await bobSync.WaitForAsync(beforeOutage.EventId, PromptBound));

        await redis.KillAsync();
        var killedAt = clock.Elapsed;
        output.WriteLine($"{killedAt.TotalSeconds:F1}s Redis killed after {sender.AckedSoFar.Count} acknowledged sends");
        // Sends are acknowledged while the bus is down: they are committed to the database.
        await sender.WaitForMoreAsync(5, TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));
        await redis.StartAgainAsync();
        var restartedAt = clock.Elapsed;
        var duringOutage = sender.AckedSoFar.Count(a => a.At > killedAt && a.At < restartedAt);
        output.WriteLine($"{restartedAt.TotalSeconds:F1}s Redis answers again; {duringOutage} sends acknowledged while it was down");
        Assert.True(duringOutage >= 5, $"only {duringOutage} sends acknowledged while Redis was down: {string.Join("; ", sender.Failures.TakeLast(5))}");

        // Syncs resume: a message sent now reaches bob's long-poll within the bound, and the ones after it promptly.
        await sender.WaitForMoreAsync(1, TimeSpan.FromSeconds(20));
        var firstAfter = sender.AckedSoFar[^1];
        var resumed = await bobSync.WaitForAsync(firstAfter.EventId, ResumeBound);
        Assert.True(resumed is not null,
            $"a message sent after Redis came back did not reach bob's /sync within {ResumeBound.TotalSeconds} s; errors: {string.Join("; ", bobSync.Errors)}\n{cluster.Logs}");
        output.WriteLine($"{resumed.At.TotalSeconds:F1}s bob's /sync resumed, {(resumed.At - restartedAt).TotalSeconds:F1} s after Redis answered again");

        var probe = await bob.SendMessageAsync(roomId, "probe from bob");
        await sender.WaitForMoreAsync(3, TimeSpan.FromSeconds(20));
        var acked = await sender.StopAsync();
        foreach (var a in acked.Where(a => a.At > resumed.At + TimeSpan.FromSeconds(1)))
        {
            var got = await bobSync.WaitForAsync(a.EventId, PromptBound);
            Assert.True(got is not null, $"{a.Body} (acknowledged at {a.At.TotalSeconds:F1}s) did not reach bob's /sync promptly after the resume");
            Assert.True(got.At - a.At <= PromptBound, $"{a.Body} took {(got.At - a.At).TotalSeconds:F1} s to reach bob's /sync after the resume");
        }
        Assert.NotNull(await bobSync.WaitForAsync(probe, PromptBound));

        // Nothing acknowledged is missing from bob's /sync: the events of the outage came from the database.
        var missing = new List<string>();
        foreach (var a in acked)
        {
            var got = await bobSync.WaitForAsync(a.EventId, TimeSpan.FromSeconds(2));
            if (got is null) { missing.Add($"{a.Body} ({a.EventId}, acked {a.At.TotalSeconds:F1}s)"); continue; }
            Assert.Equal(a.Body, got.Body);
            Assert.Equal(alice.UserId, got.Sender);
        }
        Assert.True(missing.Count == 0,
            $"{missing.Count} of {acked.Count} acknowledged events never reached bob's /sync: {string.Join(", ", missing)}; errors: {string.Join("; ", bobSync.Errors)}\n{cluster.Logs}");
        Assert.Equal(0, bobSync.LimitedTimelines);
        output.WriteLine($"{acked.Count} acknowledged sends, all in bob's /sync; {bobSync.Polls} syncs, {bobSync.Errors.Count} failed: {string.Join("; ", bobSync.Errors)}");
    }
}
