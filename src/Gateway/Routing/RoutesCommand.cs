using System.Text.Json;
using System.Text.Json.Nodes;

namespace Myelin.Gateway.Routing;

/// <summary>
/// `myelin routes`: the routing table as operators need it (Synapse issues 12139 and 2554 ask for a
/// machine-readable map): pattern, methods, endpoint group, owner of the work, implemented or missing;
/// and with `--nginx`, the nginx configuration for a set of gateways generated from that table.
/// </summary>
public static class RoutesCommand
{
    public const string Usage = """
        usage: routes [--format text|json]
               routes --nginx --gateway HOST:PORT [--gateway HOST:PORT ...] [--initial-sync HOST:PORT ...]
                      [--media HOST:PORT ...] [--listen [ADDRESS:]PORT] [--state-dir DIR] [--out FILE]
          --gateway       a gateway's HTTP listener (repeat for each gateway)
          --initial-sync  gateways for initial syncs (/sync without since); default: every gateway
          --media         the media instances; default: every gateway
          --listen        where nginx listens; default 8008
          --state-dir     nginx's pid, temporary files and logs go there (default /tmp and /var/log/nginx)
          --out           write the configuration to FILE instead of standard output
        """;

    public static bool IsInvoked(string[] args) => args.Length > 0 && args[0] == "routes";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Skip(1).Contains("--nginx")) return RunNginx(args, output, error);
        var format = "text";
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--format" && i + 1 < args.Length) format = args[++i];
            else if (args[i].StartsWith("--format=", StringComparison.Ordinal)) format = args[i]["--format=".Length..];
            else return Fail(error, $"unknown argument '{args[i]}'");
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

    static int RunNginx(string[] args, TextWriter output, TextWriter error)
    {
        List<string> gateways = [], initial = [], media = [];
        string listen = "8008";
        string? stateDir = null, outFile = null;
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--nginx") continue;
            // Every other option takes a value: --name value or --name=value.
            string name = arg, value;
            if (arg.IndexOf('=') is var eq and > 0 && arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) value = args[++i];
            else return Fail(error, IsNginxOption(arg) ? $"{arg} needs a value" : $"unknown argument '{arg}'");

            string? problem = null;
            switch (name)
            {
                case "--gateway": problem = NginxConfig.CheckAddress(value); gateways.Add(value); break;
                case "--initial-sync": problem = NginxConfig.CheckAddress(value); initial.Add(value); break;
                case "--media": problem = NginxConfig.CheckAddress(value); media.Add(value); break;
                case "--listen": problem = NginxConfig.CheckListen(value); listen = value; break;
                case "--state-dir":
                    problem = value.Length == 0 || value.Any(c => char.IsWhiteSpace(c) || c is ';' or '{' or '}' or '"' or '\'')
                        ? $"'{value}' is not a directory nginx can be given" : null;
                    if (problem is null) stateDir = Path.GetFullPath(value);
                    break;
                case "--out": outFile = value; break;
                default: return Fail(error, $"unknown argument '{name}'");
            }
            if (problem is not null) return Fail(error, $"{name}: {problem}");
        }
        if (gateways.Count == 0) return Fail(error, "--nginx needs at least one --gateway");
        if (gateways.Distinct().Count() != gateways.Count) return Fail(error, "--gateway: an address is listed twice");

        var config = NginxConfig.Generate(new NginxTopology(gateways, initial, media, listen, stateDir));
        if (outFile is null)
        {
            output.Write(config);
            return 0;
        }
        try
        {
            File.WriteAllText(outFile, config);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"routes: cannot write {outFile}: {e.Message}");
            return 1;
        }
        output.WriteLine($"wrote {outFile}: {RoutingTable.Entries.Count} locations for {gateways.Count} gateway(s), listening on {listen}");
        return 0;
    }

    static bool IsNginxOption(string arg) =>
        arg is "--gateway" or "--initial-sync" or "--media" or "--listen" or "--state-dir" or "--out";

    static int Fail(TextWriter error, string problem)
    {
        error.WriteLine($"routes: {problem}");
        error.Write(Usage);
        error.WriteLine();
        return 2;
    }

    public static JsonArray ToJson() => new(RoutingTable.Entries.Select(e => (JsonNode)new JsonObject
    {
        ["pattern"] = e.Pattern,
        ["methods"] = new JsonArray(e.Methods.Select(m => (JsonNode)JsonValue.Create(m)).ToArray()),
        ["group"] = e.Group,
        ["owner"] = e.Owner,
        ["implemented"] = e.Implemented,
        ["nginx_upstream"] = NginxConfig.UpstreamOf(NginxConfig.PoolOf(e)),
        ["example"] = e.SamplePath,
    }).ToArray());

    static void WriteText(TextWriter output)
    {
        var width = RoutingTable.Entries.Max(e => e.Pattern.Length);
        var methodsWidth = RoutingTable.Entries.Max(e => string.Join(",", e.Methods).Length);
        var groupWidth = RoutingTable.Entries.Max(e => e.Group.Length);
        foreach (var e in RoutingTable.Entries)
            output.WriteLine($"{e.Pattern.PadRight(width)}  {string.Join(",", e.Methods).PadRight(methodsWidth)}  {e.Group.PadRight(groupWidth)}  {(e.Implemented ? "implemented" : "missing    ")}  {e.Owner}");
        var done = RoutingTable.Entries.Count(e => e.Implemented);
        output.WriteLine($"{done} of {RoutingTable.Entries.Count} patterns implemented");
    }
}
