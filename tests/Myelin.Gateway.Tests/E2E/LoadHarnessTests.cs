using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests.E2E;

/// <summary>
/// The load harness (src/LoadTest) run for a few seconds against a gateway of its own: its chat scenario
/// must find every acknowledged message in every member's /sync, once and in order.
/// </summary>
public sealed class LoadHarnessTests
{
    [Fact]
    public async Task ChatScenario_ShortRun_NothingLostDuplicatedOrReordered()
    {
        await using var gateway = await GatewayProcess.StartAsync();
        var output = Path.Combine(gateway.Directory, "chat.json");
        var harness = Path.Combine(AppContext.BaseDirectory, "Myelin.LoadTest.dll");
        var psi = new ProcessStartInfo("dotnet",
            [harness, "chat", "--url", gateway.BaseUrl.ToString(), "--users", "6", "--rooms", "3",
             "--duration", "4s", "--rate", "20", "--drain", "10s", "--no-progress", "--out", output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        var log = await stdout + await stderr;

        Assert.True(p.ExitCode == 0, $"harness exited with {p.ExitCode}:\n{log}");
        var result = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
        Assert.Equal("chat", result["scenario"]!.GetValue<string>());
        Assert.True(result["sent"]!.GetValue<long>() > 20, log);
        Assert.Equal(0, result["lost"]!.GetValue<long>());
        Assert.Equal(0, result["duplicated"]!.GetValue<long>());
        Assert.Equal(0, result["reordered"]!.GetValue<long>());
    }
}
