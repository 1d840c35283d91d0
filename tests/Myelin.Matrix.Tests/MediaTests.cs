using System.Text.Json;

namespace Myelin.Matrix.Tests;

public sealed class MediaTests
{
    [Theory]
    [InlineData("abcDEF123_-", true)]
    [InlineData("a", true)]
    [InlineData("", false)]
    [InlineData("../etc/passwd", false)]
    [InlineData("a.b", false)]
    [InlineData("a/b", false)]
    [InlineData("a%2Fb", false)]
    [InlineData("é", false)]
    public void MediaId_Validity_FollowsTheSpecAlphabet(string id, bool valid) =>
        Assert.Equal(valid, MediaIds.IsValid(id));

    [Fact]
    public void Generate_IsValidAndRandom()
    {
        var a = MediaIds.Generate();
        Assert.True(MediaIds.IsValid(a));
        Assert.Equal(MediaIds.Length, a.Length);
        Assert.NotEqual(a, MediaIds.Generate());
    }

    [Theory]
    [InlineData("mxc://example.org/abc", "example.org", "abc")]
    [InlineData("mxc://localhost:8448/A_b-1", "localhost:8448", "A_b-1")]
    public void ParseMxc_Valid(string uri, string server, string id) =>
        Assert.Equal((server, id), MediaIds.ParseMxc(uri));

    [Theory]
    [InlineData("https://example.org/abc")]
    [InlineData("mxc://example.org/")]
    [InlineData("mxc:///abc")]
    [InlineData("mxc://example.org/a/b")]
    [InlineData("mxc://bad_server!/abc")]
    [InlineData(null)]
    public void ParseMxc_Invalid_IsNull(string? uri) => Assert.Null(MediaIds.ParseMxc(uri));

    [Fact]
    public void ReferencedBy_UrlAndThumbnailUrl_OnlyMxcStrings()
    {
        using var doc = JsonDocument.Parse("""
            {"url":"mxc://a/b","info":{"thumbnail_url":"mxc://a/c"},"other":"mxc://a/d"}
            """);
        Assert.Equal(["mxc://a/b", "mxc://a/c"], MediaIds.ReferencedBy(doc.RootElement));
        using var none = JsonDocument.Parse("""{"url":5,"info":{"thumbnail_url":"https://x"}}""");
        Assert.Empty(MediaIds.ReferencedBy(none.RootElement));
    }

    [Theory]
    [InlineData("image/png", null, "inline")]
    [InlineData("image/PNG; foo=bar", "a.png", "inline; filename=a.png")]
    [InlineData("text/plain; charset=utf-16", "notes.txt", "inline; filename=notes.txt")]
    [InlineData("text/html", "x.html", "attachment; filename=x.html")]
    [InlineData("image/svg+xml", "x.svg", "attachment; filename=x.svg")]
    [InlineData("application/octet-stream", "", "attachment")]
    [InlineData("application/pdf", "War and Peace.pdf", "attachment; filename*=utf-8''War%20and%20Peace.pdf")]
    [InlineData("image/jpeg", "café.jpg", "inline; filename*=utf-8''caf%C3%A9.jpg")]
    [InlineData("image/jpeg", "a;b=\"c\".jpg", "inline; filename*=utf-8''a%3Bb%3D%22c%22.jpg")]
    public void ContentDisposition_InlineOnlyForSafeTypes_FileNameAsTokenOrRfc5987(string type, string? name, string expected) =>
        Assert.Equal(expected, MediaHeaders.ContentDisposition(type, name));

    [Theory]
    [InlineData("text/plain", "text/plain; charset=UTF-8")]
    [InlineData("application/json", "application/json; charset=UTF-8")]
    [InlineData("text/plain; charset=utf-16", "text/plain; charset=utf-16")]
    [InlineData("image/png", "image/png")]
    public void ContentType_AddsUtf8ToBareTextTypes(string type, string expected) =>
        Assert.Equal(expected, MediaHeaders.ContentType(type));

    [Theory]
    [InlineData("image/png", true)]
    [InlineData("application/vnd.oasis.opendocument.text; charset=x", true)]
    [InlineData("nothing", false)]
    [InlineData("a/b/c", false)]
    [InlineData("/png", false)]
    [InlineData("text/plain\r\nX-Evil: 1", false)]
    [InlineData("imagé/png", false)]
    [InlineData("", false)]
    public void IsValidMediaType(string type, bool valid) => Assert.Equal(valid, MediaHeaders.IsValidMediaType(type));

