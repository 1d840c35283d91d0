using System.Text.RegularExpressions;
using Myelin.Gateway.Routing;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

public sealed class RoutingTableTests
{
    static string SeedPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "seed", "workers.md");
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "shared", "seed", "workers.md");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("shared/seed/workers.md not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every endpoint regex of the seed: lines that start with ^/ (indentation allowed).</summary>
    static IReadOnlyList<string> SeedPatterns() =>
        File.ReadAllLines(SeedPath()).Select(l => l.Trim()).Where(l => l.StartsWith("^/", StringComparison.Ordinal)).Distinct().ToList();

    public static TheoryData<string> Patterns()
    {
        var d = new TheoryData<string>();
        foreach (var p in SeedPatterns()) d.Add(p);
        return d;
    }

    [Fact]
    public void SeedPatterns_AreFound()
    {
        Assert.True(SeedPatterns().Count > 80);
    }

    [Theory]
    [MemberData(nameof(Patterns))]
    public void RoutingTable_SeedPattern_IsListed(string pattern)
    {
        Assert.Contains(RoutingTable.Entries, e => e.Pattern == pattern);
    }

    [Fact]
    public void RoutingTable_EverySamplePath_MatchesItsPattern()
    {
        foreach (var e in RoutingTable.Entries)
            Assert.True(Regex.IsMatch(e.SamplePath, e.Pattern), $"{e.SamplePath} does not match {e.Pattern}");
    }

    [Fact]
    public void RoutingTable_Patterns_AreUnique()
    {
        var dupes = RoutingTable.Entries.GroupBy(e => e.Pattern).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(dupes);
    }
}

/// <summary>The table's "implemented" flag is checked against the running gateway.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RoutingTableLiveTests(GatewayFixture fx)
{
    [Fact]
    public async Task MissingRoutes_AnswerUnrecognized_ImplementedRoutesDoNot()
    {
        using var c = await fx.NewClient().RegisterAsync();
        var wrong = new List<string>();
        foreach (var e in RoutingTable.Entries)
        {
            var statusesUnrecognized = true;
            foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete })
            {
                var r = await c.SendAsync(method, e.SamplePath, rawBody: method == HttpMethod.Get || method == HttpMethod.Delete ? null : "{}");
                if (!(r.ErrCode == "M_UNRECOGNIZED" && r.Status is 404 or 405)) { statusesUnrecognized = false; break; }
            }
            if (e.Implemented == statusesUnrecognized) wrong.Add($"{e.Pattern} implemented={e.Implemented}");
        }
        Assert.Empty(wrong);
    }
}

public sealed class RoutesCommandTests
{
    [Fact]
    public void Run_JsonFormat_ListsEveryPatternWithStatus()
    {
        var output = new StringWriter();
        Assert.Equal(0, RoutesCommand.Run(["routes", "--format", "json"], output, new StringWriter()));
        var rows = System.Text.Json.Nodes.JsonNode.Parse(output.ToString())!.AsArray();
        Assert.Equal(RoutingTable.Entries.Count, rows.Count);
        var sync = rows.First(r => r!["pattern"]!.GetValue<string>() == @"^/_matrix/client/(r0|v3)/sync$")!;
        Assert.True(sync["implemented"]!.GetValue<bool>());
        Assert.Equal("SyncGrain", sync["owner"]!.GetValue<string>());
    }

    [Fact]
    public void Run_Text_EndsWithCount()
    {
        var output = new StringWriter();
        Assert.Equal(0, RoutesCommand.Run(["routes"], output, new StringWriter()));
        Assert.Contains($"of {RoutingTable.Entries.Count} patterns implemented", output.ToString());
    }

    [Fact]
    public void Run_UnknownFormat_Exits2WithUsage()
    {
        var error = new StringWriter();
        Assert.Equal(2, RoutesCommand.Run(["routes", "--format", "yaml"], new StringWriter(), error));
        Assert.Contains("unknown format", error.ToString());
    }
}
