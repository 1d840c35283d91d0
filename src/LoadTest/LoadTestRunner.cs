using System.Globalization;
using Myelin.LoadTest.Cli;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Measurement;
using Myelin.LoadTest.Reporting;
using Myelin.LoadTest.Results;
using Myelin.LoadTest.Scenarios;
using Myelin.LoadTest.World;

namespace Myelin.LoadTest;

/// <summary>Runs the chosen scenarios one after another and writes their results; returns the exit code.</summary>
public sealed class LoadTestRunner(TextWriter stdout, TextWriter stderr, bool progressInPlace)
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitDeliveryFailed = 3;

    public async Task<int> RunAsync(LoadTestOptions o, CancellationToken ct)
    {
        // Connections stay bounded however many users there are: every /sync long-poll holds one.
        using var http = MatrixHttpClient.CreateHttpClient(o.ServerUrl, o.MaxConnections);
        var longPollsInPool = o.HttpClientSync || o.ServerUrl.Scheme != Uri.UriSchemeHttp;
        if (longPollsInPool && o.MaxConnections < o.Users + o.Concurrency)
            stderr.WriteLine($"warning: --max-connections {o.MaxConnections} is below users + concurrency ({o.Users + o.Concurrency}); /sync long-polls may queue requests behind them");

        var probe = await new MatrixHttpClient(http, null, o.RequestTimeout).GetVersionsAsync(ct);
        if (!probe.IsSuccess)
        {
            stderr.WriteLine($"error: {o.ServerUrl} does not answer GET /_matrix/client/versions: {probe}");
            return ExitFailed;
        }
        stderr.WriteLine($"server {o.ServerUrl} speaks {string.Join(", ", probe.Value!)}");

        var exit = ExitOk;
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        foreach (var kind in o.Scenarios)
        {
            var result = await RunScenarioAsync(http, o, kind, ct);
            stdout.WriteLine();
            stdout.Write(SummaryTable.Format(result));

            var jsonPath = OutputPath(o, kind, stamp);
            var reportPath = o.ReportPath is not null && o.Scenarios.Count == 1 ? o.ReportPath : Path.ChangeExtension(jsonPath, ".html");
            try
            {
                result.Save(jsonPath);
                File.WriteAllText(reportPath, HtmlReport.Render(result));
                stdout.WriteLine($"results: {jsonPath}\nreport:  {reportPath}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"error: cannot write results: {e.Message}");
                exit = Math.Max(exit, ExitFailed);
            }

            if (result.Failure is not null)
                exit = ExitFailed;
            else if (result.DeliveryChecked && (result.Lost > 0 || result.Duplicated > 0 || result.Reordered > 0) && exit == ExitOk)
                exit = ExitDeliveryFailed;
            if (ct.IsCancellationRequested)
                break;
        }
        return exit;
    }

    public static string OutputPath(LoadTestOptions o, ScenarioKind kind, string stamp)
    {
        var name = CommandLineParser.ScenarioName(kind);
        if (o.OutPath is null)
            return Path.Combine("loadtest-results", $"{name}-{stamp}.json");
        if (o.Scenarios.Count == 1)
            return o.OutPath;
        var ext = Path.GetExtension(o.OutPath);
        return Path.ChangeExtension(o.OutPath, null) + "." + name + (ext.Length == 0 ? ".json" : ext);
    }

    private static IScenario Create(ScenarioKind kind) => kind switch
    {
        ScenarioKind.Chat => new MessagingScenario(burst: false),
        ScenarioKind.Burst => new MessagingScenario(burst: true),
        ScenarioKind.InitialSync => new InitialSyncScenario(),
        ScenarioKind.Ephemeral => new EphemeralScenario(),
        ScenarioKind.Registration => new RegistrationScenario(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private async Task<RunResult> RunScenarioAsync(HttpClient http, LoadTestOptions o, ScenarioKind kind, CancellationToken ct)
    {
        var scenario = Create(kind);
        var metrics = new RunMetrics();
        var client = new MatrixHttpClient(http, metrics.Errors, o.RequestTimeout);
        var progress = new ProgressLine(stderr, progressInPlace);
        var gate = new Lock();
        void Log(string message)
        {
            lock (gate)
            {
                progress.Finish();
                stderr.WriteLine($"[{scenario.Name}] {message}");
            }
        }
        var ctx = new ScenarioContext(o, client, metrics, Guid.NewGuid().ToString("N")[..12], Log);
        var startedAt = DateTimeOffset.UtcNow;
        Log($"starting: {o.Users} users, {o.Rooms} rooms, {o.Duration.TotalSeconds:0.#} s");

        using var stopTicker = new CancellationTokenSource();
        var ticker = Task.Run(async () =>
        {
            if (!o.ShowProgress)
                return;
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            try
            {
                while (await timer.WaitForNextTickAsync(stopTicker.Token))
                    lock (gate)
                        progress.Tick(scenario.Name, metrics, o.Duration, ctx.Status);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        ScenarioOutcome? outcome = null;
        string? failure = null;
        try
        {
            outcome = await scenario.RunAsync(ctx, ct);
        }
        catch (SetupException e)
        {
            failure = "setup failed: " + e.Message;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            failure = "interrupted";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever the server did, the run ends with a report rather than a stack trace.
            failure = $"{e.GetType().Name}: {e.Message}";
        }
        finally
        {
            await stopTicker.CancelAsync();
            await ticker;
            lock (gate)
                progress.Finish();
        }

        var delivery = outcome?.Delivery;
        var seconds = outcome?.PhaseSeconds ?? 0;
        return new RunResult
        {
            Scenario = scenario.Name,
            ServerUrl = o.ServerUrl.ToString(),
            StartedAt = startedAt,
            DurationS = Math.Round(seconds, 3),
            Users = outcome?.Users ?? o.Users,
            Rooms = outcome?.Rooms ?? o.Rooms,
            TargetRate = outcome?.TargetRate,
            Sent = metrics.Sent,
            Failed = metrics.Failed,
            DeliveryChecked = delivery is not null,
            ExpectedDeliveries = delivery?.ExpectedDeliveries ?? 0,
            Delivered = delivery?.Delivered ?? 0,
            Lost = delivery?.Lost ?? 0,
            LostMessages = delivery?.LostMessages ?? 0,
            Duplicated = delivery?.Duplicated ?? 0,
            Reordered = delivery?.Reordered ?? 0,
            ThroughputPerS = seconds > 0 ? Math.Round(metrics.Sent / seconds, 2) : 0,
            LatencyMs = metrics.Summaries(),
            Errors = metrics.Errors.Snapshot(),
            Timeline = metrics.Timeline.Snapshot(),
            Notes = outcome?.Notes ?? [],
            Failure = failure,
        };
    }
}
