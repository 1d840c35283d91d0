using Microsoft.Extensions.DependencyInjection;
using Myelin.Silo.Appservices;
using Myelin.Silo.Configuration;
using Myelin.Silo.Media;
using Myelin.Silo.WorkerApps.Pusher;

namespace Myelin.Silo.WorkerApps;

/// <summary>
/// Registers the worker apps this process runs, as its config says (Synapse's pusher_instances,
/// notify_appservices_from_worker, update_user_directory_from_worker, enable_media_repo,
/// media_instance_running_background_jobs, run_background_tasks_on). The single process runs them all.
/// One line per app: <c>if (apps.RunsX(name)) services.AddHostedService&lt;XWorker&gt;();</c>
/// </summary>
public static class WorkerAppServices
{
    public static void AddMyelinWorkerApps(this IServiceCollection services, HomeserverOptions options)
    {
        services.AddSingleton<WorkerAppPositions>();
        var apps = options.Cluster.WorkerApps;
        var name = options.WorkerName;
        if (apps.RunsUserDirectory(name)) services.AddHostedService<UserDirectoryUpdater>();
        if (apps.RunsBackgroundTasks(name)) services.AddHostedService(BackgroundTasks.Create);
        if (apps.RunsAppservices(name)) services.AddAppserviceSenders(options);
        if (apps.EnableMediaRepo) services.AddMyelinMediaRepository();
        if (apps.RunsMediaBackgroundJobs(name)) services.AddHostedService<MediaHousekeeping>();
        if (apps.RunsPusher(name)) services.AddMyelinPusher(options);
    }
}
