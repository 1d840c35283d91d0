using System.Security.Cryptography;
using System.Text;
using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace Myelin.Cluster.Tests;

/// <summary>
/// The media repository as its own process (Synapse's media_repository worker): the main gateway has
/// <c>enable_media_repo: false</c> and answers media requests 404 M_UNRECOGNIZED, so a proxy must send them
/// to the media instance, which serves uploads, downloads and thumbnails for users whose accounts and
/// tokens live in the shared database, and runs the media housekeeping
/// (<c>media_instance_running_background_jobs</c>).
/// </summary>
public sealed class MediaRepositoryClusterTests(ITestOutputHelper output)
{
    [RedisClusterFact]
    public async Task MediaInstance_ServesMedia_MainAnswersUnrecognized_HousekeepingRunsOnTheMediaInstance()
    {
        await using var cluster = await TestCluster.CreateAsync(["main"], TestEnvironment.RequireRedis(), """
            enable_media_repo: false
            media_instance_running_background_jobs: media1
            """);
        var main = await cluster.StartGatewayAsync("main");

        // An ID created two days ago and never uploaded to: housekeeping's to forget, but not main's.
        using var owner = await new MatrixClient(main.BaseUrl!).RegisterAsync();
        var expired = "expiredPendingMediaId0001";
        await ExecuteAsync(cluster, "INSERT INTO local_media_repository (media_id, created_ts, user_id) VALUES (@id, @ts, @user)",
            ("id", expired), ("ts", DateTimeOffset.UtcNow.AddDays(-2).ToUnixTimeMilliseconds()), ("user", owner.UserId));
        await Task.Delay(1000);
        Assert.Equal(1L, await CountAsync(cluster, expired));

        // Synapse's media worker config: this process overrides the shared enable_media_repo: false.
        var media1 = await cluster.StartGatewayAsync("media1", "enable_media_repo: true\n");
        output.WriteLine($"cluster up; CPU: {cluster.CpuReport}");

        // main: every media endpoint is someone else's.
        using var onMain = new MediaClient(main.BaseUrl!, owner.AccessToken);
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, "/_matrix/media/v3/config"), (HttpMethod.Get, "/_matrix/client/v1/media/config"),
            (HttpMethod.Post, "/_matrix/media/v3/upload"), (HttpMethod.Post, "/_matrix/media/v1/create"),
            (HttpMethod.Get, $"/_matrix/client/v1/media/download/{cluster.ServerName}/abcdefgh"),
            (HttpMethod.Get, $"/_synapse/admin/v1/users/{Uri.EscapeDataString(owner.UserId)}/media"),
        })
        {
            var r = await onMain.SendAsync(method, path, method == HttpMethod.Get ? null : MediaClient.Bytes([1], "text/plain"));
            Assert.True(r.Status == 404 && r.ErrCode == "M_UNRECOGNIZED", $"main {method} {path}: {r.Status} {r.ErrCode}");
        }

        // media1: a user registered on main uploads and downloads there, byte for byte.
        using var onMedia = new MediaClient(media1.BaseUrl!, owner.AccessToken);
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
        var (server, id) = await onMedia.UploadAsync(bytes, "application/octet-stream", "blob.bin");
        Assert.Equal(cluster.ServerName, server);
        foreach (var path in new[] { $"/_matrix/client/v1/media/download/{server}/{id}", $"/_matrix/media/v3/download/{server}/{id}" })
        {
            var got = await onMedia.GetAsync(path);
            Assert.Equal(200, got.Status);
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(got.Body));
            Assert.Equal("attachment; filename=blob.bin", got.Disposition);
        }

        // Thumbnails have the asked size.
        var (_, image) = await onMedia.UploadAsync(MediaClient.Image(640, 480), "image/png");
        var crop = await onMedia.GetAsync($"/_matrix/client/v1/media/thumbnail/{server}/{image}?width=96&height=96&method=crop");
        Assert.Equal((96, 96), MediaClient.SizeOf(crop.Body));
        var scale = await onMedia.GetAsync($"/_matrix/client/v1/media/thumbnail/{server}/{image}?width=320&height=240&method=scale");
        Assert.Equal((320, 240), MediaClient.SizeOf(scale.Body));

        // The asynchronous upload, and the event pointing at it sent through main.
        var created = await onMedia.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create");
        var (_, later) = MediaClient.Split(created.Json["content_uri"]!.GetValue<string>());
        Assert.Equal(200, (await onMedia.SendAsync(HttpMethod.Put, $"/_matrix/media/v3/upload/{server}/{later}", MediaClient.Bytes("later"u8.ToArray(), "text/plain"))).Status);
        Assert.Equal("later", Encoding.UTF8.GetString((await onMedia.GetAsync($"/_matrix/client/v1/media/download/{server}/{later}")).Body));
        var room = await owner.CreateRoomAsync();
        var sent = await owner.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/{Guid.NewGuid():N}",
            new { msgtype = "m.image", body = "pic.png", url = $"mxc://{server}/{image}" });
        Assert.Equal(200, sent.Status);

        // Housekeeping ran on media1 (it runs at start, then every 10 minutes).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await CountAsync(cluster, expired) > 0 && DateTime.UtcNow < deadline) await Task.Delay(250);
        Assert.Equal(0L, await CountAsync(cluster, expired));
        Assert.Equal(1L, await CountAsync(cluster, later));
    }

    static async Task ExecuteAsync(TestCluster cluster, string sql, params (string Name, object Value)[] args)
    {
        await using var c = new NpgsqlConnection(cluster.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync();
    }

    static async Task<long> CountAsync(TestCluster cluster, string mediaId)
    {
        await using var c = new NpgsqlConnection(cluster.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM local_media_repository WHERE media_id = @id", c);
        cmd.Parameters.AddWithValue("id", mediaId);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
