using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Silo.Clustering;
using Myelin.Silo.Configuration;
using Myelin.Storage;
using Orleans.Configuration;
using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;

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

    /// <summary>
    /// Orleans for this process. On PostgreSQL the silos of a cluster find each other through Orleans'
    /// ADO.NET membership in the homeserver's own database (tables from schema delta 0007); on SQLite it
    /// is the single process with localhost clustering. Either way the silo advertises its roles in its
    /// silo metadata, and the grain types <see cref="StreamWriterGrains"/> lists (room grains: the events
    /// stream) are placed only on the silos that write their stream.
    /// </summary>
    public static void ConfigureMyelinSilo(this ISiloBuilder silo, HomeserverOptions options)
    {
        var clustering = ClusteringSettings.FromConfig(options.Source);
        var o = options.Orleans;
        if (options.Database.Engine == DatabaseEngine.Postgres)
        {
            silo.UseAdoNetClustering(a =>
            {
                a.Invariant = "Npgsql";
                a.ConnectionString = options.Database.ConnectionString;
            });
            silo.Configure<Orleans.Configuration.ClusterOptions>(c =>
            {
                c.ClusterId = o.ClusterId;
                c.ServiceId = o.ServiceId;
            });
        }
        else
        {
            silo.UseLocalhostClustering(o.SiloPort, o.GatewayPort, null, o.ServiceId, o.ClusterId);
        }
        silo.Configure<EndpointOptions>(e =>
        {
            e.AdvertisedIPAddress = clustering.AdvertisedIp;
            e.SiloPort = o.SiloPort;
            e.GatewayPort = o.GatewayPort;
            e.SiloListeningEndpoint = new IPEndPoint(clustering.ListenIp, o.SiloPort);
            // gateway_port 0: no Orleans client gateway on this silo (gateways are silos themselves).
            e.GatewayListeningEndpoint = o.GatewayPort > 0 ? new IPEndPoint(clustering.ListenIp, o.GatewayPort) : null;
        });
        silo.Configure<SiloOptions>(s => s.SiloName = options.WorkerName);
        silo.Configure<ClusterMembershipOptions>(m => ApplyMembership(m, clustering.Membership));
        silo.Configure<GrainCollectionOptions>(c => c.CollectionAge = TimeSpan.FromMinutes(30));

        var roles = new SiloRoles(options.Cluster);
        silo.UseSiloMetadata(roles.ToMetadata());
        silo.Services.AddSingleton(roles);
        // Transient: the resolver initialises a strategy instance per grain type from that type's properties.
        silo.Services.AddPlacementFilter<StreamWriterPlacementFilterStrategy, StreamWriterPlacementFilterDirector>(ServiceLifetime.Transient);
        silo.Services.AddSingleton<IGrainPropertiesProvider, StreamWriterGrainPropertiesProvider>();
    }

    static void ApplyMembership(ClusterMembershipOptions m, MembershipSettings s)
    {
        m.ProbeTimeout = s.ProbeTimeout;
        m.MinProbeTimeout = TimeSpan.FromTicks(Math.Min(m.MinProbeTimeout.Ticks, s.ProbeTimeout.Ticks));
        m.NumMissedProbesLimit = s.MissedProbesLimit;
        m.NumVotesForDeathDeclaration = s.VotesForDeathDeclaration;
        m.DeathVoteExpirationTimeout = s.DeathVoteExpiration;
        m.IAmAliveTablePublishTimeout = s.IAmAlivePublishPeriod;
        m.TableRefreshTimeout = s.TableRefreshPeriod;
    }
}
