using System.Net;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>A gateway with small media limits of its own (max_upload_size, thumbnail_sizes,
/// max_pending_media_uploads, a separate media_store_path).</summary>
public sealed class MediaLimitsFixture : IAsyncLifetime
{
    public const long MaxUpload = 100 * 1024;
    public GatewayProcess Gateway { get; private set; } = null!;
    public string StorePath { get; } = Path.Combine(Path.GetTempPath(), "myelin-media-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync() => Gateway = await GatewayProcess.StartAsync($"""
        max_upload_size: 100K
        media_store_path: {StorePath}
        max_pending_media_uploads: 2
        thumbnail_sizes:
          - width: 50
            height: 40
            method: crop
        """);

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        try { Directory.Delete(StorePath, recursive: true); } catch (IOException) { }
    }
}

public sealed class MediaLimitsTests(MediaLimitsFixture fx) : IClassFixture<MediaLimitsFixture>
{
    async Task<(MatrixClient, MediaClient)> NewUserAsync()
    {
        var user = await new MatrixClient(fx.Gateway.BaseUrl).RegisterAsync();
        return (user, new MediaClient(fx.Gateway.BaseUrl, user.AccessToken));
    }

    [Fact]
    public async Task Upload_OverMaxUploadSize_Returns413_DeclaredOrStreamed()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;

        var declared = await media.UploadRawAsync(new byte[MediaLimitsFixture.MaxUpload + 1], "application/octet-stream");
        Assert.Equal(413, declared.Status);
        Assert.Equal("M_TOO_LARGE", declared.ErrCode);

        // Chunked: no Content-Length to check first, so the limit stops the stream.
        var chunked = new StreamContent(new MemoryStream(new byte[MediaLimitsFixture.MaxUpload * 3]));
        chunked.Headers.ContentType = new("application/octet-stream");
        using var req = new HttpRequestMessage(HttpMethod.Post, "/_matrix/media/v3/upload") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        req.Headers.Authorization = new("Bearer", user.AccessToken);
        using var http = new HttpClient { BaseAddress = fx.Gateway.BaseUrl };
        HttpStatusCode status;
        string body;
        try
        {
            using var resp = await http.SendAsync(req);
            status = resp.StatusCode;
            body = await resp.Content.ReadAsStringAsync();
        }
        catch (HttpRequestException)
        {
            // The server may close the connection before the whole body is sent; that is a refusal too,
            // as long as nothing was stored (checked below).
            status = HttpStatusCode.RequestEntityTooLarge;
            body = "M_TOO_LARGE";
        }
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("M_TOO_LARGE", body);

        // Exactly at the limit is fine.
        var atLimit = await media.UploadRawAsync(new byte[MediaLimitsFixture.MaxUpload], "application/octet-stream");
        Assert.Equal(200, atLimit.Status);
        // Nothing of the refused uploads is left behind.
        var tmp = Path.Combine(fx.StorePath, "tmp");
        Assert.True(!Directory.Exists(tmp) || Directory.GetFiles(tmp).Length == 0);
    }

    [Fact]
    public async Task Config_AnnouncesTheConfiguredLimit()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var r = await media.GetAsync("/_matrix/client/v1/media/config");
        Assert.Equal(MediaLimitsFixture.MaxUpload, r.Json["m.upload.size"]!.GetValue<long>());
    }

    [Fact]
    public async Task Thumbnails_FollowThumbnailSizes_AndFilesLiveUnderMediaStorePath()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, id) = await media.UploadAsync(MediaClient.Image(300, 300), "image/png");

        var t = await media.GetAsync($"/_matrix/client/v1/media/thumbnail/{server}/{id}?width=32&height=32&method=crop");
        Assert.Equal((50, 40), MediaClient.SizeOf(t.Body));
        // Only crop thumbnails were made: a scale request finds none of its method.
        var scale = await media.GetAsync($"/_matrix/client/v1/media/thumbnail/{server}/{id}?width=32&height=32&method=scale");
        Assert.Equal(404, scale.Status);
        Assert.Equal("M_NOT_FOUND", scale.ErrCode);

        Assert.True(File.Exists(Path.Combine(fx.StorePath, "local_content", id[..2], id[2..4], id[4..])));
        Assert.True(File.Exists(Path.Combine(fx.StorePath, "local_thumbnails", id[..2], id[2..4], id[4..], "50-40-image-png-crop")));
    }

    [Fact]
    public async Task Create_PastTheConfiguredPendingLimit_Returns429_UntilOneIsUploaded()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var first = await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create");
        Assert.Equal(200, (await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create")).Status);
        Assert.Equal(429, (await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create")).Status);

        var (server, id) = MediaClient.Split(first.Json["content_uri"]!.GetValue<string>());
        Assert.Equal(200, (await media.SendAsync(HttpMethod.Put, $"/_matrix/media/v3/upload/{server}/{id}", MediaClient.Bytes([1, 2], "text/plain"))).Status);
        Assert.Equal(200, (await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create")).Status);

        // Two are pending again: the limit holds.
        var created = await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create");
        Assert.Equal(429, created.Status);
    }
}
