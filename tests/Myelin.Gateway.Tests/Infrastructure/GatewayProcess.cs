using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>
/// A real gateway process (the single-process homeserver) on free loopback ports with its own SQLite
/// database in a temp folder — what a client talks to. Extra YAML can be appended to its config.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly System.Text.StringBuilder _log = new();
    public string Directory { get; }
    public Uri BaseUrl { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }

    GatewayProcess(Process process, string dir, Uri baseUrl)
    {
        _process = process; Directory = dir; BaseUrl = baseUrl;
    }

    /// <param name="extraListeners">More entries of <c>listeners</c> (YAML list items at column 2, e.g. a metrics listener).</param>
    /// <param name="overlayYaml">A second config file, merged over the first as a later <c>--config-path</c> is
    /// (mappings merge key by key: <c>orleans: {dashboard: ...}</c> keeps the ports).</param>
    public static async Task<GatewayProcess> StartAsync(string extraYaml = "", string extraListeners = "", string? overlayYaml = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), "myelin-gw-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        int http = FreePort(), silo = FreePort(), gateway = FreePort();
        var config = $"""
            server_name: localhost
            enable_registration: true
            bcrypt_rounds: 4
            data_directory: {dir}
            listeners:
              - port: {http}
                bind_addresses: ['127.0.0.1']
                type: http
            {extraListeners}
            database:
              name: sqlite3
              args:
                database: {dir}/homeserver.db
            orleans:
              silo_port: {silo}
              gateway_port: {gateway}
            {extraYaml}
            """;
        var configPath = Path.Combine(dir, "homeserver.yaml");
        await File.WriteAllTextAsync(configPath, config);

        List<string> args = [Path.Combine(AppContext.BaseDirectory, "Myelin.Gateway.dll"), "--config-path", configPath];
        if (overlayYaml is not null)
        {
            var overlayPath = Path.Combine(dir, "overlay.yaml");
            await File.WriteAllTextAsync(overlayPath, overlayYaml);
            args.AddRange(["--config-path", overlayPath]);
        }
        var psi = new ProcessStartInfo("dotnet", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start the gateway");
        var gw = new GatewayProcess(p, dir, new Uri($"http://127.0.0.1:{http}"));
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (gw._log) gw._log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (gw._log) gw._log.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();

        using var http1 = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited) throw new InvalidOperationException("gateway exited at start:\n" + gw.Log);
            try
            {
                var r = await http1.GetAsync(new Uri(gw.BaseUrl, "/_matrix/client/versions"));
                if (r.IsSuccessStatusCode) return gw;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        await gw.DisposeAsync();
        throw new TimeoutException("gateway did not start:\n" + gw.Log);
    }

    public static int FreePort()
    {
        return Myelin.TestSupport.TestPorts.Free();
    }

    public ValueTask DisposeAsync() => TestChildProcess.KillAndCleanUpAsync(_process, Directory);

}

/// <summary>One gateway shared by the HTTP tests of a collection (tests make their own users and rooms).</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync();

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    public MatrixClient NewClient() => new(Gateway.BaseUrl);
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
