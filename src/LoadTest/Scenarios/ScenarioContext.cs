using Myelin.LoadTest.Cli;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Delivery;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Scenarios;

/// <summary>What a scenario gets to run with.</summary>
public sealed class ScenarioContext(LoadTestOptions options, IMatrixClient client, RunMetrics metrics, string runId, Action<string> log)
{
    public LoadTestOptions Options { get; } = options;
    public IMatrixClient Client { get; } = client;
    public RunMetrics Metrics { get; } = metrics;
    /// <summary>Marks this run's messages, so leftovers from earlier runs in a reused world are ignored.</summary>
    public string RunId { get; } = runId;
    public Action<string> Log { get; } = log;

    /// <summary>Short status for the progress line, e.g. "draining 12 deliveries".</summary>
    public string? Status { get; set; }

    /// <summary>A kept-alive connection for one user's /sync loop; null to long-poll through the shared
    /// HttpClient (https servers, or --httpclient-sync).</summary>
    public LongPollConnection? NewLongPoll() =>
        Options.HttpClientSync || Options.ServerUrl.Scheme != Uri.UriSchemeHttp
            ? null
            : new LongPollConnection(Options.ServerUrl, Metrics.Errors, Options.RequestTimeout);

    public Task<LoadWorld> BuildWorldAsync(RoomLayout layout, int historyPerRoom, CancellationToken ct) =>
        new WorldBuilder(Client, Options.Concurrency, Options.SharedSecret, Log)
            .BuildAsync(Options.ServerUrl, layout, historyPerRoom, Options.WorldPath, ct);
}

/// <summary>What a scenario reports besides the metrics it recorded.</summary>
public sealed record ScenarioOutcome(int Users, int Rooms, double PhaseSeconds, double? TargetRate, DeliveryReport? Delivery, IReadOnlyList<string> Notes);

public interface IScenario
{
    string Name { get; }
    Task<ScenarioOutcome> RunAsync(ScenarioContext ctx, CancellationToken ct);
}

/// <summary>Shared pacing and stopping rules: a run ends at its deadline or when its operation budget is spent.</summary>
public sealed class OperationBudget(int max, long deadlineMicros, RunMetrics metrics)
{
    private long _issued;

    public long DeadlineMicros { get; } = deadlineMicros;

    /// <summary>Claims one operation; false once time or count is used up.</summary>
    public bool TryTake()
    {
        if (metrics.NowMicros >= DeadlineMicros)
            return false;
        return Interlocked.Increment(ref _issued) <= max;
    }

    /// <summary>Waits until <paramref name="dueMicros"/>; false when that is past the deadline.</summary>
    public async Task<bool> WaitUntilAsync(long dueMicros, CancellationToken ct)
    {
        if (dueMicros >= DeadlineMicros)
            return false;
        var wait = dueMicros - metrics.NowMicros;
        if (wait > 0)
            await Task.Delay(TimeSpan.FromMicroseconds(wait), ct);
        return true;
    }
}
