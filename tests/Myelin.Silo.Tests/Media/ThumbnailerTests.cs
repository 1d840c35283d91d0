using Myelin.Matrix;
using Myelin.Silo.Media;
using SkiaSharp;

namespace Myelin.Silo.Tests.Media;

public sealed class ThumbnailerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-thumbs-").FullName;

    /// <summary>Left half red, right half blue: what survives scaling and cropping is checkable.</summary>
    string Write(int width, int height, SKEncodedImageFormat format)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Red);
            using var blue = new SKPaint { Color = SKColors.Blue };
            canvas.DrawRect(width / 2f, 0, width / 2f, height, blue);
        }
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        using var data = bitmap.Encode(format, 90);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    static SKBitmap Decode(byte[] bytes) => SKBitmap.Decode(bytes) ?? throw new InvalidOperationException("not an image");

    [Fact]
    public void Render_LargeJpeg_DecodedReduced_MakesEveryPlannedSizeWithTheRightPixels()
    {
        var path = Write(4000, 3000, SKEncodedImageFormat.Jpeg);

        var thumbs = Thumbnailer.Render(path, "image/jpeg", Thumbnails.DefaultSizes, 32L << 20);

        Assert.Equal(Thumbnails.Plan(4000, 3000, "image/jpeg", Thumbnails.DefaultSizes), thumbs.Select(t => t.Plan));
        foreach (var t in thumbs)
        {
            using var bmp = Decode(t.Bytes);
            Assert.Equal((t.Plan.Width, t.Plan.Height), (bmp.Width, bmp.Height));
            var left = bmp.GetPixel(bmp.Width / 8, bmp.Height / 2);
            var right = bmp.GetPixel(bmp.Width * 7 / 8, bmp.Height / 2);
            Assert.True(left.Red > 200 && left.Blue < 60, $"{t.Plan}: left is {left}");
            Assert.True(right.Blue > 200 && right.Red < 60, $"{t.Plan}: right is {right}");
        }
    }

    [Fact]
    public void Render_Png_GivesPngs()
    {
        var thumbs = Thumbnailer.Render(Write(500, 400, SKEncodedImageFormat.Png), "image/png", [new ThumbnailSize(50, 50, "crop")], 32L << 20);
        var t = Assert.Single(thumbs);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, t.Bytes[..4]);
        using var bmp = Decode(t.Bytes);
        Assert.Equal((50, 50), (bmp.Width, bmp.Height));
    }

    [Fact]
    public void Render_OverMaxImagePixels_OrNotAnImage_MakesNone()
    {
        Assert.Empty(Thumbnailer.Render(Write(300, 300, SKEncodedImageFormat.Png), "image/png", Thumbnails.DefaultSizes, 300 * 300));
        var text = Path.Combine(_dir, "text");
        File.WriteAllText(text, "not an image at all");
        Assert.Empty(Thumbnailer.Render(text, "image/png", Thumbnails.DefaultSizes, 32L << 20));
        Assert.Null(Thumbnailer.Probe(text));
        Assert.Equal((300, 200), Thumbnailer.Probe(Write(300, 200, SKEncodedImageFormat.Jpeg)));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
