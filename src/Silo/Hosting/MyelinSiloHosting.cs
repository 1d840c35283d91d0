using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Storage;
using Orleans.Configuration;

namespace Myelin.Silo.Hosting;

/// <summary>Start-up pieces shared by the silo and the gateway executables.</summary>
public static class MyelinSiloHosting
{
    /// <summary>Reads <c>--config-path</c> arguments (repeatable, also <c>-c</c>) merged over the given defaults.</summary>
    public static HomeserverOptions LoadOptions(string[] args, string? defaultsYaml = null)
    {
        var paths = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config-path" or "-c")
            {
                if (i + 1 >= args.Length) throw new ConfigException("<command line>", "--config-path", "needs a file path");
                paths.Add(args[++i]);
            }
            else if (args[i].StartsWith("--config-path=", StringComparison.Ordinal))
                paths.Add(args[i]["--config-path=".Length..]);
        }
        var all = new List<string>();
        string? defaultsFile = null;
        if (defaultsYaml is not null)
        {
            defaultsFile = Path.Combine(Path.GetTempPath(), $"myelin-defaults-{Guid.NewGuid():N}.yaml");
            File.WriteAllText(defaultsFile, defaultsYaml);
            all.Add(defaultsFile);
        }
        all.AddRange(paths);
        try
        {
            return HomeserverOptions.FromConfig(ConfigLoader.Load(all));
        }
        finally
        {
            if (defaultsFile is not null) File.Delete(defaultsFile);
        }
    }

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

    /// <summary>Orleans with localhost clustering on the configured ports (the single-process default).</summary>
    public static void ConfigureMyelinSilo(this ISiloBuilder silo, HomeserverOptions options)
    {
        silo.UseLocalhostClustering(options.Orleans.SiloPort, options.Orleans.GatewayPort, null,
            options.Orleans.ServiceId, options.Orleans.ClusterId);
        silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(30));
    }
}
