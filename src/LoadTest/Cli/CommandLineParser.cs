using System.Globalization;
using System.Net;

namespace Myelin.LoadTest.Cli;

/// <summary>Turns argv into a <see cref="ParsedCommand"/>; never throws on bad input.</summary>
public static class CommandLineParser
{
    public const string Usage = """
        usage:
          myelin-loadtest <scenario>[,<scenario>...] --url <base-url> [options]
          myelin-loadtest --compare <a.json> <b.json>
          myelin-loadtest --report <results.json> [--out <report.html>]

        scenarios:
          chat           users send messages at --rate (total msgs/s) while every user keeps a /sync loop
          burst          users send as fast as the server acknowledges, to find saturation throughput
          initial-sync   users joined to many rooms log in on a new device and do a full initial /sync
          ephemeral      typing notifications and read receipts in one large room, at --rate ops/s
          registration   a burst of new accounts (--users of them) and logins

        options:
          --url <url>              homeserver base URL, e.g. http://127.0.0.1:8008 (required)
          --users <n>              number of users (default 20)
          --rooms <n>              number of rooms; sizes follow a power law (default 10)
          --duration <time>        measured phase length: 500ms, 30s, 2m, 1h (default 30s)
          --rate <r>               target total operations per second (default 10)
          --messages <n>           stop after this many operations (default 100000)
          --out <file.json>        where to write results; the HTML report goes beside it
          --report-path <file>     where to write the HTML report (default: --out with .html)
          --world <file.json>      reuse users and rooms recorded in this file; create and save it if absent
          --shared-secret <s>      register users through the shared-secret admin API instead of m.login.dummy
          --allow-remote           allow a non-loopback --url (only ever target a server you run)
          --seed <n>               random seed for room sizes and membership (default 1)
          --drain <time>           how long to wait for outstanding deliveries after sending (default 10s)
          --max-connections <n>    HTTP connections to the server at most (default 256)
          --request-timeout <time> timeout of one non-sync request (default 30s)
          --concurrency <n>        parallel workers for setup, initial-sync and registration (default 8)
          --room-exponent <a>      power-law exponent of room sizes, size(k) = users / k^a (default 1.0)
          --history <n>            messages per room before initial-sync is measured (default 20)
          --inline-filters         send /sync filters inline on every request (as matrix-nio does) instead of
                                   uploading them once and naming them by ID (as matrix-js-sdk does)
          --httpclient-sync        long-poll /sync through the shared HttpClient pool instead of one kept-alive
                                   connection per user (always so for https servers)
          --no-progress            do not print the live progress line
          -h, --help               show this text

        exit codes: 0 ok, 1 server unreachable or run failed, 2 usage error, 3 delivery check failed
        """;

    public static ParsedCommand Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
            return new UsageError("no scenario given");
        if (args.Any(a => a is "-h" or "--help" or "help"))
            return new HelpCommand();

        if (args[0] == "--compare")
        {
            if (args.Count != 3)
                return new UsageError("--compare takes exactly two result files: --compare a.json b.json");
            return new CompareCommand(args[1], args[2]);
        }

        if (args[0] == "--report")
        {
            if (args.Count == 2)
                return new ReportCommand(args[1], null);
            if (args.Count == 4 && args[2] == "--out")
                return new ReportCommand(args[1], args[3]);
            return new UsageError("--report takes one result file and an optional --out <report.html>");
        }

        if (args[0].StartsWith('-'))
            return new UsageError($"expected a scenario before options, got '{args[0]}'");

