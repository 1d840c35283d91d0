using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains;
using Myelin.Grains.Presence;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Grains.Typing;
using Myelin.Matrix;
using Myelin.Silo.Appservices;
using Myelin.Silo.Configuration;
using Myelin.Silo.Replication;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;

namespace Myelin.Silo.Hosting;

/// <summary>The homeserver's services every silo hosts: storage, identity, replication bus, persister.</summary>
public static class MyelinCoreServices
{
    /// <summary>Opens the database (applying schema deltas) and the signing key, and registers the
    /// homeserver's services: storage, identity, replication bus (in memory, or over Redis when
    /// <c>redis.enabled</c>), the events stream, event persister.</summary>
    public static async Task AddMyelinCoreAsync(this IServiceCollection services, HomeserverOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var db = await MyelinDatabase.OpenAsync(options.Database);
        var key = ServerIdentity.LoadOrCreateSigningKey(options.SigningKeyPath);
        var version = RoomVersions.Get(options.DefaultRoomVersion) ?? RoomVersions.Default;

        services.AddSingleton(options);
        services.AddSingleton(db);
        services.AddSingleton(new ServerIdentity(options.ServerName, key, version));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new RecentEventsCache());
        if (options.Cluster.Redis.Enabled)
        {
            services.AddSingleton(sp => new RedisReplicationBus(options.Cluster.Redis.ConnectionString, options.ServerName,
                options.WorkerName, sp.GetRequiredService<ILogger<RedisReplicationBus>>()));
            services.AddSingleton<IReplicationBus>(sp => sp.GetRequiredService<RedisReplicationBus>());
            services.AddSingleton<IReplicationWire>(sp => sp.GetRequiredService<RedisReplicationBus>());
        }
        else
        {
            services.AddSingleton<IReplicationBus, InMemoryReplicationBus>();
        }
        services.AddSingleton(new RecentPushActions());
        services.AddSingleton(new MembershipChanges());
        services.AddSingleton(sp => new EventsStream(db, sp.GetRequiredService<IReplicationBus>(), sp.GetRequiredService<RecentEventsCache>(),
            sp.GetService<IReplicationWire>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EventsStream>>(),
            membershipChanges: sp.GetRequiredService<MembershipChanges>(), pushActions: sp.GetRequiredService<RecentPushActions>()));
        services.AddSingleton<EventPersister>();
        services.AddSingleton(sp => new StreamFanout(db, sp.GetRequiredService<IReplicationBus>(), sp.GetService<IReplicationWire>(),
            sp.GetServices<IStreamRowConsumer>(), sp.GetRequiredService<ILogger<StreamFanout>>()));
        services.AddSingleton<AccountDataWriter>();
        services.AddSingleton<ToDeviceWriter>();
        services.AddSingleton<ToDeviceSender>();
        services.AddSingleton<Myelin.Grains.Sync.ISyncSection, ToDeviceSyncSection>();
        services.AddSingleton(sp => new TypingCache(sp.GetRequiredService<IReplicationBus>(), sp.GetRequiredService<TimeProvider>(),
            () => sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<ILogger<TypingCache>>()));
        services.AddSingleton<IStreamRowConsumer>(sp => sp.GetRequiredService<TypingCache>());
        services.AddSingleton<ISyncSection, TypingSyncSection>();
        services.AddSingleton<ReceiptsWriter>();
        services.AddSingleton<RecentReceiptRanges>();
        services.AddSingleton<Myelin.Grains.Sync.ISyncSection, ReceiptsSyncSection>();
        services.AddSingleton(options.Presence);
        services.AddSingleton<JoinedRoomsCache>();
        services.AddSingleton<PresenceCache>();
        services.AddSingleton<IStreamRowConsumer>(sp => sp.GetRequiredService<PresenceCache>());
        services.AddSingleton<ISyncSection, PresenceSyncSection>();
        services.AddSingleton<PushRulesCache>();
        services.AddSingleton<CachesStream>();
        services.AddSingleton<IStreamRowConsumer>(sp => sp.GetRequiredService<CachesStream>());
        services.AddSingleton<Myelin.Grains.Sync.ISyncSection, Myelin.Grains.Sync.NotificationCountsSection>();
        // Registered before Orleans: the stream is on the wire and at its starting position before any
        // grain persists or syncs.
        services.AddHostedService<ReplicationStartup>();
        services.AddHostedService<PresenceStartup>();
        services.AddMyelinAppservices(options);
        // After the replication start-up: worker apps follow a stream that is already at its position.
        services.AddMyelinWorkerApps(options);
    }

    /// <summary>Connects the bus to Redis (when clustered) and starts the events stream; stops them last.</summary>
    sealed class ReplicationStartup(IServiceProvider services) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            var bus = services.GetRequiredService<IReplicationBus>();
            if (bus is RedisReplicationBus redis) await redis.ConnectAsync();
            await services.GetRequiredService<StreamFanout>().StartAsync();
            await services.GetRequiredService<EventsStream>().StartAsync();
        }

        public async Task StopAsync(CancellationToken ct)
        {
            services.GetRequiredService<StreamFanout>().Dispose();
            await services.GetRequiredService<EventsStream>().DisposeAsync();
            if (services.GetService<RedisReplicationBus>() is { } redis) await redis.DisposeAsync();
        }
    }
}
