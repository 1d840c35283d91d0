using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests.E2E;

/// <summary>
/// Runs <c>tests/e2e/appservice.test.mjs</c>: a real application service library (matrix-appservice from
/// npm) registered with a gateway of its own receives a room's events, answers into the room through a
/// ghost user, and a matrix-js-sdk user sees the answer.
/// </summary>
public sealed class AppserviceE2ETests
{
    static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(3);

    [MatrixJsSdkFact]
    public async Task MatrixAppservice_ReceivesAMessage_AndItsGhostsAnswerIsSeen()
    {
        var files = E2ESuite.TestFiles("appservice.test.mjs");
        var dir = Directory.CreateTempSubdirectory("myelin-as-e2e-").FullName;
        try
        {
            var port = GatewayProcess.FreePort();
            var asToken = "as-" + Guid.NewGuid().ToString("N");
            var hsToken = "hs-" + Guid.NewGuid().ToString("N");
            var registration = Path.Combine(dir, "echo.yaml");
            await File.WriteAllTextAsync(registration, $"""
                id: echo
                url: http://127.0.0.1:{port}
                as_token: {asToken}
                hs_token: {hsToken}
                sender_localpart: echobot
                receive_ephemeral: true
                namespaces:
                  users:
                    - exclusive: true
                      regex: '@_echo_.*'
                """);
            await using var gateway = await GatewayProcess.StartAsync($"app_service_config_files: ['{registration}']");
            var (exitCode, output) = await E2ESuite.RunAsync(files, new()
            {
                ["MYELIN_E2E_URL"] = gateway.BaseUrl.ToString().TrimEnd('/'),
                ["MYELIN_E2E_AS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["MYELIN_E2E_AS_TOKEN"] = asToken,
                ["MYELIN_E2E_HS_TOKEN"] = hsToken,
                ["MYELIN_E2E_AS_ID"] = "echo",
                ["MYELIN_E2E_AS_SENDER"] = "echobot",
            }, SuiteTimeout);
            Assert.True(exitCode == 0 && !output.Contains("# skipped 1", StringComparison.Ordinal) && output.Contains("# pass 6", StringComparison.Ordinal),
                $"node --test exited with {exitCode}:\n{output}\n--- last lines of the gateway's log ---\n{Tail(gateway.Log)}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(60));
}
