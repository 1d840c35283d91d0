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

    /// <summary>Orleans with localhost clustering on the configured ports (the single-process default).</summary>
    public static void ConfigureMyelinSilo(this ISiloBuilder silo, HomeserverOptions options)
    {
        silo.UseLocalhostClustering(options.Orleans.SiloPort, options.Orleans.GatewayPort, null,
            options.Orleans.ServiceId, options.Orleans.ClusterId);
        silo.Configure<EndpointOptions>(o => o.AdvertisedIPAddress = IPAddress.Loopback);
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(30));
    }
}
