using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests.E2E;

/// <summary>
/// Runs the matrix-js-sdk suite in <c>tests/e2e</c> (node's built-in test runner) against a gateway of
/// its own: a real client's start-up, sync loop, pagination and state handling, end to end.
/// </summary>
public sealed class MatrixJsSdkTests
{
    static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(4);

    [MatrixJsSdkFact]
    public async Task NodeSuite_AgainstRunningGateway_Passes()
    {
        var suite = E2ESuite.Directory;
        Assert.True(System.IO.Directory.Exists(Path.Combine(suite, "node_modules")),
            $"{suite}/node_modules is missing: run `npm ci` there (scripts/test.sh does)");
        var files = System.IO.Directory.GetFiles(suite, "*.test.mjs").Order().ToArray();
        Assert.NotEmpty(files);

        await using var gateway = await GatewayProcess.StartAsync();
        // --test-force-exit: the SDK leaves its requests' timeout timers (up to 110 s) running after
        // stopClient(), which would otherwise hold the process open once every test has finished.
        var psi = new ProcessStartInfo("node", ["--test", "--test-force-exit", .. files])
        {
            WorkingDirectory = suite,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["MYELIN_E2E_URL"] = gateway.BaseUrl.ToString().TrimEnd('/');

        var output = new StringBuilder();
        using var node = StartOrExplain(psi);
        node.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        node.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(SuiteTimeout);
        try
        {
            await node.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            Assert.Fail($"node --test did not finish within {SuiteTimeout}:\n{Report(output, gateway)}");
        }
        await node.WaitForExitAsync(); // drains the redirected output

        Assert.True(node.ExitCode == 0, $"node --test exited with {node.ExitCode}:\n{Report(output, gateway)}");
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

    static string Report(StringBuilder output, GatewayProcess gateway)
    {
        string nodeOutput;
        lock (output) nodeOutput = output.ToString();
        var log = gateway.Log.Split('\n');
        return $"{nodeOutput}\n--- last lines of the gateway's log ---\n{string.Join('\n', log.TakeLast(60))}";
    }
}

/// <summary>Where the suite lives: <c>tests/e2e</c> under the folder holding <c>Orleans.sln</c>.</summary>
static class E2ESuite
{
    public static string Directory { get; } = Path.Combine(RepositoryRoot(), "tests", "e2e");

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
