using Myelin.Matrix;
using Myelin.Silo.Configuration;

namespace Myelin.Grains.Tests.Configuration;

public sealed class MediaOptionsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-media-config-").FullName;

    (HomeserverOptions Options, string Path) Load(string yaml)
    {
        var p = Path.Combine(_dir, "homeserver.yaml");
        File.WriteAllText(p, yaml);
        return (HomeserverOptions.FromConfig(ConfigLoader.Load([p])), p);
    }

    [Fact]
    public void NoKeys_SynapsesDefaults()
    {
        var (o, _) = Load("data_directory: /var/lib/myelin\n");
        Assert.Equal(Path.Combine("/var/lib/myelin", "media_store"), o.Media.StorePath);
        Assert.Equal(50L * 1024 * 1024, o.Media.MaxUploadSize);
        Assert.Equal(32L * 1024 * 1024, o.Media.MaxImagePixels);
        Assert.Equal(Thumbnails.DefaultSizes, o.Media.ThumbnailSizes);
        Assert.Equal(5, o.Media.MaxPendingUploads);
        Assert.Equal(TimeSpan.FromHours(24), o.Media.UnusedExpiration);
        Assert.True(o.Cluster.WorkerApps.EnableMediaRepo);
    }

    [Fact]
    public void Keys_AreRead()
    {
        var (o, _) = Load("""
            media_store_path: /srv/media
            max_upload_size: 10M
            max_image_pixels: 1000
            max_pending_media_uploads: 2
            unused_expiration_time: 30m
            thumbnail_sizes:
              - {width: 10, height: 20, method: crop}
              - {width: 30, height: 40}
            """);
        Assert.Equal("/srv/media", o.Media.StorePath);
        Assert.Equal(10L * 1024 * 1024, o.Media.MaxUploadSize);
        Assert.Equal(1000, o.Media.MaxImagePixels);
        Assert.Equal(2, o.Media.MaxPendingUploads);
        Assert.Equal(TimeSpan.FromMinutes(30), o.Media.UnusedExpiration);
        Assert.Equal([new ThumbnailSize(10, 20, "crop"), new ThumbnailSize(30, 40, "scale")], o.Media.ThumbnailSizes);
    }

    [Theory]
    [InlineData("max_upload_size: lots\n", "max_upload_size")]
    [InlineData("max_pending_media_uploads: 0\n", "max_pending_media_uploads")]
    [InlineData("unused_expiration_time: soon\n", "unused_expiration_time")]
    [InlineData("thumbnail_sizes:\n  - {width: 10, height: 10, method: stretch}\n", "thumbnail_sizes")]
    [InlineData("thumbnail_sizes:\n  - {width: 0, height: 10}\n", "thumbnail_sizes")]
    public void BadValue_ErrorNamesFileAndKey(string yaml, string key)
    {
        var p = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(p, yaml);
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal(key, e.Key);
        Assert.Equal(p, e.File);
    }

    [Fact]
    public void MediaWorker_ServesMedia_MainWithEnableMediaRepoFalseDoesNot()
    {
        var (main, _) = Load("enable_media_repo: false\n");
        Assert.False(main.Cluster.WorkerApps.EnableMediaRepo);
        var (worker, _) = Load("enable_media_repo: false\nworker_app: synapse.app.media_repository\nworker_name: media1\nmedia_instance_running_background_jobs: media1\n");
        Assert.True(worker.Cluster.WorkerApps.EnableMediaRepo);
        Assert.True(worker.Cluster.WorkerApps.RunsMediaBackgroundJobs("media1"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
