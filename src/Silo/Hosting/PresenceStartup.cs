using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains;
using Myelin.Grains.Presence;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.Hosting;

/// <summary>
/// Presence when a process starts (Synapse's presence startup info): the process's
/// <see cref="PresenceCache"/> learns who was not offline from the presence table; and a process that
/// writes the presence stream wakes those users' grains once the silo runs, so that the ones who are
/// gone time out to offline instead of staying present in every cache.
/// </summary>
internal sealed class PresenceStartup(IServiceProvider services, HomeserverOptions options, IHostApplicationLifetime lifetime,
    ILogger<PresenceStartup> log) : IHostedService
{
    const int ResumeConcurrency = 16;

    public async Task StartAsync(CancellationToken ct)
    {
        if (!options.Presence.Enabled) return;
        var rows = await services.GetRequiredService<MyelinDatabase>().Presence.GetNotOfflineAsync();
        services.GetRequiredService<PresenceCache>().Seed(rows);
        if (rows.Count == 0 || !options.Presence.Tracked || !options.Cluster.IsStreamWriter("presence")) return;
        var users = rows.Select(r => r.UserId).ToList();
        lifetime.ApplicationStarted.Register(() => _ = ResumeAsync(users, lifetime.ApplicationStopping));
    }

    async Task ResumeAsync(IReadOnlyList<string> users, CancellationToken ct)
    {
        try
        {
            var grains = services.GetRequiredService<IGrainFactory>();
            await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = ResumeConcurrency, CancellationToken = ct },
                async (user, _) => await grains.Presence(user).Resume());
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            log.LogWarning(e, "Resuming the presence of {Count} users after the start failed", users.Count);
        }
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}
