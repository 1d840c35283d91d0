using Myelin.LoadTest.Cli;

namespace Myelin.LoadTest.Tests.Cli;

public class CommandLineParserTests
{
    private static LoadTestOptions Run(params string[] args) =>
        Assert.IsType<RunCommand>(CommandLineParser.Parse(args)).Options;

    private static string Error(params string[] args) =>
        Assert.IsType<UsageError>(CommandLineParser.Parse(args)).Message;

    [Fact]
    public void Parse_AllOptions_SetsEveryField()
    {
        var o = Run("chat", "--url", "http://127.0.0.1:8008", "--users", "50", "--rooms", "7", "--duration", "2m",
            "--rate", "12.5", "--out", "r.json", "--messages", "99", "--seed", "4", "--drain", "0s", "--max-connections", "64",
            "--concurrency", "3", "--room-exponent", "1.5", "--history", "0", "--no-progress", "--inline-filters", "--httpclient-sync", "--world", "w.json");

        Assert.Equal([ScenarioKind.Chat], o.Scenarios);
        Assert.Equal(new Uri("http://127.0.0.1:8008/"), o.ServerUrl);
        Assert.Equal(50, o.Users);
        Assert.Equal(7, o.Rooms);
        Assert.Equal(TimeSpan.FromMinutes(2), o.Duration);
        Assert.Equal(12.5, o.Rate);
        Assert.Equal("r.json", o.OutPath);
        Assert.Equal(99, o.MaxOperations);
        Assert.Equal(4, o.Seed);
        Assert.Equal(TimeSpan.Zero, o.Drain);
        Assert.Equal(64, o.MaxConnections);
        Assert.Equal(3, o.Concurrency);
        Assert.Equal(1.5, o.RoomSizeExponent);
        Assert.Equal(0, o.HistoryPerRoom);
        Assert.False(o.ShowProgress);
        Assert.True(o.InlineFilters);
        Assert.True(o.HttpClientSync);
        Assert.Equal("w.json", o.WorldPath);
    }

    [Fact]
    public void Parse_OnlyUrl_UsesDefaults()
    {
        var o = Run("burst", "--url", "http://localhost:8008");
        Assert.Equal(20, o.Users);
        Assert.Equal(10, o.Rooms);
        Assert.Equal(TimeSpan.FromSeconds(30), o.Duration);
        Assert.True(o.ShowProgress);
        Assert.False(o.InlineFilters);
        Assert.False(o.HttpClientSync);
        Assert.False(o.AllowRemote);
    }

    [Fact]
    public void Parse_CommaSeparatedScenarios_KeepsOrderWithoutDuplicates()
    {
        var o = Run("chat,initial-sync,chat,registration", "--url", "http://[::1]:8008");
        Assert.Equal([ScenarioKind.Chat, ScenarioKind.InitialSync, ScenarioKind.Registration], o.Scenarios);
    }

    [Fact]
    public void Parse_InlineEqualsValue_IsAccepted()
    {
        var o = Run("chat", "--url=http://127.0.0.1:8008", "--users=3");
        Assert.Equal(3, o.Users);
    }

    [Fact]
    public void Parse_UrlWithPath_KeepsPathWithTrailingSlash()
    {
        var o = Run("chat", "--url", "http://127.0.0.1:8008/matrix");
        Assert.Equal("http://127.0.0.1:8008/matrix/", o.ServerUrl.ToString());
    }

    [Theory]
    [InlineData("http://example.org")]
    [InlineData("https://matrix.org:8448")]
    [InlineData("http://10.0.0.5:8008")]
    public void Parse_RemoteUrlWithoutAllowRemote_IsUsageError(string url)
    {
        Assert.Contains("--allow-remote", Error("chat", "--url", url));
    }

    [Fact]
    public void Parse_RemoteUrlWithAllowRemote_IsAccepted()
    {
        Assert.True(Run("chat", "--url", "https://example.org", "--allow-remote").AllowRemote);
    }

    [Theory]
    [InlineData(new string[0], "no scenario")]
    [InlineData(new[] { "dance", "--url", "http://localhost" }, "unknown scenario 'dance'")]
    [InlineData(new[] { "chat" }, "--url is required")]
    [InlineData(new[] { "chat", "--url" }, "--url needs a value")]
    [InlineData(new[] { "chat", "--url", "localhost:8008" }, "absolute http(s) URL")]
    [InlineData(new[] { "chat", "--url", "ftp://127.0.0.1" }, "absolute http(s) URL")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--users", "0" }, "--users expects a positive integer")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--users", "many" }, "--users expects a positive integer")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--rate", "-1" }, "--rate expects a positive number")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--duration", "soon" }, "--duration expects a duration")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--duration", "0s" }, "--duration expects a duration")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--frobnicate", "1" }, "unknown option '--frobnicate'")]
    [InlineData(new[] { "chat", "--url", "http://127.0.0.1", "--users", "1" }, "--users 2 or more")]
    [InlineData(new[] { "--url", "http://127.0.0.1", "chat" }, "expected a scenario before options")]
    public void Parse_BadArguments_ReturnsUsageErrorNamingTheProblem(string[] args, string expected)
    {
        Assert.Contains(expected, Error(args));
    }

    [Fact]
    public void Parse_RegistrationWithOneUser_IsAccepted()
    {
        Assert.Equal(1, Run("registration", "--url", "http://127.0.0.1", "--users", "1").Users);
    }

    [Fact]
    public void Parse_Compare_ReturnsBothPaths()
    {
        var c = Assert.IsType<CompareCommand>(CommandLineParser.Parse(["--compare", "a.json", "b.json"]));
        Assert.Equal(("a.json", "b.json"), (c.BaselinePath, c.CandidatePath));
    }

    [Fact]
    public void Parse_CompareWithOneFile_IsUsageError()
    {
        Assert.Contains("exactly two", Error("--compare", "a.json"));
    }

    [Fact]
    public void Parse_Report_ReturnsResultAndReportPaths()
    {
        var r = Assert.IsType<ReportCommand>(CommandLineParser.Parse(["--report", "a.json", "--out", "a.html"]));
        Assert.Equal(("a.json", "a.html"), (r.ResultPath, r.ReportPath));
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Parse_Help_ReturnsHelp(string flag)
    {
        Assert.IsType<HelpCommand>(CommandLineParser.Parse(["chat", flag]));
    }

    [Theory]
    [InlineData("250ms", 0.25)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("1.5s", 1.5)]
    [InlineData("45", 45)]
    public void TryParseDuration_ValidText_ReturnsSeconds(string text, double seconds)
    {
        Assert.True(CommandLineParser.TryParseDuration(text, out var d));
        Assert.Equal(seconds, d.TotalSeconds, 6);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-3s")]
    [InlineData("3 days")]
    [InlineData("1e9h")]
    public void TryParseDuration_InvalidText_ReturnsFalse(string text)
    {
        Assert.False(CommandLineParser.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8008", true)]
    [InlineData("http://127.1.2.3", true)]
    [InlineData("http://localhost:8008", true)]
    [InlineData("http://[::1]:8008", true)]
    [InlineData("http://matrix.localhost", true)]
    [InlineData("http://192.168.1.1", false)]
    [InlineData("http://localhost.example.com", false)]
    public void IsLoopback_Host_ClassifiesWithoutResolving(string url, bool expected)
    {
        Assert.Equal(expected, CommandLineParser.IsLoopback(new Uri(url)));
    }
}
