using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The user directory updater as its own process (Synapse's user_dir worker: <c>update_user_directory_from_worker</c>
/// names it): a user is found through a gateway right after joining a shared room, and a join while the
/// updater is down is found once it is back, resuming from its stored position.
/// </summary>
public sealed class UserDirectoryClusterTests(ITestOutputHelper output)
{
    static readonly TimeSpan FoundBound = TimeSpan.FromSeconds(15);

    [RedisClusterFact]
    public async Task UpdaterOnItsOwnProcess_JoinFoundThroughTheGateway_AndAfterARestart()
    {
        await using var cluster = await TestCluster.CreateAsync(["persister1"], TestEnvironment.RequireRedis(),
            "update_user_directory_from_worker: userdir1\nrun_background_tasks_on: persister1");
        var starts = new[] { cluster.StartSiloAsync("persister1"), cluster.StartSiloAsync("userdir1"), cluster.StartGatewayAsync("gateway1") };
        await Task.WhenAll(starts);
        var userdir = starts[1].Result;
        var gateway = starts[2].Result.BaseUrl!;

        var tag = "t" + Guid.NewGuid().ToString("N")[..10];
        using var alice = await Named(await new MatrixClient(gateway).RegisterAsync(), $"Alice {tag}");
        using var bob = await Named(await new MatrixClient(gateway).RegisterAsync(), $"Bob {tag}");
        using var carol = await Named(await new MatrixClient(gateway).RegisterAsync(), $"Carol {tag}");
        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId, carol.UserId } });

        await bob.JoinAsync(room);
        var clock = Stopwatch.StartNew();
        await SearchUntilAsync(alice, "bob " + tag, bob.UserId, cluster);
        output.WriteLine($"bob found {clock.ElapsedMilliseconds} ms after joining");
        Assert.Equal(["userdir1"], await UpdaterInstancesAsync(cluster));

        // The updater dies; carol joins meanwhile; the updater comes back and catches up from its position.
        await userdir.KillAsync();
        await carol.JoinAsync(room);
        await cluster.StartSiloAsync("userdir1");
        clock.Restart();
        await SearchUntilAsync(alice, "carol " + tag, carol.UserId, cluster);
        output.WriteLine($"carol found {clock.ElapsedMilliseconds} ms after the updater restarted");
    }

    static async Task<MatrixClient> Named(MatrixClient c, string name)
    {
        var r = await c.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(c.UserId)}/displayname", new { displayname = name });
        Assert.Equal(200, r.Status);
        return c;
    }

    static async Task SearchUntilAsync(MatrixClient c, string term, string expected, TestCluster cluster)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var r = await c.PostAsync("/_matrix/client/v3/user_directory/search", new { search_term = term });
            Assert.Equal(200, r.Status);
            if (r.Json["results"]!.AsArray().Any(u => (string?)u!["user_id"] == expected)) return;
            Assert.True(clock.Elapsed < FoundBound, $"{expected} not found by '{term}' within {FoundBound.TotalSeconds} s: {r.Raw}\n{cluster.Logs}");
            await Task.Delay(100);
        }
    }

    static async Task<List<string>> UpdaterInstancesAsync(TestCluster cluster)
    {
        await using var c = new NpgsqlConnection(cluster.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT instance_name FROM worker_app_positions WHERE app_name = 'user_directory'", c);
        var result = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result.Add(reader.GetString(0));
        return result;
    }
}
