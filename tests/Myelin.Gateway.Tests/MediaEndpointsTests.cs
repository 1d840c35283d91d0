using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Myelin.Gateway.Tests.Infrastructure;
using SkiaSharp;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MediaEndpointsTests(GatewayFixture fx)
{
    async Task<(MatrixClient User, MediaClient Media)> NewUserAsync()
    {
        var user = await fx.NewClient().RegisterAsync();
        return (user, new MediaClient(fx.Gateway.BaseUrl, user.AccessToken));
    }

    static string Download(string server, string id, bool authenticated = true) =>
        authenticated ? $"/_matrix/client/v1/media/download/{server}/{id}" : $"/_matrix/media/v3/download/{server}/{id}";

    static string Thumb(string server, string id, int w, int h, string? method, bool authenticated = true) =>
        (authenticated ? $"/_matrix/client/v1/media/thumbnail/{server}/{id}" : $"/_matrix/media/v3/thumbnail/{server}/{id}")
        + $"?width={w}&height={h}" + (method is null ? "" : $"&method={method}");

    [Fact]
    public async Task Upload_SeveralMegabytes_DownloadsByteForByte_OnBothEndpoints()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);

        var (server, id) = await media.UploadAsync(bytes, "application/octet-stream");
        Assert.Equal("localhost", server);
        Assert.Matches("^[A-Za-z0-9_-]+$", id);

        foreach (var authenticated in new[] { true, false })
        {
            var got = await media.GetAsync(Download(server, id, authenticated));
            Assert.Equal(200, got.Status);
            Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(got.Body));
            Assert.Equal(bytes.Length, got.Body.Length);
            Assert.Equal("application/octet-stream", got.ContentType);
            Assert.Equal("attachment", got.Disposition);
            Assert.Equal("cross-origin", got.Header("Cross-Origin-Resource-Policy"));
            Assert.Equal("nosniff", got.Header("X-Content-Type-Options"));
            Assert.StartsWith("sandbox;", got.Header("Content-Security-Policy"));
        }
    }

    [Fact]
    public async Task Upload_ContentTypeAndFileName_RoundTrip()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;

        var (s1, text) = await media.UploadAsync("hello"u8.ToArray(), "text/plain", "notes.txt");
        var got = await media.GetAsync(Download(s1, text));
        Assert.Equal("hello", Encoding.UTF8.GetString(got.Body));
        Assert.Equal("text/plain; charset=UTF-8", got.ContentType);
        Assert.Equal("inline; filename=notes.txt", got.Disposition);

        var (s2, pdf) = await media.UploadAsync([1, 2, 3], "application/pdf", "résumé final.pdf");
        got = await media.GetAsync(Download(s2, pdf));
        Assert.Equal("application/pdf", got.ContentType);
        Assert.Equal("attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.pdf", got.Disposition);

        // The file name in the path replaces the uploaded one.
        got = await media.GetAsync(Download(s2, pdf) + "/other.pdf");
        Assert.Equal(200, got.Status);
        Assert.Equal("attachment; filename=other.pdf", got.Disposition);

        // No Content-Type: application/octet-stream (spec); no filename: none in the disposition.
        var (s3, plain) = await media.UploadAsync([9], null);
        got = await media.GetAsync(Download(s3, plain, authenticated: false));
        Assert.Equal("application/octet-stream", got.ContentType);
        Assert.Equal("attachment", got.Disposition);

        // Only safe types are inline: HTML is an attachment, served as uploaded.
        var (s4, html) = await media.UploadAsync("<script>alert(1)</script>"u8.ToArray(), "text/html", "x.html");
        got = await media.GetAsync(Download(s4, html));
        Assert.Equal("text/html; charset=UTF-8", got.ContentType);
        Assert.Equal("attachment; filename=x.html", got.Disposition);
    }

    [Theory]
    [InlineData("not-a-type")]
    [InlineData("image/")]
    [InlineData("text/plain\u0001")]
    public async Task Upload_BadContentType_Returns400(string contentType)
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var r = await media.UploadRawAsync([1, 2, 3], contentType);
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task Thumbnails_HaveTheAskedSize_CropExact_ScaleFits()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, id) = await media.UploadAsync(MediaClient.Image(1000, 800), "image/png", "pic.png");

        foreach (var (w, h) in new[] { (32, 32), (96, 96) })
        {
            var crop = await media.GetAsync(Thumb(server, id, w, h, "crop"));
            Assert.Equal(200, crop.Status);
            Assert.Equal("image/png", crop.ContentType);
            Assert.Equal((w, h), MediaClient.SizeOf(crop.Body));
            Assert.StartsWith("inline", crop.Disposition);
        }

        // Scale keeps the 5:4 aspect and fills the box on one side.
        foreach (var (w, h) in new[] { (320, 240), (640, 480), (800, 600) })
        {
            var scale = await media.GetAsync(Thumb(server, id, w, h, "scale"));
            Assert.Equal(200, scale.Status);
            var (tw, th) = MediaClient.SizeOf(scale.Body);
            Assert.True(tw <= w && th <= h && (tw == w || th == h), $"{tw}x{th} does not fit {w}x{h}");
            Assert.InRange(tw * 4.0 / (th * 5.0), 0.98, 1.02);
        }

        // The method defaults to scale; a size between the made ones gets the next larger.
        var between = await media.GetAsync(Thumb(server, id, 400, 300, null));
        var (bw, bh) = MediaClient.SizeOf(between.Body);
        Assert.True(bw >= 400 || bh >= 300, $"{bw}x{bh} is smaller than asked");

        // The legacy endpoint serves the same thumbnails without a token.
        var legacy = await media.GetAsync(Thumb(server, id, 32, 32, "crop", authenticated: false), auth: false);
        Assert.Equal((32, 32), MediaClient.SizeOf(legacy.Body));
    }

    [Fact]
    public async Task Thumbnails_OfJpeg_AreJpeg_AndSmallImagesAreNeverUpscaled()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, jpeg) = await media.UploadAsync(MediaClient.Image(640, 640, SKEncodedImageFormat.Jpeg), "image/jpeg");
        var t = await media.GetAsync(Thumb(server, jpeg, 96, 96, "crop"));
        Assert.Equal("image/jpeg", t.ContentType);
        Assert.Equal((96, 96), MediaClient.SizeOf(t.Body));

        var (_, small) = await media.UploadAsync(MediaClient.Image(20, 10), "image/png");
        var scaled = await media.GetAsync(Thumb(server, small, 320, 240, "scale"));
        Assert.Equal((20, 10), MediaClient.SizeOf(scaled.Body));
        var cropped = await media.GetAsync(Thumb(server, small, 96, 96, "crop"));
        var (cw, ch) = MediaClient.SizeOf(cropped.Body);
        Assert.True(cw <= 20 && ch <= 10 && cw == ch, $"{cw}x{ch}");
    }

    [Fact]
    public async Task Thumbnail_OfPhotoWithExifRotation_IsUpright()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        // 400x200 as stored, orientation 6 (rotate 90° clockwise to view): 200x400 as seen.
        var photo = WithExifOrientation(MediaClient.Image(400, 200, SKEncodedImageFormat.Jpeg), 6);
        var (server, id) = await media.UploadAsync(photo, "image/jpeg");
        var t = await media.GetAsync(Thumb(server, id, 320, 240, "scale"));
        Assert.Equal(200, t.Status);
        Assert.Equal((120, 240), MediaClient.SizeOf(t.Body));
    }

    /// <summary>Inserts an APP1 Exif segment with one IFD0 entry (Orientation) after the JPEG's SOI marker.</summary>
    static byte[] WithExifOrientation(byte[] jpeg, ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at offset 8
            0, 1,                                   // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1,           // tag 0x0112 Orientation, SHORT, count 1
            (byte)(orientation >> 8), (byte)orientation, 0, 0,
            0, 0, 0, 0,                             // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var length = payload.Length + 2;
        var segment = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(payload);
        return jpeg.Take(2).Concat(segment).Concat(jpeg.Skip(2)).ToArray();
    }

    [Fact]
    public async Task Thumbnail_OfNonImageOrBrokenImage_Returns400Unknown()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, text) = await media.UploadAsync("just text"u8.ToArray(), "text/plain");
        var r = await media.GetAsync(Thumb(server, text, 32, 32, "crop"));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);

        // Claims to be a PNG, is not: stored and downloadable as uploaded, but has no thumbnails.
        var fake = RandomNumberGenerator.GetBytes(3000);
        var (_, broken) = await media.UploadAsync(fake, "image/png");
        r = await media.GetAsync(Thumb(server, broken, 32, 32, "crop"));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
        var d = await media.GetAsync(Download(server, broken));
        Assert.Equal(fake, d.Body);
    }

    [Theory]
    [InlineData("?height=32", "M_MISSING_PARAM")]
    [InlineData("?width=32", "M_MISSING_PARAM")]
    [InlineData("?width=abc&height=32", "M_INVALID_PARAM")]
    [InlineData("?width=-5&height=32", "M_INVALID_PARAM")]
    [InlineData("?width=32&height=32&timeout_ms=x", "M_INVALID_PARAM")]
    public async Task Thumbnail_BadParameters_Returns400(string query, string errcode)
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, id) = await media.UploadAsync(MediaClient.Image(100, 100), "image/png");
        var r = await media.GetAsync($"/_matrix/client/v1/media/thumbnail/{server}/{id}{query}");
        Assert.Equal(400, r.Status);
        Assert.Equal(errcode, r.ErrCode);
    }

    [Fact]
    public async Task UnknownMedia_Returns404NotFound()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        foreach (var path in new[]
        {
            Download("localhost", "doesNotExist123"),
            Download("localhost", "doesNotExist123", authenticated: false),
            Download("localhost", "bad.id"),
            Download("other.example", "abcdefgh"),
            Thumb("localhost", "doesNotExist123", 32, 32, "crop"),
            Thumb("other.example", "abcdefgh", 32, 32, "crop"),
        })
        {
            var r = await media.GetAsync(path);
            Assert.True(r.Status == 404 && r.ErrCode == "M_NOT_FOUND", $"{path}: {r.Status} {r.ErrCode}");
        }
        var badServer = await media.GetAsync(Download("bad_server!", "abcdefgh"));
        Assert.Equal(400, badServer.Status);
    }

    [Fact]
    public async Task CreateThenUpload_Flow_AndItsErrors()
    {
        var (user, media) = await NewUserAsync();
        var (other, otherMedia) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        using var ___ = other;
        using var ____ = otherMedia;

        var created = await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create", new StringContent("{}"));
        Assert.Equal(200, created.Status);
        var (server, id) = MediaClient.Split(created.Json["content_uri"]!.GetValue<string>());
        var expires = created.Json["unused_expires_at"]!.GetValue<long>();
        var dayFromNow = DateTimeOffset.UtcNow.AddHours(24).ToUnixTimeMilliseconds();
        Assert.InRange(expires, dayFromNow - 60_000, dayFromNow + 60_000);

        // Not uploaded yet: a download waits timeout_ms, then 504.
        var clock = Stopwatch.StartNew();
        var early = await media.GetAsync(Download(server, id) + "?timeout_ms=600");
        Assert.Equal(504, early.Status);
        Assert.Equal("M_NOT_YET_UPLOADED", early.ErrCode);
        Assert.True(clock.ElapsedMilliseconds >= 500, $"answered after {clock.ElapsedMilliseconds} ms");

        var path = $"/_matrix/media/v3/upload/{server}/{id}?filename=late.txt";
        var byOther = await otherMedia.SendAsync(HttpMethod.Put, path, MediaClient.Bytes("x"u8.ToArray(), "text/plain"));
        Assert.Equal(403, byOther.Status);
        Assert.Equal("M_FORBIDDEN", byOther.ErrCode);

        // A download waiting when the content arrives gets it.
        var waiting = media.GetAsync(Download(server, id) + "?timeout_ms=20000");
        await Task.Delay(300);
        var put = await media.SendAsync(HttpMethod.Put, path, MediaClient.Bytes("late content"u8.ToArray(), "text/plain"));
        Assert.Equal(200, put.Status);
        Assert.Equal("{}", Encoding.UTF8.GetString(put.Body));
        var waited = await waiting;
        Assert.Equal(200, waited.Status);
        Assert.Equal("late content", Encoding.UTF8.GetString(waited.Body));
        Assert.Equal("inline; filename=late.txt", waited.Disposition);

        var again = await media.SendAsync(HttpMethod.Put, path, MediaClient.Bytes("again"u8.ToArray(), "text/plain"));
        Assert.Equal(409, again.Status);
        Assert.Equal("M_CANNOT_OVERWRITE_MEDIA", again.ErrCode);
        Assert.Equal("late content", Encoding.UTF8.GetString((await media.GetAsync(Download(server, id))).Body));

        var unknown = await media.SendAsync(HttpMethod.Put, $"/_matrix/media/v3/upload/{server}/neverCreated123", MediaClient.Bytes([1], "text/plain"));
        Assert.Equal(404, unknown.Status);
        Assert.Equal("M_NOT_FOUND", unknown.ErrCode);
        var remote = await media.SendAsync(HttpMethod.Put, $"/_matrix/media/v3/upload/other.example/{id}", MediaClient.Bytes([1], "text/plain"));
        Assert.Equal(404, remote.Status);
        Assert.Equal("M_NOT_FOUND", remote.ErrCode);
    }

    [Fact]
    public async Task Create_PastThePendingLimit_Returns429()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        for (var i = 0; i < 5; i++)
            Assert.Equal(200, (await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create")).Status);
        var sixth = await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create");
        Assert.Equal(429, sixth.Status);
        Assert.Equal("M_LIMIT_EXCEEDED", sixth.ErrCode);
        Assert.True(sixth.Json["retry_after_ms"]!.GetValue<long>() > 0);
    }

    [Fact]
    public async Task AuthenticatedEndpoints_RequireAToken_LegacyDownloadsDoNot()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (server, id) = await media.UploadAsync(MediaClient.Image(64, 64), "image/png");

        foreach (var path in new[]
        {
            "/_matrix/client/v1/media/config", Download(server, id), Download(server, id) + "/a.png",
            Thumb(server, id, 32, 32, "crop"), "/_matrix/client/v1/media/preview_url?url=https://example.org",
            "/_matrix/media/v3/config", "/_matrix/media/v3/preview_url?url=https://example.org",
        })
        {
            var r = await media.GetAsync(path, auth: false);
            Assert.True(r.Status == 401 && r.ErrCode == "M_MISSING_TOKEN", $"{path}: {r.Status} {r.ErrCode}");
        }
        Assert.Equal(401, (await media.UploadRawAsync([1], "text/plain", auth: false)).Status);
        Assert.Equal(401, (await media.SendAsync(HttpMethod.Post, "/_matrix/media/v1/create", auth: false)).Status);

        Assert.Equal(200, (await media.GetAsync(Download(server, id, authenticated: false), auth: false)).Status);
        Assert.Equal(200, (await media.GetAsync(Thumb(server, id, 32, 32, "crop", authenticated: false), auth: false)).Status);
        Assert.Equal(200, (await media.GetAsync($"/_matrix/media/r0/download/{server}/{id}", auth: false)).Status);
    }

    [Fact]
    public async Task Config_AnnouncesTheUploadLimit_AndPreviewsAreOff()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        foreach (var path in new[] { "/_matrix/client/v1/media/config", "/_matrix/media/v3/config" })
        {
            var r = await media.GetAsync(path);
            Assert.Equal(200, r.Status);
            Assert.Equal(50L * 1024 * 1024, r.Json["m.upload.size"]!.GetValue<long>());
        }
        var preview = await media.GetAsync("/_matrix/client/v1/media/preview_url?url=https://example.org");
        Assert.Equal(400, preview.Status);
        Assert.Equal("M_UNRECOGNIZED", preview.ErrCode);
    }
}
