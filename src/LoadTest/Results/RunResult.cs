using System.Text.Json;
using System.Text.Json.Serialization;
using Myelin.LoadTest.Measurement;

namespace Myelin.LoadTest.Results;

/// <summary>
/// One scenario's results as written to JSON (snake_case) for other tools to read. Latencies are in
/// milliseconds; `lost`, `duplicated` and `reordered` count (message, member) deliveries.
/// </summary>
public sealed record RunResult
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;
    public required string Scenario { get; init; }
    public required string ServerUrl { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public double DurationS { get; init; }
    public int Users { get; init; }
    public int Rooms { get; init; }
    public double? TargetRate { get; init; }

    /// <summary>Operations the server acknowledged: messages for chat and burst, initial syncs, typing and receipts, accounts.</summary>
    public long Sent { get; init; }
    public long Failed { get; init; }
    public bool DeliveryChecked { get; init; }
    public long ExpectedDeliveries { get; init; }
    public long Delivered { get; init; }
    public long Lost { get; init; }
    public long LostMessages { get; init; }
    public long Duplicated { get; init; }
    public long Reordered { get; init; }
    public double ThroughputPerS { get; init; }

    public IReadOnlyDictionary<string, LatencySummary> LatencyMs { get; init; } = new Dictionary<string, LatencySummary>();
    public IReadOnlyList<ErrorCount> Errors { get; init; } = [];
    public IReadOnlyList<TimelinePoint> Timeline { get; init; } = [];
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Set when the scenario could not run to the end (server down, setup refused).</summary>
    public string? Failure { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunResult FromJson(string json) =>
        JsonSerializer.Deserialize<RunResult>(json, Json) ?? throw new JsonException("empty result file");

    /// <summary>Reads a result file; the message of the exception names the file.</summary>
    public static RunResult Load(string path)
    {
        try
        {
            return FromJson(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidDataException($"cannot read result file {path}: {e.Message}", e);
        }
    }

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        File.WriteAllText(path, ToJson());
    }
}
