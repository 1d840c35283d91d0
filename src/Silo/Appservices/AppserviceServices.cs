using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Myelin.Matrix;
using Myelin.Silo.Configuration;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;

namespace Myelin.Silo.Appservices;

public static class AppserviceServices
{
    /// <summary>What every process needs of the application services: their registrations (gateways
    /// authenticate their tokens), the client that calls them (the ping endpoint), and their sender users.</summary>
    public static void AddMyelinAppservices(this IServiceCollection services, HomeserverOptions options)
    {
        services.AddSingleton(options.Appservices);
        services.AddSingleton(_ => new AppserviceApi());
        if (options.Appservices.All.Count > 0) services.AddHostedService<AppserviceUsersStartup>();
    }

    /// <summary>The appservice worker app: one sender per service that has a URL.</summary>
    public static void AddAppserviceSenders(this IServiceCollection services, HomeserverOptions options)
    {
        foreach (var service in options.Appservices.All.Where(s => s.Url is not null))
        {
            services.AddSingleton<IHostedService>(sp => new AppserviceSender(service, options.WorkerName,
                sp.GetRequiredService<MyelinDatabase>(), sp.GetRequiredService<IReplicationBus>(), sp.GetRequiredService<AppserviceApi>(),
                sp.GetService<TypingCache>(), sp.GetRequiredService<WorkerAppPositions>(), sp.GetRequiredService<TimeProvider>(),
                options.ServerName, sp.GetRequiredService<ILogger<AppserviceSender>>()));
        }
    }

    /// <summary>Creates each service's sender user when it does not exist yet (as Synapse does at start-up),
    /// so the service can act as it at once. Idempotent: every process does it.</summary>
    sealed class AppserviceUsersStartup(ApplicationServices appservices, MyelinDatabase db, TimeProvider time,
        ILogger<AppserviceUsersStartup> log) : IHostedService
    {
        public async Task StartAsync(CancellationToken ct)
        {
            foreach (var service in appservices.All)
            {
                if (await db.Accounts.CreateUserAsync(service.Sender, null, isAdmin: false, isGuest: false, time.GetUtcNow().ToUnixTimeMilliseconds()))
                    log.LogInformation("Created {Sender}, the sender of {Service}", service.Sender, service);
            }
        }

        public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
    }
}
