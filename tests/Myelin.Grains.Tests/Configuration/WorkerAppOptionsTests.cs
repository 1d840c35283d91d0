using Myelin.Silo.Configuration;

namespace Myelin.Grains.Tests.Configuration;

public sealed class WorkerAppOptionsTests
{
    static ClusterOptions Cluster(string yaml) => ClusterOptions.FromConfig(ConfigLoader.FromYaml(yaml));

    [Fact]
    public void SingleProcess_RunsEveryWorkerApp()
    {
        var c = Cluster("");
        var apps = c.WorkerApps;
        Assert.True(apps.RunsPusher("master"));
        Assert.True(apps.RunsAppservices("master"));
        Assert.True(apps.RunsUserDirectory("master"));
        Assert.True(apps.EnableMediaRepo);
        Assert.True(apps.RunsMediaBackgroundJobs("master"));
        Assert.True(apps.RunsBackgroundTasks("master"));
    }

    [Fact]
    public void Cluster_AppsDefaultToTheBackgroundTasksInstance()
    {
        var yaml = "worker_app: synapse.app.generic_worker\nworker_name: gateway1\nrun_background_tasks_on: persister1\n";
        var apps = Cluster(yaml).WorkerApps;
        Assert.False(apps.RunsPusher("gateway1"));
        Assert.True(apps.RunsPusher("persister1"));
        Assert.Equal("persister1", apps.AppserviceInstance);
        Assert.Equal("persister1", apps.UserDirectoryInstance);
        Assert.False(apps.RunsBackgroundTasks("gateway1"));
    }

    [Fact]
    public void SynapseKeys_NameTheInstances()
    {
        var apps = Cluster("""
            worker_app: synapse.app.generic_worker
            worker_name: pusher2
            pusher_instances: [pusher1, pusher2]
            notify_appservices_from_worker: appservice1
            update_user_directory_from_worker: userdir1
            enable_media_repo: false
            media_instance_running_background_jobs: media1
            """).WorkerApps;
        Assert.Equal(["pusher1", "pusher2"], apps.PusherInstances);
        Assert.True(apps.RunsPusher("pusher2"));
        Assert.True(apps.RunsAppservices("appservice1"));
        Assert.True(apps.RunsUserDirectory("userdir1"));
        Assert.False(apps.EnableMediaRepo);
        Assert.False(apps.RunsMediaBackgroundJobs("media1")); // media is off on this process
    }

    [Fact]
    public void LegacyWorkerApps_RunTheirApp_AndMainCanBeToldNotTo()
    {
        Assert.Equal(["p"], Cluster("worker_app: synapse.app.pusher\nworker_name: p\n").WorkerApps.PusherInstances);
        Assert.Equal("a", Cluster("worker_app: synapse.app.appservice\nworker_name: a\n").WorkerApps.AppserviceInstance);
        Assert.Equal("u", Cluster("worker_app: synapse.app.user_dir\nworker_name: u\n").WorkerApps.UserDirectoryInstance);
        Assert.True(Cluster("worker_app: synapse.app.media_repository\nworker_name: m\nenable_media_repo: false\n").WorkerApps.EnableMediaRepo);

        var main = Cluster("start_pushers: false\nnotify_appservices: false\nupdate_user_directory: false\n").WorkerApps;
        Assert.Empty(main.PusherInstances);
        Assert.Null(main.AppserviceInstance);
        Assert.Null(main.UserDirectoryInstance);
    }

    [Fact]
    public void BadValues_ErrorNamesTheKey()
    {
        Assert.Contains("pusher_instances", Assert.Throws<ConfigException>(() => Cluster("pusher_instances: [1, [2]]\n")).Message);
        Assert.Contains("notify_appservices_from_worker", Assert.Throws<ConfigException>(() => Cluster("notify_appservices_from_worker: [a]\n")).Message);
        Assert.Contains("enable_media_repo", Assert.Throws<ConfigException>(() => Cluster("enable_media_repo: maybe\n")).Message);
    }
}
