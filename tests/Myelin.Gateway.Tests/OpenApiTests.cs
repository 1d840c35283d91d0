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

    static readonly string[] Methods = ["get", "put", "post", "delete", "patch", "head", "options"];

    [Fact]
    public async Task EveryOperation_HasASummary_AndTheMatrixErrorResponses()
    {
        using var c = fx.NewClient();
        var doc = (await c.GetAsync("/_myelin/openapi/v1.json")).Json;
        Assert.NotNull(doc["components"]?["schemas"]?["MatrixError"]?["properties"]?["errcode"]);
        var noSummary = new List<string>();
        var noErrors = new List<string>();
        foreach (var (path, item) in doc["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject().Where(kv => Methods.Contains(kv.Key)))
            {
                if (string.IsNullOrWhiteSpace(op?["summary"]?.GetValue<string>())) noSummary.Add($"{method} {path}");
                var schema = op?["responses"]?["403"]?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();
                if (schema != "#/components/schemas/MatrixError") noErrors.Add($"{method} {path}");
            }
        Assert.Empty(noErrors);
        Assert.Empty(noSummary);
        // The spec's own summaries, and 401 only where the spec asks for an access token.
        var sync = doc["paths"]!["/_matrix/client/v3/sync"]!["get"]!;
        Assert.Equal("Synchronise the client's state and receive new messages.", sync["summary"]!.GetValue<string>());
        Assert.NotNull(sync["responses"]!["401"]);
        Assert.Null(doc["paths"]!["/_matrix/client/versions"]!["get"]!["responses"]!["401"]);
    }

    [Fact]
    public void SpecOperations_FindTheSameEndpointUnderEveryVersion()
    {
        var v3 = Routing.SpecOperations.Find("PUT", "/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}");
        Assert.Equal(v3, Routing.SpecOperations.Find("put", "/_matrix/client/r0/rooms/{r}/send/{t}/{x}"));
        Assert.True(v3!.Value.NeedsToken);
        Assert.False(Routing.SpecOperations.Find("GET", "/_matrix/client/versions")!.Value.NeedsToken);
        Assert.NotNull(Routing.SpecOperations.Find("POST", "/_matrix/media/r0/upload"));
        Assert.Null(Routing.SpecOperations.Find("GET", "/_synapse/admin/v2/users"));
    }
}
