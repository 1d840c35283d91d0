namespace Myelin.Silo.Configuration;

/// <summary>
/// Which worker apps (Synapse's legacy worker types: pusher, appservice, user directory, media repository,
/// background tasks) this process runs, from the same keys Synapse reads. Synapse's "main" process runs
/// every one of them unless told otherwise; Myelin has no main, so each app's default home is the instance
/// <c>run_background_tasks_on</c> names ("master", the single process, when unset).
/// </summary>
public sealed class WorkerAppOptions
{
    /// <summary>Instances sending push notifications (<c>pusher_instances</c>); users are split between them
    /// by a hash of the user ID, in list order.</summary>
    public IReadOnlyList<string> PusherInstances { get; init; } = ["master"];
    /// <summary>The instance sending appservice transactions (<c>notify_appservices_from_worker</c>).</summary>
    public string? AppserviceInstance { get; init; } = "master";
    /// <summary>The instance keeping the user directory current (<c>update_user_directory_from_worker</c>).</summary>
    public string? UserDirectoryInstance { get; init; } = "master";
    /// <summary>Whether this process serves the media repository (<c>enable_media_repo</c>).</summary>
    public bool EnableMediaRepo { get; init; } = true;
    /// <summary>The media instance running media housekeeping (<c>media_instance_running_background_jobs</c>).</summary>
    public string MediaBackgroundJobsInstance { get; init; } = "master";
    public string BackgroundTasksInstance { get; init; } = "master";

    public static WorkerAppOptions FromConfig(ConfigDocument c, string workerApp, string workerName, string backgroundTasksOn)
    {
        // Synapse's older, per-app worker types: such a process runs its app, and main is told not to
        // (start_pushers: false, notify_appservices: false, update_user_directory: false).
        IReadOnlyList<string> pushers;
        if (c.List("pusher_instances") is { } list)
            pushers = list.Select(x => x as string ?? throw c.Error("pusher_instances", "must be a list of instance names")).ToList();
        else if (workerApp == "synapse.app.pusher")
            pushers = [workerName];
        else
            pushers = c.Bool("start_pushers", true) ? [backgroundTasksOn] : [];

        return new WorkerAppOptions
        {
            PusherInstances = pushers,
            AppserviceInstance = Single(c, "notify_appservices_from_worker", "notify_appservices", "synapse.app.appservice", workerApp, workerName, backgroundTasksOn),
            UserDirectoryInstance = Single(c, "update_user_directory_from_worker", "update_user_directory", "synapse.app.user_dir", workerApp, workerName, backgroundTasksOn),
            EnableMediaRepo = c.Bool("enable_media_repo", true) || workerApp == "synapse.app.media_repository",
            MediaBackgroundJobsInstance = c.String("media_instance_running_background_jobs", backgroundTasksOn)!,
            BackgroundTasksInstance = backgroundTasksOn,
        };
    }

    static string? Single(ConfigDocument c, string key, string legacyFlag, string legacyApp, string workerApp, string workerName, string fallback)
    {
        if (c.Get(key) is { } v)
            return v as string ?? throw c.Error(key, "must be an instance name");
        if (workerApp == legacyApp) return workerName;
        return c.Bool(legacyFlag, true) ? fallback : null;
    }

    public bool RunsPusher(string workerName) => PusherInstances.Contains(workerName);
    public bool RunsAppservices(string workerName) => AppserviceInstance == workerName;
    public bool RunsUserDirectory(string workerName) => UserDirectoryInstance == workerName;
    public bool RunsMediaBackgroundJobs(string workerName) => EnableMediaRepo && MediaBackgroundJobsInstance == workerName;
    public bool RunsBackgroundTasks(string workerName) => BackgroundTasksInstance == workerName;
}
