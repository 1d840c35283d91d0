using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Gateway.Routing;

/// <summary>
/// `myelin routes [--format text|json]`: the routing table as operators need it (Synapse issues 12139 and
/// 2554 ask for a machine-readable map): pattern, endpoint group, owner of the work, implemented or missing.
/// </summary>
public static class RoutesCommand
{
    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "routes";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var format = "text";
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--format" && i + 1 < args.Length) format = args[++i];
            else if (args[i].StartsWith("--format=", StringComparison.Ordinal)) format = args[i]["--format=".Length..];
            else
            {
                error.WriteLine($"routes: unknown argument '{args[i]}'\nusage: routes [--format text|json]");
                return 2;
            }
        }
        switch (format)
        {
            case "json":
                output.WriteLine(ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            case "text":
                WriteText(output);
                return 0;
            default:
                error.WriteLine($"routes: unknown format '{format}' (text or json)");
                return 2;
        }
    }

    public static JsonArray ToJson() => new(RoutingTable.Entries.Select(e => (JsonNode)new JsonObject
    {
        ["pattern"] = e.Pattern,
        ["group"] = e.Group,
        ["owner"] = e.Owner,
        ["implemented"] = e.Implemented,
        ["example"] = e.SamplePath,
    }).ToArray());

    static void WriteText(TextWriter output)
    {
        var width = RoutingTable.Entries.Max(e => e.Pattern.Length);
        var groupWidth = RoutingTable.Entries.Max(e => e.Group.Length);
        foreach (var e in RoutingTable.Entries)
            output.WriteLine($"{e.Pattern.PadRight(width)}  {e.Group.PadRight(groupWidth)}  {(e.Implemented ? "implemented" : "missing    ")}  {e.Owner}");
        var done = RoutingTable.Entries.Count(e => e.Implemented);
        output.WriteLine($"{done} of {RoutingTable.Entries.Count} patterns implemented");
    }
}
