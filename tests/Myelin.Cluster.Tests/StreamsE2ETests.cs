using System.Diagnostics;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.E2E;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// Issue 5's real-client suite (tests/e2e/streams.test.mjs: typing, receipts, to-device, account data,
/// tags, presence, push rules) on the cluster: Alice's client on gateway 1, Bob's (and Alice's second
/// device) on gateway 2, so each stream's write through one gateway is seen through the other.
/// </summary>
public sealed class StreamsE2ETests(ITestOutputHelper output)
{
    static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(4);

    [RedisClusterFact]
    public async Task StreamsSuite_ClientsOnTwoGateways_Passes()
    {
        var files = E2ESuite.TestFiles("streams.test.mjs");
        await using var cluster = await TestCluster.CreateAsync(["persister1", "persister2"], TestEnvironment.RequireRedis());
        var started = Stopwatch.StartNew();
        await cluster.StartSiloAsync("persister1");
        var starts = new[]
        {
            cluster.StartSiloAsync("persister2"), cluster.StartGatewayAsync("gateway1"), cluster.StartGatewayAsync("gateway2"),
        };
        await Task.WhenAll(starts);
        output.WriteLine($"cluster up after {started.Elapsed.TotalSeconds:F1} s");

        var (exitCode, log) = await E2ESuite.RunAsync(files, new()
        {
            ["MYELIN_E2E_URL"] = starts[1].Result.BaseUrl!.ToString().TrimEnd('/'),
            ["MYELIN_E2E_URL_B"] = starts[2].Result.BaseUrl!.ToString().TrimEnd('/'),
        }, SuiteTimeout);
        output.WriteLine(log);
        Assert.True(exitCode == 0, $"node --test exited with {exitCode}:\n{log}\n{cluster.Logs}");
    }
}
