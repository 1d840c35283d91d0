using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Myelin.Cluster.Tests.Infrastructure;

/// <summary>
/// One Myelin process of a test cluster: <c>Myelin.Silo</c> or <c>Myelin.Gateway</c> started from the
/// test's output folder with the cluster's shared YAML and its own, on free loopback ports. Its console
/// output is kept for failure messages.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    readonly Process _process;
    readonly StringBuilder _log = new();

    public string WorkerName { get; }
    public int SiloPort { get; }
    /// <summary>The client-server API, for gateways; null for a plain silo.</summary>
    public Uri? BaseUrl { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }
    public bool HasExited => _process.HasExited;
    /// <summary>CPU time the process has used so far (zero once it has exited), for the tests' cost reports.</summary>
    public TimeSpan CpuTime
    {
        get { try { return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime; } catch (InvalidOperationException) { return TimeSpan.Zero; } }
    }

    NodeProcess(Process process, string workerName, int siloPort, Uri? baseUrl)
    {
        _process = process; WorkerName = workerName; SiloPort = siloPort; BaseUrl = baseUrl;
    }

    /// <summary>Starts <paramref name="app"/> ("Myelin.Silo" or "Myelin.Gateway"); returns once the process runs,
    /// not once it has joined (see <see cref="TestCluster"/>). <paramref name="extraYaml"/> is appended to the
    /// process's own config file (e.g. <c>worker_app: synapse.app.pusher</c>; a later key wins).</summary>
    public static async Task<NodeProcess> StartAsync(string app, string workerName, string dir, string sharedConfigPath,
        bool http, bool clientGateway, string? extraYaml = null)
    {
        int silo = FreePort(), gateway = clientGateway ? FreePort() : 0, httpPort = http ? FreePort() : 0;
        var own = new StringBuilder($"""
            worker_app: synapse.app.generic_worker
            worker_name: {workerName}
            data_directory: {Path.Combine(dir, workerName)}
            orleans:
              silo_port: {silo}
              gateway_port: {gateway}

            """);
        if (http)
            own.Append($"""
                worker_listeners:
                  - port: {httpPort}
                    bind_addresses: ['127.0.0.1']
                    type: http

                """);
        if (extraYaml is not null) own.Append(extraYaml.TrimEnd() + "\n");
        var ownPath = Path.Combine(dir, workerName + ".yaml");
        await File.WriteAllTextAsync(ownPath, own.ToString());

        var dll = Path.Combine(AppContext.BaseDirectory, app + ".dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "--config-path", sharedConfigPath, "--config-path", ownPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {app}");
        var node = new NodeProcess(p, workerName, silo, http ? new Uri($"http://127.0.0.1:{httpPort}") : null);
        p.OutputDataReceived += (_, e) => node.Append(e.Data);
        p.ErrorDataReceived += (_, e) => node.Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return node;
    }

    void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Waits until the client-server API answers (gateways only).</summary>
    public async Task WaitForHttpAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{WorkerName} exited at start:\n{Log}");
            try
            {
                var r = await http.GetAsync(new Uri(BaseUrl!, "/_matrix/client/versions"));
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{WorkerName} did not answer HTTP:\n{Log}");
    }

    /// <summary>SIGKILL: the process dies without leaving the cluster, as in a crash.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public static int FreePort()
    {
        return Myelin.TestSupport.TestPorts.Free();
    }

    public async ValueTask DisposeAsync()
    {
        try { await KillAsync(); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
