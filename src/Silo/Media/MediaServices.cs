using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Myelin.Silo.Media;

public static class MediaServices
{
    /// <summary>The media repository of a process that serves media (<c>enable_media_repo</c>), with the
    /// batched writer of last-access times.</summary>
    public static IServiceCollection AddMyelinMediaRepository(this IServiceCollection services)
    {
        services.AddSingleton<MediaRepository>();
        services.AddHostedService<MediaAccessTimes>();
        return services;
    }
}

/// <summary>Writes the media downloaded in the last minute as accessed now (Synapse's
/// update_cached_last_access_time loop): one batch a minute instead of a write per download.</summary>
sealed class MediaAccessTimes(MediaRepository media, TimeProvider clock, ILogger<MediaAccessTimes> log) : BackgroundService
{
    static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct)) await FlushAsync();
        }
        catch (OperationCanceledException) { }
        await FlushAsync();
    }

    async Task FlushAsync()
    {
        try { await media.FlushAccessTimesAsync(); }
        catch (Exception e) { log.LogWarning(e, "Could not record media access times"); }
    }
}

/// <summary>
/// Media housekeeping, on the one media instance <c>media_instance_running_background_jobs</c> names:
/// IDs made by <c>POST /_matrix/media/v1/create</c> that expired without content are forgotten, so they
/// neither count against their user's pending limit nor linger in the table.
/// </summary>
public sealed class MediaHousekeeping(MediaRepository media, TimeProvider clock, ILogger<MediaHousekeeping> log) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var removed = await media.DeleteExpiredPendingAsync();
                if (removed > 0) log.LogInformation("Removed {Count} expired unused media IDs", removed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Media housekeeping failed; retrying at the next round");
            }
        } while (await WaitAsync(timer, ct));
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}