    [Theory]
    [InlineData("image/jpeg", "image/jpeg")]
    [InlineData("image/webp", "image/jpeg")]
    [InlineData("image/png", "image/png")]
    [InlineData("image/gif; x=y", "image/png")]
    [InlineData("image/svg+xml", null)]
    [InlineData("video/mp4", null)]
    public void ThumbnailTypeFor_FollowsSynapse(string type, string? expected) => Assert.Equal(expected, Thumbnails.ThumbnailTypeFor(type));

    [Fact]
    public void Plan_LargeImage_CropsExact_ScalesKeepAspect()
    {
        var plan = Thumbnails.Plan(1000, 800, "image/png", Thumbnails.DefaultSizes);
        Assert.Equal(
        [
            new ThumbnailPlan(32, 32, "crop", "image/png"), new ThumbnailPlan(96, 96, "crop", "image/png"),
            new ThumbnailPlan(300, 240, "scale", "image/png"), new ThumbnailPlan(600, 480, "scale", "image/png"),
            new ThumbnailPlan(750, 600, "scale", "image/png"),
        ], plan);
    }

    [Fact]
    public void Plan_SmallImage_NeverUpscales_AndMakesEachSizeOnce()
    {
        var plan = Thumbnails.Plan(20, 10, "image/png", Thumbnails.DefaultSizes);
        Assert.All(plan, p => Assert.True(p.Width <= 20 && p.Height <= 10));
        Assert.Equal([new ThumbnailPlan(10, 10, "crop", "image/png"), new ThumbnailPlan(20, 10, "scale", "image/png")], plan);
    }

    [Fact]
    public void Plan_WideImage_ScaleLimitedByWidth()
    {
        var plan = Thumbnails.Plan(2000, 100, "image/jpeg", [new ThumbnailSize(320, 240, "scale"), new ThumbnailSize(96, 96, "crop")]);
        Assert.Equal([new ThumbnailPlan(320, 16, "scale", "image/jpeg"), new ThumbnailPlan(96, 96, "crop", "image/jpeg")], plan);
    }

    [Fact]
    public void Aspect_NeverBelowOnePixel() => Assert.Equal((320, 1), Thumbnails.Aspect(100_000, 10, 320, 240));

    static readonly IReadOnlyList<ThumbnailInfo> Made =
    [
        new(32, 32, "crop", "image/png", 100), new(96, 96, "crop", "image/png", 400),
        new(300, 240, "scale", "image/png", 900), new(600, 480, "scale", "image/png", 2000), new(750, 600, "scale", "image/png", 3000),
    ];

    [Theory]
    [InlineData(32, 32, "crop", 32, 32)]
    [InlineData(96, 96, "crop", 96, 96)]
    [InlineData(50, 50, "crop", 96, 96)]    // the smallest crop at least as big
    [InlineData(500, 500, "crop", 96, 96)]  // none big enough: the closest
    [InlineData(320, 240, "scale", 300, 240)]
    [InlineData(400, 300, "scale", 600, 480)]
    [InlineData(640, 480, "scale", 600, 480)]
    [InlineData(800, 600, "scale", 750, 600)]
    [InlineData(2000, 2000, "scale", 750, 600)]
    [InlineData(10, 10, "scale", 300, 240)]
    public void Select_PicksSynapsesChoice(int w, int h, string method, int ew, int eh)
    {
        var t = Thumbnails.Select(w, h, method, "image/png", Made);
        Assert.NotNull(t);
        Assert.Equal((ew, eh, method), (t.Width, t.Height, t.Method));
    }

    [Fact]
    public void Select_UnknownMethodOrNoneOfTheMethod_IsNull()
    {
        Assert.Null(Thumbnails.Select(32, 32, "fit", "image/png", Made));
        Assert.Null(Thumbnails.Select(32, 32, "scale", "image/png", [new(32, 32, "crop", "image/png", 1)]));
    }

    [Fact]
    public void Select_PrefersTheDesiredType_ThenTheSmallerFile()
    {
        IReadOnlyList<ThumbnailInfo> both = [new(96, 96, "crop", "image/jpeg", 10), new(96, 96, "crop", "image/png", 50), new(96, 96, "crop", "image/png", 40)];
        Assert.Equal(new ThumbnailInfo(96, 96, "crop", "image/png", 40), Thumbnails.Select(96, 96, "crop", "image/png", both));
    }
}
