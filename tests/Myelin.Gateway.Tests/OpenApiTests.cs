using System.Text.RegularExpressions;
using Myelin.Gateway.Routing;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OpenApiTests(GatewayFixture fx)
{
    [Fact]
    public async Task Document_Parses_AndCoversEveryImplementedClientPattern()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_myelin/openapi/v1.json");
        Assert.Equal(200, r.Status);
        var paths = r.Json["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.NotEmpty(paths);
        var missing = new List<string>();
        foreach (var e in RoutingTable.Entries.Where(e => e.Implemented))
        {
            // A documented path template, with its parameters filled in, must match the pattern.
            var matched = paths.Any(p => Regex.IsMatch(Regex.Replace(p, @"\{[^}]+\}", "x"), e.Pattern));
            if (!matched) missing.Add(e.Pattern);
        }
        Assert.Empty(missing);
    }
}
