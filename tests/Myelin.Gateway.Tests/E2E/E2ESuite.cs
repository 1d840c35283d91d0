using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Myelin.Gateway.Tests.E2E;

/// <summary>Where the suite lives: <c>tests/e2e</c> under the folder holding <c>Orleans.sln</c>.</summary>
public static class E2ESuite
{
    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "tests", "e2e");

    /// <summary>The suite's test files (every <c>*.test.mjs</c>), or those named.</summary>
    public static string[] TestFiles(params string[] names)
    {
        Assert.True(System.IO.Directory.Exists(Path.Combine(Directory, "node_modules")),
            $"{Directory}/node_modules is missing: run `npm ci` there (scripts/test.sh does)");
        var files = names.Length > 0 ? names.Select(n => Path.Combine(Directory, n)).ToArray()
            : System.IO.Directory.GetFiles(Directory, "*.test.mjs").Order().ToArray();
        Assert.NotEmpty(files);
        return files;
    }

    /// <summary>Runs the files with node's test runner in the suite's folder; returns its exit code and
    /// output (a timeout kills it and says so in the output).</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] files, Dictionary<string, string> environment, TimeSpan timeout)
    {
        // --test-force-exit: the SDK leaves its requests' timeout timers (up to 110 s) running after
        // stopClient(), which would otherwise hold the process open once every test has finished.
        var psi = new ProcessStartInfo("node", ["--test", "--test-force-exit", .. files])
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in environment) psi.Environment[k] = v;

        var output = new StringBuilder();
        using var node = StartOrExplain(psi);
        node.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        node.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await node.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            lock (output) return (-1, $"node --test did not finish within {timeout}:\n{output}");
        }
        await node.WaitForExitAsync(); // drains the redirected output
        lock (output) return (node.ExitCode, output.ToString());
    }

    static Process StartOrExplain(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException("could not start node");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("`node` (Node.js 20 or later) is not on PATH; the matrix-js-sdk suite needs it", e);
        }
    }

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Orleans.sln");
    }
}

/// <summary>
/// A fact that is skipped when the suite's packages are not installed — except under CI=true, where
/// it runs and fails, since CI installs them (xunit 2 has no dynamic skip, hence the attribute).
/// </summary>
public sealed class MatrixJsSdkFactAttribute : FactAttribute
{
    public MatrixJsSdkFactAttribute()
    {
        var installed = System.IO.Directory.Exists(Path.Combine(E2ESuite.Directory, "node_modules"));
        if (!installed && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "tests/e2e/node_modules is missing: run `npm ci` in tests/e2e to include the matrix-js-sdk suite";
    }
}
