using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Myelin.Gateway.Routing;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>One line of the generated config's access log (<c>log_format myelin</c>).</summary>
public sealed record NginxLogLine(string Method, string Uri, int Status, string Upstream, string User)
{
    static readonly Regex Shape = new(@"""(?<method>\S+) (?<uri>\S+) [^""]*"" (?<status>\d+) \d+ \S+ upstream=(?<up>.*?) user=(?<user>.*)$");

    public static NginxLogLine? Parse(string line)
    {
        var m = Shape.Match(line);
        return m.Success
            ? new(m.Groups["method"].Value, m.Groups["uri"].Value, int.Parse(m.Groups["status"].Value), m.Groups["up"].Value, m.Groups["user"].Value)
            : null;
    }
}

/// <summary>
/// A real nginx (Debian's) running the configuration <c>Myelin.Gateway routes --nginx</c> generates, in a
/// folder of its own, on a free loopback port, in the foreground so that disposing kills it. The access log
/// names the upstream of each request, which is how tests see where nginx sent it.
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    readonly Process _process;

    public string Directory { get; }
    public string ConfigPath { get; }
    public Uri BaseUrl { get; }

    NginxProcess(Process process, string directory, string configPath, Uri baseUrl)
    {
        _process = process; Directory = directory; ConfigPath = configPath; BaseUrl = baseUrl;
    }

    /// <summary>nginx on PATH, or Debian's /usr/sbin/nginx (not on a non-root PATH); null when not installed.</summary>
    public static string? Binary { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(dir => Path.Combine(dir, "nginx"))
            .FirstOrDefault(File.Exists);

    public static string RequireBinary() =>
        Binary ?? throw new InvalidOperationException("nginx is not installed (apt-get install -y nginx-light; scripts/test.sh does)");

    /// <summary>A fresh folder for nginx's state; the config is written there by <c>routes --nginx ... --out</c>.</summary>
    public static string NewDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "myelin-nginx-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Runs <c>routes --nginx</c> with <paramref name="routesArgs"/> (after --nginx), state in
    /// <paramref name="dir"/>; returns the config's path.</summary>
    public static string Generate(string dir, IEnumerable<string> routesArgs)
    {
        var path = Path.Combine(dir, "nginx.conf");
        var error = new StringWriter();
        var code = RoutesCommand.Run(["routes", "--nginx", .. routesArgs, "--state-dir", dir, "--out", path], new StringWriter(), error);
        if (code != 0) throw new InvalidOperationException($"routes --nginx exited with {code}: {error}");
        return path;
    }

    /// <summary><c>nginx -t</c> on <paramref name="configPath"/>: exit code and output.</summary>
    public static async Task<(int Code, string Output)> TestAsync(string configPath, string dir)
    {
        using var p = Start(["-t", "-p", dir + "/", "-c", configPath, "-e", Path.Combine(dir, "error.log")]);
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await output + await error);
    }

    /// <summary>Generates the config for the gateways (<c>--gateway</c> each, plus <paramref name="moreArgs"/>),
    /// checks it with <c>nginx -t</c>, starts nginx and waits until it accepts connections.</summary>
    public static async Task<NginxProcess> StartAsync(IEnumerable<Uri> gateways, IEnumerable<string>? moreArgs = null)
    {
        var dir = NewDirectory();
        var port = FreePort();
        var args = gateways.SelectMany(g => new[] { "--gateway", $"{g.Host}:{g.Port}" })
            .Concat(moreArgs ?? []).Concat(["--listen", $"127.0.0.1:{port}"]);
        var config = Generate(dir, args);
        var (code, output) = await TestAsync(config, dir);
        if (code != 0) throw new InvalidOperationException($"nginx -t rejected the generated config:\n{output}");

        var process = Start(["-p", dir + "/", "-c", config, "-e", Path.Combine(dir, "error.log"), "-g", "daemon off;"]);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var nginx = new NginxProcess(process, dir, config, new Uri($"http://127.0.0.1:{port}"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}:\n{nginx.ErrorLog}");
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync("127.0.0.1", port);
                return nginx;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    public static int FreePort()
    {
        return Myelin.TestSupport.TestPorts.Free();
    }

    static Process Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(RequireBinary())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public string ErrorLog => ReadShared(Path.Combine(Directory, "error.log"));

    /// <summary>The access log so far, parsed.</summary>
    public IReadOnlyList<NginxLogLine> AccessLog() =>
        ReadShared(Path.Combine(Directory, "access.log")).Split('\n').Select(NginxLogLine.Parse).OfType<NginxLogLine>().ToList();

    /// <summary>The lines matching <paramref name="match"/>, once there are at least <paramref name="count"/>:
    /// nginx writes a line when it finalises a request, which may be just after the client has its answer.</summary>
    public async Task<IReadOnlyList<NginxLogLine>> WaitForLogAsync(Func<NginxLogLine, bool> match, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (true)
        {
            var lines = AccessLog().Where(match).ToList();
            if (lines.Count >= count || DateTime.UtcNow > deadline) return lines;
            await Task.Delay(50);
        }
    }

    static string ReadShared(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(s).ReadToEnd();
        }
        catch (FileNotFoundException) { return ""; }
    }

    public ValueTask DisposeAsync() => TestChildProcess.KillAndCleanUpAsync(_process, Directory);
}

/// <summary>Runs when nginx is installed (scripts/test.sh installs nginx-light), or always under CI=true,
/// where a missing nginx must fail the run rather than skip it.</summary>
public sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        if (NginxProcess.Binary is null && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "nginx is not installed (apt-get install -y nginx-light, or set CI=true)";
    }
}

/// <summary>Stopping a test's child process (nginx, a gateway).</summary>
internal static class TestChildProcess
{
    /// <summary>Kills a test's child process (and its children), waits for it, and deletes its directory.</summary>
    public static async ValueTask KillAndCleanUpAsync(System.Diagnostics.Process process, string directory)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
        try { System.IO.Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
