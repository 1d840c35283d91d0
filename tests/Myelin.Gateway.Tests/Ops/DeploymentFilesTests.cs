using System.Diagnostics;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Gateway.Tests.Ops;

/// <summary>
/// The operator-facing files: docker/ (compose, nginx, per-service YAML, init-secrets.sh) and
/// scripts/cluster's generated YAML. No Docker engine runs in CI, so scripts/check-docker.sh validates
/// what can be validated without one; the YAML is loaded by Myelin's own configuration code.
/// </summary>
public sealed class DeploymentFilesTests
{
    static readonly string Root = RepoRoot();

    [DeploymentToolsFact]
    public async Task CheckDockerScript_ComposeNginxAndRouting_Pass()
    {
        var (code, output) = await RunAsync("bash", [Path.Combine(Root, "scripts", "check-docker.sh")], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"scripts/check-docker.sh exited with {code}:\n{output}");
        Assert.Contains("check-docker: OK", output);
    }

    [Fact]
    public async Task ComposeConfigFiles_LoadAsEachService()
    {
        var secrets = Temp();
        try
        {
            var (code, output) = await RunAsync("sh", [Path.Combine(Root, "docker", "init-secrets.sh"), secrets],
                TimeSpan.FromSeconds(30), new() { ["POSTGRES_PASSWORD"] = "s3cret" });
            Assert.True(code == 0, $"init-secrets.sh exited with {code}:\n{output}");
            using (SigningKey.Parse(File.ReadAllText(Path.Combine(secrets, "signing.key")))) { }

            var config = Path.Combine(Root, "docker", "config");
            foreach (var name in new[] { "persister1", "persister2", "gateway1", "gateway2" })
            {
                var o = HomeserverOptions.FromConfig(ConfigLoader.Load([
                    Path.Combine(config, "shared.yaml"), Path.Combine(secrets, "secrets.yaml"), Path.Combine(config, $"{name}.yaml")]));
                Assert.Equal("synapse.app.generic_worker", o.Cluster.WorkerApp);
                Assert.Equal(name, o.WorkerName);
                Assert.Equal(DatabaseEngine.Postgres, o.Database.Engine);
                Assert.Contains("Host=postgres", o.Database.ConnectionString);
                Assert.Contains("Password=s3cret", o.Database.ConnectionString);
                Assert.True(o.Cluster.Redis.Enabled);
                Assert.Equal("redis", o.Cluster.Redis.Host);
                Assert.Equal(["persister1", "persister2"], o.Cluster.StreamWriters["events"]);
                Assert.Equal(name.StartsWith("persister"), o.Cluster.IsStreamWriter("events"));
                Assert.Equal(4, o.Cluster.InstanceMap.Count);
                Assert.False(string.IsNullOrEmpty(o.Cluster.ReplicationSecret));
                Assert.Equal(Path.Combine(secrets, "signing.key"), o.SigningKeyPath);
                if (name.StartsWith("gateway"))
                {
                    var http = Assert.Single(o.Listeners, l => l.Type == "http");
                    Assert.Equal(8008, http.Port);
                    Assert.Equal(["0.0.0.0"], http.BindAddresses);
                }
            }
        }
        finally { Directory.Delete(secrets, recursive: true); }
    }

    [Fact]
    public async Task ClusterScriptConfig_GivesEveryProcessItsOwnNameAndPorts()
    {
        var state = Temp();
        try
        {
            var (code, output) = await RunAsync("bash", [Path.Combine(Root, "scripts", "cluster"), "config"],
                TimeSpan.FromSeconds(30), new() { ["MYELIN_CLUSTER_DIR"] = state });
            Assert.True(code == 0, $"scripts/cluster config exited with {code}:\n{output}");
            using (SigningKey.Parse(File.ReadAllText(Path.Combine(state, "signing.key")))) { }

            var ports = new HashSet<int>();
            string? secret = null;
            foreach (var name in new[] { "persister1", "persister2", "gateway1", "gateway2" })
            {
                var o = HomeserverOptions.FromConfig(ConfigLoader.Load([
                    Path.Combine(state, "shared.yaml"), Path.Combine(state, $"{name}.yaml")]));
                Assert.Equal(name, o.WorkerName);
                Assert.Equal(DatabaseEngine.Postgres, o.Database.Engine);
                Assert.Contains("Database=myelin_cluster", o.Database.ConnectionString);
                Assert.True(o.Cluster.Redis.Enabled);
                Assert.Equal(["persister1", "persister2"], o.Cluster.StreamWriters["events"]);
                Assert.Equal("persister1", o.Cluster.RunBackgroundTasksOn);
                Assert.True(o.EnableRegistration);
                secret ??= o.Cluster.ReplicationSecret;
                Assert.False(string.IsNullOrEmpty(secret));
                Assert.Equal(secret, o.Cluster.ReplicationSecret);
                Assert.True(ports.Add(o.Orleans.SiloPort), $"{name}: silo_port {o.Orleans.SiloPort} is taken twice");
                Assert.True(ports.Add(o.Orleans.GatewayPort), $"{name}: gateway_port {o.Orleans.GatewayPort} is taken twice");
                if (name.StartsWith("gateway"))
                {
                    var http = Assert.Single(o.Listeners, l => l.Type == "http");
                    Assert.Equal(name == "gateway1" ? 18081 : 18082, http.Port);
                    Assert.True(ports.Add(http.Port));
                }
            }

            // A second run keeps the secret and the key: they were generated once.
            var key = File.ReadAllText(Path.Combine(state, "signing.key"));
            (code, output) = await RunAsync("bash", [Path.Combine(Root, "scripts", "cluster"), "config"],
                TimeSpan.FromSeconds(30), new() { ["MYELIN_CLUSTER_DIR"] = state });
            Assert.True(code == 0, output);
            Assert.Equal(key, File.ReadAllText(Path.Combine(state, "signing.key")));
            Assert.Contains(secret!, File.ReadAllText(Path.Combine(state, "shared.yaml")));
        }
        finally { Directory.Delete(state, recursive: true); }
    }

    static string Temp()
    {
        var dir = Path.Combine(Path.GetTempPath(), "myelin-ops-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    internal static async Task<(int Code, string Output)> RunAsync(string file, string[] args, TimeSpan timeout,
        Dictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in env ?? []) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{await stdout}{await stderr}");
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Orleans.sln");
    }
}

/// <summary>
/// Runs when docker-compose, nginx, python3 and curl are installed (scripts/test.sh installs them), or
/// always under CI=true, where a missing tool must fail the run rather than skip it.
/// </summary>
public sealed class DeploymentToolsFactAttribute : FactAttribute
{
    public DeploymentToolsFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("CI") == "true") return;
        var missing = new[] { "docker-compose", "nginx", "python3", "curl" }.Where(t => !OnPath(t)).ToList();
        if (missing.Count > 0)
            Skip = $"{string.Join(", ", missing)} not installed: run scripts/check-docker.sh as root (it installs them) or set CI=true";
    }

    static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
