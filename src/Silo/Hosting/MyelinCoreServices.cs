using Microsoft.Extensions.DependencyInjection;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.Hosting;

/// <summary>The homeserver's services every silo hosts: storage, identity, replication bus, persister.</summary>
public static class MyelinCoreServices
{
    /// <summary>Opens the database (applying schema deltas) and the signing key, and registers the
    /// homeserver's services: storage, identity, replication bus, event persister.</summary>
    public static async Task AddMyelinCoreAsync(this IServiceCollection services, HomeserverOptions options)
    {
        Directory.CreateDirectory(options.DataDirectory);
        var db = await MyelinDatabase.OpenAsync(options.Database);
        var key = ServerIdentity.LoadOrCreateSigningKey(options.SigningKeyPath);
        var version = RoomVersions.Get(options.DefaultRoomVersion) ?? RoomVersions.Default;
        var bus = new InMemoryReplicationBus();
        bus.Seed(StreamNames.Events, await db.StreamIds.CurrentAsync(StreamNames.Events));
        bus.Seed(StreamNames.AccountData, await db.StreamIds.CurrentAsync(StreamNames.AccountData));
        var recent = new RecentEventsCache();
        recent.StartAt(bus.Position(StreamNames.Events));

        services.AddSingleton(options);
        services.AddSingleton(db);
        services.AddSingleton(new ServerIdentity(options.ServerName, key, version));
        services.AddSingleton<IReplicationBus>(bus);
        services.AddSingleton(recent);
        services.AddSingleton<EventPersister>();
        services.AddSingleton(TimeProvider.System);
    }
}