        var scenarios = new List<ScenarioKind>();
        foreach (var name in args[0].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryParseScenario(name, out var kind))
                return new UsageError($"unknown scenario '{name}' (expected chat, burst, initial-sync, ephemeral or registration)");
            if (!scenarios.Contains(kind))
                scenarios.Add(kind);
        }
        if (scenarios.Count == 0)
            return new UsageError("no scenario given");

        string? url = null;
        // Defaults live in LoadTestOptions; the URL placeholder is replaced after validation.
        var o = new LoadTestOptions { Scenarios = scenarios, ServerUrl = new Uri("http://127.0.0.1/") };
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            // Flags without a value.
            switch (arg)
            {
                case "--allow-remote": o = o with { AllowRemote = true }; continue;
                case "--no-progress": o = o with { ShowProgress = false }; continue;
                case "--inline-filters": o = o with { InlineFilters = true }; continue;
                case "--httpclient-sync": o = o with { HttpClientSync = true }; continue;
            }

            string value;
            if (inlineValue is not null)
                value = inlineValue;
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                return new UsageError($"option {arg} needs a value");

            string? error = arg switch
            {
                "--url" => Set(() => url = value),
                "--users" => PositiveInt(arg, value, v => o = o with { Users = v }),
                "--rooms" => PositiveInt(arg, value, v => o = o with { Rooms = v }),
                "--duration" => Time(arg, value, v => o = o with { Duration = v }),
                "--rate" => PositiveDouble(arg, value, v => o = o with { Rate = v }),
                "--messages" => PositiveInt(arg, value, v => o = o with { MaxOperations = v }),
                "--out" => Set(() => o = o with { OutPath = value }),
                "--report-path" => Set(() => o = o with { ReportPath = value }),
                "--world" => Set(() => o = o with { WorldPath = value }),
                "--shared-secret" => Set(() => o = o with { SharedSecret = value }),
                "--seed" => Int(arg, value, v => o = o with { Seed = v }),
                "--drain" => Time(arg, value, v => o = o with { Drain = v }, allowZero: true),
                "--max-connections" => PositiveInt(arg, value, v => o = o with { MaxConnections = v }),
                "--request-timeout" => Time(arg, value, v => o = o with { RequestTimeout = v }),
                "--concurrency" => PositiveInt(arg, value, v => o = o with { Concurrency = v }),
                "--room-exponent" => PositiveDouble(arg, value, v => o = o with { RoomSizeExponent = v }),
                "--history" => NonNegativeInt(arg, value, v => o = o with { HistoryPerRoom = v }),
                _ => $"unknown option '{arg}'",
            };
            if (error is not null)
                return new UsageError(error);
        }

        if (url is null)
            return new UsageError("--url is required");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return new UsageError($"--url must be an absolute http(s) URL, got '{url}'");
        if (!o.AllowRemote && !IsLoopback(uri))
            return new UsageError($"refusing to load non-loopback server {uri.Host}; pass --allow-remote if you operate it");
        if (scenarios.Any(s => s is ScenarioKind.Chat or ScenarioKind.Burst or ScenarioKind.Ephemeral) && o.Users < 2)
            return new UsageError("chat, burst and ephemeral need --users 2 or more");

        return new RunCommand(o with { ServerUrl = new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/") });
    }

    public static bool TryParseScenario(string name, out ScenarioKind kind)
    {
        switch (name.ToLowerInvariant())
        {
            case "chat": kind = ScenarioKind.Chat; return true;
            case "burst": kind = ScenarioKind.Burst; return true;
            case "initial-sync": case "initialsync": kind = ScenarioKind.InitialSync; return true;
            case "ephemeral": kind = ScenarioKind.Ephemeral; return true;
            case "registration": kind = ScenarioKind.Registration; return true;
            default: kind = default; return false;
        }
    }

    public static string ScenarioName(ScenarioKind kind) => kind switch
    {
        ScenarioKind.Chat => "chat",
        ScenarioKind.Burst => "burst",
        ScenarioKind.InitialSync => "initial-sync",
        ScenarioKind.Ephemeral => "ephemeral",
        ScenarioKind.Registration => "registration",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses 250ms, 30s, 2m, 1h, or a bare number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 0.001),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60.0),
            _ when text.EndsWith('h') || text.EndsWith('H') => (text[..^1], 3600.0),
            _ => (text, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || double.IsNaN(value) || double.IsInfinity(value) || value < 0 || value * scale > TimeSpan.FromDays(1).TotalSeconds)
            return false;
        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }

    /// <summary>True for localhost and loopback IP literals; names are not resolved, so any other host counts as remote.</summary>
    public static bool IsLoopback(Uri uri)
    {
        if (uri.IsLoopback)
            return true;
        var host = uri.Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    private static string? Set(Action set)
    {
        set();
        return null;
    }

    private static string? Int(string name, string value, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            return $"{name} expects an integer, got '{value}'";
        set(v);
        return null;
    }

    private static string? PositiveInt(string name, string value, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v <= 0)
            return $"{name} expects a positive integer, got '{value}'";
        set(v);
        return null;
    }

    private static string? NonNegativeInt(string name, string value, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0)
            return $"{name} expects a non-negative integer, got '{value}'";
        set(v);
        return null;
    }

    private static string? PositiveDouble(string name, string value, Action<double> set)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0) || double.IsInfinity(v))
            return $"{name} expects a positive number, got '{value}'";
        set(v);
        return null;
    }

    private static string? Time(string name, string value, Action<TimeSpan> set, bool allowZero = false)
    {
        if (!TryParseDuration(value, out var v) || (!allowZero && v <= TimeSpan.Zero))
            return $"{name} expects a duration such as 500ms, 30s, 2m or 1h, got '{value}'";
        set(v);
        return null;
    }
}
