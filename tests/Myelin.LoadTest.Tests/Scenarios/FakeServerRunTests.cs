using Myelin.LoadTest.Cli;
using Myelin.LoadTest.Results;
using Myelin.LoadTest.Tests.Fakes;

namespace Myelin.LoadTest.Tests.Scenarios;

/// <summary>Whole runs of the harness against an in-memory fake homeserver, including injected faults.</summary>
public sealed class FakeServerRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("loadtest-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(int Exit, RunResult? Result)> RunAsync(FakeHomeserver server, string scenario, params string[] extra)
    {
        var outPath = Path.Combine(_dir, scenario + ".json");
        string[] args = [scenario, "--url", server.Url.ToString(), "--users", "4", "--rooms", "3", "--duration", "1s",
            "--rate", "40", "--drain", "3s", "--history", "2", "--no-progress", "--out", outPath, .. extra];
        var options = Assert.IsType<RunCommand>(CommandLineParser.Parse(args)).Options;
        var exit = await new LoadTestRunner(_out, _err, progressInPlace: false).RunAsync(options, CancellationToken.None);
        return (exit, File.Exists(outPath) ? RunResult.Load(outPath) : null);
    }

    [Fact]
    public async Task Chat_HealthyServer_EveryMessageDeliveredExitZero()
    {
        await using var server = new FakeHomeserver();

        var (exit, r) = await RunAsync(server, "chat");

        Assert.True(exit == 0, _out.ToString() + _err);
        Assert.NotNull(r);
        Assert.InRange(r.Sent, 20, 60);
        Assert.True(r.DeliveryChecked);
        Assert.Equal((0L, 0L, 0L), (r.Lost, r.Duplicated, r.Reordered));
        Assert.Equal(r.ExpectedDeliveries, r.Delivered);
        Assert.True(r.LatencyMs["send"].Count == r.Sent);
        Assert.True(r.LatencyMs["delivery"].Count > 0);
        Assert.Equal(4, r.LatencyMs["sync"].Count); // one first /sync per user
        Assert.True(File.Exists(Path.Combine(_dir, "chat.html")));
        Assert.Contains("latency (ms)", _out.ToString());
    }

    [Fact]
    public async Task Chat_ServerDropsEventsForOneUser_CountsLostAndExitsThree()
    {
        await using var server = new FakeHomeserver { DropFor = (user, pos) => user.EndsWith("u1:fake", StringComparison.Ordinal) && pos % 2 == 0 };

        var (exit, r) = await RunAsync(server, "chat", "--drain", "500ms");

        Assert.Equal(3, exit);
        Assert.True(r!.Lost > 0);
        Assert.Equal(r.ExpectedDeliveries - r.Lost, r.Delivered);
        Assert.Equal(0, r.Duplicated);
    }

    [Fact]
    public async Task Burst_ServerDuplicatesEvents_CountsDuplicated()
    {
        await using var server = new FakeHomeserver { DuplicateFor = (user, pos) => pos % 3 == 0 };

        var (exit, r) = await RunAsync(server, "burst", "--messages", "60");

        Assert.Equal(3, exit);
        Assert.Equal(60, r!.Sent);
        Assert.True(r.Duplicated > 0);
        Assert.Equal(0, r.Lost);
    }

    [Fact]
    public async Task Chat_ServerAnswersEverything500_ReportsSetupFailureWithoutCrashing()
    {
        await using var server = new FakeHomeserver { FailEverything = (500, "M_UNKNOWN") };

        var (exit, r) = await RunAsync(server, "chat");

        Assert.Equal(1, exit);
        Assert.StartsWith("setup failed", r!.Failure);
        Assert.Contains(r.Errors, e => e.Status == 500);
        Assert.Contains("FAILED", _out.ToString());
    }

    [Fact]
    public async Task InitialSync_HealthyServer_MeasuresLoginAndSync()
    {
        await using var server = new FakeHomeserver();

        var (exit, r) = await RunAsync(server, "initial-sync");

        Assert.Equal(0, exit);
        Assert.True(r!.Sent > 0);
        Assert.Equal(r.Sent, r.LatencyMs["sync"].Count);
        Assert.True(r.LatencyMs["login"].Count >= r.Sent);
        Assert.False(r.DeliveryChecked);
    }

    [Fact]
    public async Task Ephemeral_HealthyServer_SeesTypingDelivered()
    {
        await using var server = new FakeHomeserver();

        var (exit, r) = await RunAsync(server, "ephemeral");

        Assert.Equal(0, exit);
        Assert.True(r!.LatencyMs["typing"].Count > 0);
        Assert.True(r.LatencyMs["typing_delivery"].Count > 0);
        Assert.True(r.LatencyMs["delivery"].Count > 0);
    }

    [Fact]
    public async Task Registration_HealthyServer_RegistersUsersCount()
    {
        await using var server = new FakeHomeserver();

        var (exit, r) = await RunAsync(server, "registration", "--users", "12", "--duration", "10s");

        Assert.Equal(0, exit);
        Assert.Equal(12, r!.Sent);
        Assert.Equal(12, r.LatencyMs["register"].Count);
        Assert.Equal(12, r.LatencyMs["login"].Count);
    }

    [Fact]
    public async Task Chat_WithWorldFile_SecondRunReusesUsersAndRooms()
    {
        await using var server = new FakeHomeserver();
        var world = Path.Combine(_dir, "world.json");

        var (first, _) = await RunAsync(server, "chat", "--world", world);
        var registrationsAfterFirst = server.Registrations;
        var text = File.ReadAllText(world);
        var (second, r) = await RunAsync(server, "chat", "--world", world);

        Assert.Equal((0, 0), (first, second));
        Assert.Equal(0, r!.Lost);
        // Same users and rooms: the file did not grow new ones.
        var w1 = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var w2 = System.Text.Json.JsonDocument.Parse(File.ReadAllText(world)).RootElement;
        Assert.Equal(w1.GetProperty("users").GetArrayLength(), w2.GetProperty("users").GetArrayLength());
        Assert.Equal(w1.GetProperty("rooms")[0].GetProperty("room_id").GetString(), w2.GetProperty("rooms")[0].GetProperty("room_id").GetString());
        Assert.Equal(4, registrationsAfterFirst);
        Assert.Equal(4, server.Registrations);
    }

    [Fact]
    public async Task Run_ServerDown_ExitsOneWithMessage()
    {
        var url = $"http://127.0.0.1:{ScriptedServer.FreePort()}";
        var options = Assert.IsType<RunCommand>(CommandLineParser.Parse(["chat", "--url", url, "--no-progress"])).Options;

        var exit = await new LoadTestRunner(_out, _err, false).RunAsync(options, CancellationToken.None);

        Assert.Equal(1, exit);
        Assert.Contains("does not answer", _err.ToString());
    }
}
