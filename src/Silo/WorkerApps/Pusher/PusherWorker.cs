using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>
/// The pusher worker app: follows the events stream and hands each batch's notifications to the pushers of the
/// users they concern. Its own stream position only says which batches it has looked at: each pusher keeps its
/// own position (pushers.last_stream_ordering) and sends from there, so one failing push gateway holds up only
/// its own pusher, and a restart resends whatever a pusher had not delivered.
/// </summary>
public sealed class PusherWorker(MyelinDatabase db, IReplicationBus bus, WorkerAppPositions positions, PusherPool pool,
    PusherSettings settings, string instance, TimeProvider time, ILogger log)
    : EventStreamFollower("pusher", instance, db, bus, positions, time, log)
{
    readonly MyelinDatabase _db = db;
    readonly TimeProvider _time = time;
    readonly IReplicationBus _bus = bus;
    long _poolStartedAt = long.MaxValue;

    // The pushers are kicked up to where the stream was when they were loaded: a first run follows the stream
    // from there, so an event between the two is not missed.
    protected override long StartingPosition(long current) => Math.Min(current, _poolStartedAt);

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        _poolStartedAt = _bus.Position(StreamNames.Events);
        // The pushers start from their own stored positions before the stream is followed.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await pool.StartAsync();
                break;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Log.LogWarning(e, "Starting the pushers failed (attempt {Attempt}); retrying", attempt);
                try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt)), _time, ct); }
                catch (OperationCanceledException) { return; }
            }
        }
        _ = RefreshLoopAsync(ct);
        await base.ExecuteAsync(ct);
    }

    async Task RefreshLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.RefreshInterval, _time, ct);
                await pool.RefreshAsync();
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                Log.LogWarning(e, "Reading the pushers again failed");
            }
        }
    }

    protected override async Task HandleAsync(IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        // With no pusher running here there is nothing to do: a pusher set later starts after these events.
        if (events.Count == 0 || pool.Count == 0) return;
        var to = events[^1].StreamOrdering;
        var users = await _db.Pushers.GetUsersToPushAsync(events[0].StreamOrdering - 1, to);
        pool.OnNewNotifications(users, to);
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        pool.Dispose();
        await base.StopAsync(ct);
    }
}

/// <summary>A row of the pushers stream (Synapse's PushersStream row): a pusher was set or deleted.</summary>
public sealed record PushersStreamRow(string UserId, string AppId, string Pushkey, bool Deleted)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["user_id"] = UserId, ["app_id"] = AppId, ["pushkey"] = Pushkey, ["deleted"] = Deleted,
    });
}

/// <summary>Takes the pushers stream's rows (from this process or another) and has the pool read that user's
/// pushers again.</summary>
internal sealed class PushersStreamListener(PusherPool pool, ILogger<PushersStreamListener> log) : IStreamRowConsumer
{
    public string Stream => StreamNames.Pushers;

    public void OnRow(string instance, long token, string rowJson)
    {
        using var doc = JsonDocument.Parse(rowJson);
        if (!doc.RootElement.TryGetProperty("user_id", out var u) || u.GetString() is not { } user) return;
        _ = Task.Run(() => pool.ReloadUserInBackground(user));
    }

    public void OnWireReconnected() => _ = Task.Run(async () =>
    {
        try { await pool.RefreshAsync(); }
        catch (Exception e) { log.LogWarning(e, "Reading the pushers again failed"); }
    });
}

public static class PusherServices
{
    /// <summary>Registers the pusher app on a process named in <c>pusher_instances</c>.</summary>
    public static void AddMyelinPusher(this IServiceCollection services, HomeserverOptions options)
    {
        var settings = PusherSettings.FromConfig(options.Source);
        services.AddSingleton(settings);
        services.AddSingleton<IPushGatewayClient>(_ => new PushGatewayClient(settings));
        services.AddSingleton(sp => new PusherPool(sp.GetRequiredService<MyelinDatabase>(), sp.GetRequiredService<IReplicationBus>(),
            sp.GetRequiredService<IPushGatewayClient>(), settings, options.WorkerName, options.Cluster.WorkerApps.PusherInstances,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PusherPool>>()));
        services.AddSingleton<IStreamRowConsumer, PushersStreamListener>();
        services.AddHostedService(sp => new PusherWorker(sp.GetRequiredService<MyelinDatabase>(), sp.GetRequiredService<IReplicationBus>(),
            sp.GetRequiredService<WorkerAppPositions>(), sp.GetRequiredService<PusherPool>(), settings, options.WorkerName,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PusherWorker>>()));
    }
}
