using System.Diagnostics;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Grains.Rooms;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>A persister that dies without warning: its rooms come back on another persister, and nothing
/// a client was told had been sent is lost.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    /// <summary>The bound issue 4 sets for a dead persister's rooms to accept sends again.</summary>
    static readonly TimeSpan FailoverBound = TimeSpan.FromSeconds(10);

    [PostgresFact]
    public async Task PersisterKilled_WhileClientSends_RoomAcceptsSendsWithinBoundAndKeepsAcknowledgedEvents()
    {
        await using var cluster = await TestCluster.CreateAsync(eventWriters: ["persister1", "persister2"]);
        // The first process creates the shared signing key; the other two then start side by side.
        var persister1 = await cluster.StartSiloAsync("persister1");
        var persister2 = cluster.StartSiloAsync("persister2");
        var gatewayStart = cluster.StartGatewayAsync("gateway1");
        var persisters = new Dictionary<string, NodeProcess> { ["persister1"] = persister1, ["persister2"] = await persister2 };
        var gateway = await gatewayStart;

        using var alice = await new MatrixClient(gateway.BaseUrl!).RegisterAsync();
        var roomId = await alice.CreateRoomAsync();
        var acked = new List<(string EventId, string Body)>();
        for (var i = 0; i < 5; i++) acked.Add((await alice.SendMessageAsync(roomId, $"before {i}"), $"before {i}"));

        var room = (await cluster.ClientAsync()).GetGrain<IRoomGrain>(roomId);
        var host = await cluster.WhereIsAsync(room);
        Assert.True(host is "persister1" or "persister2", $"room on {host ?? "nothing"}");
        var survivor = host == "persister1" ? "persister2" : "persister1";

        // A client sends continuously (retrying a failed send with the same txnId, as clients do) while
        // the room's persister is SIGKILLed.
        using var stop = new CancellationTokenSource();
        var killedAt = new TaskCompletionSource<Stopwatch>();
        var firstAfterKill = new TaskCompletionSource<TimeSpan>();
        var sender = Task.Run(async () =>
        {
            var failures = 0;
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var txn = Guid.NewGuid().ToString("N");
                var body = $"during {n}";
                while (!stop.IsCancellationRequested)
                {
                    var startedAfterKill = killedAt.Task.IsCompleted;
                    var r = await alice.PutAsync(
                        $"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/send/m.room.message/{txn}",
                        new { msgtype = "m.text", body });
                    if (r.Status == 200)
                    {
                        lock (acked) acked.Add((r.Json["event_id"]!.GetValue<string>(), body));
                        if (startedAfterKill || failures > 0)
                            firstAfterKill.TrySetResult(killedAt.Task.Result.Elapsed);
                        break;
                    }
                    failures++;
                    await Task.Delay(100);
                }
            }
        });

        await Task.Delay(500);
        var clock = Stopwatch.StartNew();
        await persisters[host!].KillAsync();
        killedAt.SetResult(clock);

        var recovered = await Task.WhenAny(firstAfterKill.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(recovered == firstAfterKill.Task, $"the room did not accept a send within 30 s of the kill\n{cluster.Logs}");
        var failover = await firstAfterKill.Task;
        output.WriteLine($"failover: first acknowledged send {failover.TotalSeconds:F1} s after SIGKILL of {host}");

        await Task.Delay(1000); // a few more sends on the new host
        stop.Cancel();
        await sender;

        Assert.True(failover <= FailoverBound, $"failover took {failover.TotalSeconds:F1} s (bound {FailoverBound.TotalSeconds} s)");
        Assert.Equal(survivor, await cluster.WhereIsAsync(room));

        // Every acknowledged event is still there, with what was sent.
        foreach (var (eventId, body) in acked)
        {
            var r = await alice.GetAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/event/{Uri.EscapeDataString(eventId)}");
            Assert.True(r.Status == 200, $"{eventId} ({body}): {r.Status} {r.Raw}");
            Assert.Equal(body, r.Json["content"]!["body"]!.GetValue<string>());
        }
        output.WriteLine($"{acked.Count} acknowledged events all readable");
    }
}
