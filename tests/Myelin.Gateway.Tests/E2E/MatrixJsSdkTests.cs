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
        var files = E2ESuite.TestFiles();
        await using var gateway = await GatewayProcess.StartAsync();
        var (exitCode, output) = await E2ESuite.RunAsync(files, new() { ["MYELIN_E2E_URL"] = gateway.BaseUrl.ToString().TrimEnd('/') }, SuiteTimeout);
        Assert.True(exitCode == 0, $"node --test exited with {exitCode}:\n{output}\n--- last lines of the gateway's log ---\n{Tail(gateway.Log)}");
    }

    static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(60));
}
