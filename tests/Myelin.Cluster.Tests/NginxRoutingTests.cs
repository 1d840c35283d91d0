using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>Needs PostgreSQL and Redis (the cluster) and nginx: skipped locally when one is missing, never under CI=true.</summary>
public sealed class NginxClusterFactAttribute : FactAttribute
{
    public NginxClusterFactAttribute()
    {
        if (TestEnvironment.IsCi) return;
        if (TestEnvironment.PostgresConnectionString is null || TestEnvironment.Redis is null)
            Skip = $"{TestEnvironment.PostgresVariable} / {TestEnvironment.RedisVariable} not set (run: eval \"$(bash scripts/services.sh start)\")";
        else if (NginxProcess.Binary is null)
            Skip = "nginx is not installed (apt-get install -y nginx-light)";
    }
}

/// <summary>
/// Clients talking to a real nginx running the configuration <c>routes --nginx</c> generates, in front
/// of two gateway silos of one cluster (they are also its event persisters, to keep the test at two
/// processes). nginx's access log names the gateway of every request: a user's /sync lands on one
/// gateway whatever the token, initial syncs on their own upstream, a room's sends on one gateway,
/// media on the media instance, the rest alternates; and the Matrix traffic itself works through it.
/// </summary>
public sealed class NginxRoutingTests(ITestOutputHelper output)
{
    const string SyncPath = "/_matrix/client/v3/sync";

