namespace Myelin.LoadTest.Cli;

/// <summary>The scenarios the harness can run; several may be combined and run one after another.</summary>
public enum ScenarioKind
{
    Chat,
    Burst,
    InitialSync,
    Ephemeral,
    Registration,
}

/// <summary>Everything one run needs, after parsing and validation.</summary>
public sealed record LoadTestOptions
{
    public required IReadOnlyList<ScenarioKind> Scenarios { get; init; }
    public required Uri ServerUrl { get; init; }
    public int Users { get; init; } = 20;
    public int Rooms { get; init; } = 10;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Target operations per second over all users (messages for chat, typing/receipts for ephemeral).</summary>
    public double Rate { get; init; } = 10;
    /// <summary>Upper bound on the number of operations a scenario issues, so a run is bounded by count as well as time.</summary>
    public int MaxOperations { get; init; } = 100_000;
    public string? OutPath { get; init; }
    public string? ReportPath { get; init; }
    public string? WorldPath { get; init; }
    public string? SharedSecret { get; init; }
    public bool AllowRemote { get; init; }
    public int Seed { get; init; } = 1;
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(10);
    public int MaxConnections { get; init; } = 256;
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public int Concurrency { get; init; } = 8;
    public double RoomSizeExponent { get; init; } = 1.0;
    public int HistoryPerRoom { get; init; } = 20;
    public bool ShowProgress { get; init; } = true;
    /// <summary>Send /sync filters inline on every request rather than stored once and named by ID.</summary>
    public bool InlineFilters { get; init; }

    /// <summary>Long-poll /sync through the shared HttpClient pool rather than one kept-alive connection per user.</summary>
    public bool HttpClientSync { get; init; }
}

/// <summary>The outcome of parsing a command line: exactly one of the subclasses.</summary>
public abstract record ParsedCommand;

public sealed record RunCommand(LoadTestOptions Options) : ParsedCommand;

public sealed record CompareCommand(string BaselinePath, string CandidatePath) : ParsedCommand;

public sealed record ReportCommand(string ResultPath, string? ReportPath) : ParsedCommand;

public sealed record HelpCommand : ParsedCommand;

public sealed record UsageError(string Message) : ParsedCommand;
