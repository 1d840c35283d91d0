using Myelin.LoadTest.Client;

namespace Myelin.LoadTest.Scenarios;

/// <summary>
/// registration: --users new accounts, registered by --concurrency clients as fast as the server allows,
/// each followed by a password login. Throughput is accounts per second.
/// </summary>
public sealed class RegistrationScenario : IScenario
{
    public const string Register = "register";
    public const string Login = "login";

    public string Name => "registration";

    public async Task<ScenarioOutcome> RunAsync(ScenarioContext ctx, CancellationToken ct)
    {
        var o = ctx.Options;
        var metrics = ctx.Metrics;
        metrics.StartPhase();
        var phaseStart = metrics.NowMicros;
        var budget = new OperationBudget(Math.Min(o.Users, o.MaxOperations), phaseStart + (long)o.Duration.TotalMicroseconds, metrics);
        long next = -1;
        var tag = Guid.NewGuid().ToString("N")[..8];

        var workers = Enumerable.Range(0, Math.Min(o.Concurrency, o.Users)).Select(async _ =>
        {
            while (!ct.IsCancellationRequested && budget.TryTake())
            {
                var i = Interlocked.Increment(ref next);
                var username = $"lt{tag}r{i}";
                var password = $"lt-{tag}-{i}-pw";
                var reg = o.SharedSecret is null
                    ? await ctx.Client.RegisterAsync(username, password, ct)
                    : await ctx.Client.RegisterWithSharedSecretAsync(username, password, o.SharedSecret, ct);
                if (!reg.IsSuccess)
                {
                    metrics.CountFailed();
                    if (reg.Status == 0)
                        await Task.Delay(100, ct);
                    continue;
                }
                metrics.CountSent((long)reg.Elapsed.TotalMicroseconds, Register);
                var login = await ctx.Client.LoginAsync(username, password, ct);
                if (login.IsSuccess)
                    metrics.RecordLatency(Login, (long)login.Elapsed.TotalMicroseconds);
                else
                    metrics.CountFailed();
            }
        }).ToList();
        await Task.WhenAll(workers);
        var seconds = (metrics.NowMicros - phaseStart) / 1e6;
        return new ScenarioOutcome(o.Users, 0, seconds, null, null,
            [$"{Math.Min(o.Concurrency, o.Users)} concurrent clients; sent counts registered accounts"]);
    }
}