    static string Base64Url(string localpart) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(localpart)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [NginxClusterFact]
    public async Task GeneratedNginx_InFrontOfTwoGateways_RoutesAsConfigured_AndClientsWork()
    {
        await using var cluster = await TestCluster.CreateAsync(["gateway1", "gateway2"], TestEnvironment.RequireRedis());
        var gateway1 = await cluster.StartGatewayAsync("gateway1");
        var gateway2 = await cluster.StartGatewayAsync("gateway2");
        string a = $"127.0.0.1:{gateway1.BaseUrl!.Port}", b = $"127.0.0.1:{gateway2.BaseUrl!.Port}";
        // Initial syncs get gateway1 alone, media gateway2 alone: both splits are then visible.
        await using var nginx = await NginxProcess.StartAsync([gateway1.BaseUrl, gateway2.BaseUrl], ["--initial-sync", a, "--media", b]);
        string Name(string upstream) => upstream == a ? "gateway1" : upstream == b ? "gateway2" : upstream;
        string Lines() => string.Join("\n", nginx.AccessLog().Select(l => $"{l.Method} {l.Uri} {l.Status} {Name(l.Upstream)} {l.User}"));

        // --- /sync: sticky per user, initial syncs on their own upstream --------------------------------
        // Users are registered until the hash has put some on each gateway (the odds of 20 landing on
        // one gateway are one in half a million).
        var users = new List<(MatrixClient Client, string Home, string Since)>();
        for (var i = 0; i < 20 && users.Select(u => u.Home).Distinct().Count() < 2; i++)
        {
            var c = await new MatrixClient(nginx.BaseUrl).RegisterAsync();
            var key = Base64Url(c.UserId[1..c.UserId.IndexOf(':')]);
            var initial = await c.SyncAsync();
            var since = initial["next_batch"]!.GetValue<string>();
            since = (await c.SyncAsync(since))["next_batch"]!.GetValue<string>();
            // The deprecated access_token query parameter hashes the same way as the header.
            var byQuery = await c.SendAsync(HttpMethod.Get,
                $"{SyncPath}?since={Uri.EscapeDataString(since)}&timeout=0&access_token={c.AccessToken}", auth: false);
            Assert.Equal(200, byQuery.Status);
            since = byQuery.Json["next_batch"]!.GetValue<string>();
            // A second device: a new token (new random part) for the same user.
            using var loginClient = new MatrixClient(nginx.BaseUrl);
            var login = await loginClient.PostAsync("/_matrix/client/v3/login",
                new { type = "m.login.password", identifier = new { type = "m.id.user", user = c.UserId }, password = "correct horse" });
            Assert.Equal(200, login.Status);
            using var second = new MatrixClient(nginx.BaseUrl) { AccessToken = login.Json["access_token"]!.GetValue<string>() };
            await second.SyncAsync(since);

            var lines = await nginx.WaitForLogAsync(l => l.Uri.StartsWith(SyncPath, StringComparison.Ordinal) && l.User == key, 4);
            Assert.True(lines.Count == 4, $"expected 4 /sync lines hashed by {key}:\n{Lines()}");
            Assert.All(lines, l => Assert.Equal(200, l.Status));
            var initialLines = lines.Where(l => !l.Uri.Contains("since=")).ToList();
            var incremental = lines.Where(l => l.Uri.Contains("since=")).ToList();
            Assert.Equal("gateway1", Name(Assert.Single(initialLines).Upstream));
            Assert.Equal(3, incremental.Count);
            var home = Name(incremental[0].Upstream);
            Assert.True(incremental.All(l => Name(l.Upstream) == home), $"{c.UserId}'s /sync went to several gateways:\n{Lines()}");
            users.Add((c, home, since));
        }
        output.WriteLine($"/sync homes: {string.Join(", ", users.Select(u => u.Home))}");
        Assert.True(users.Select(u => u.Home).Distinct().Count() == 2, $"20 users' /sync all hashed to one gateway:\n{Lines()}");

        // --- a conversation across the two gateways' users ---------------------------------------------
        var alice = users[0];
        var bob = users.First(u => u.Home != alice.Home);
        var roomId = await alice.Client.CreateRoomAsync(new { preset = "public_chat" });
        await bob.Client.JoinAsync(roomId);
        var sent = new List<string>();
        for (var i = 0; i < 3; i++) sent.Add(await alice.Client.SendMessageAsync(roomId, $"through nginx {i}"));

        // Bob long-polls through nginx (on his own gateway) until alice's messages arrive.
        var seen = new HashSet<string>();
        var since2 = bob.Since;
        var clock = Stopwatch.StartNew();
        while (!sent.All(seen.Contains) && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var s = await bob.Client.SyncAsync(since2, timeoutMs: 5000);
            since2 = s["next_batch"]!.GetValue<string>();
            foreach (var e in s["rooms"]?["join"]?[roomId]?["timeline"]?["events"]?.AsArray() ?? [])
                if (e?["event_id"]?.GetValue<string>() is { } id) seen.Add(id);
        }
        Assert.True(sent.All(seen.Contains), $"bob's /sync through nginx saw {seen.Count} of alice's 3 messages\n{cluster.Logs}");

        // A room's event sending hashes by its room ID: every send to it went to one gateway.
        var escapedRoom = Uri.EscapeDataString(roomId);
        var sends = await nginx.WaitForLogAsync(l => l.Method == "PUT" && l.Uri.Contains($"/rooms/{escapedRoom}/send/"), 3);
        Assert.Equal(3, sends.Count);
        Assert.All(sends, l => Assert.Equal(200, l.Status));
        Assert.Single(sends.Select(l => l.Upstream).Distinct());
        var bobSyncs = nginx.AccessLog().Where(l => l.User == Base64Url(bob.Client.UserId[1..bob.Client.UserId.IndexOf(':')]) && l.Uri.Contains("since=")).ToList();
        Assert.All(bobSyncs, l => Assert.Equal(bob.Home, Name(l.Upstream)));

        // --- the other pools -------------------------------------------------------------------------
        using var anonymous = new MatrixClient(nginx.BaseUrl);
        for (var i = 0; i < 4; i++) Assert.Equal(200, (await anonymous.GetAsync("/_matrix/client/versions")).Status);
        var versions = await nginx.WaitForLogAsync(l => l.Uri == "/_matrix/client/versions", 4);
        Assert.Equal(["gateway1", "gateway2"], versions.Select(l => Name(l.Upstream)).Distinct().Order());

        for (var i = 0; i < 3; i++) await anonymous.GetAsync("/_matrix/media/v3/config");
        var media = await nginx.WaitForLogAsync(l => l.Uri == "/_matrix/media/v3/config", 3);
        Assert.Equal(3, media.Count);
        Assert.All(media, l => Assert.Equal("gateway2", Name(l.Upstream)));

        for (var i = 0; i < 3; i++) await anonymous.PutAsync($"/_matrix/federation/v1/send/txn{i}", new JsonObject { ["pdus"] = new JsonArray() });
        var federation = await nginx.WaitForLogAsync(l => l.Uri.StartsWith("/_matrix/federation/v1/send/", StringComparison.Ordinal), 3);
        Assert.Equal(3, federation.Count);
        Assert.Single(federation.Select(l => l.Upstream).Distinct());

        output.WriteLine($"sends → {Name(sends[0].Upstream)}, federation → {Name(federation[0].Upstream)}, versions → {string.Join(",", versions.Select(l => Name(l.Upstream)))}");
        output.WriteLine(cluster.CpuReport);
        foreach (var u in users) u.Client.Dispose();
    }
}
