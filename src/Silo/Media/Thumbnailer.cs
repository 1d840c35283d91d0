using Myelin.Matrix;
using SkiaSharp;

namespace Myelin.Silo.Media;

/// <summary>One thumbnail made: its plan and its encoded bytes.</summary>
public sealed record RenderedThumbnail(ThumbnailPlan Plan, byte[] Bytes);

/// <summary>
/// Makes thumbnails with Skia (SkiaSharp). Only JPEG, PNG, WebP and GIF are ever decoded, whatever the
/// upload claims to be (Synapse's rule: each decoder is attack surface); the EXIF orientation of a photo is
/// applied first; images over <c>max_image_pixels</c> are not decoded at all; a large photo is decoded
/// reduced (JPEG's DCT scaling) to no more than the largest thumbnail needs. Thumbnails never enlarge.
/// </summary>
public static class Thumbnailer
{
    // Trilinear over mipmaps: every source pixel counts towards the thumbnail, however large the reduction
    // (a plain cubic or bilinear filter reads only a few pixels per output pixel and aliases).
    static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    /// <summary>The image's size as displayed (orientation applied), or null when it is not an image we decode.</summary>
    public static (int Width, int Height)? Probe(string path)
    {
        using var codec = OpenCodec(path);
        if (codec is null) return null;
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        return SwapsSides(codec.EncodedOrigin) ? (h, w) : (w, h);
    }

    /// <summary>Renders the thumbnails the sizes call for (<see cref="Thumbnails.Plan"/>). Empty when the file
    /// is not a decodable image of a supported format, or has more than <paramref name="maxPixels"/> pixels.</summary>
    public static IReadOnlyList<RenderedThumbnail> Render(string path, string thumbnailType, IEnumerable<ThumbnailSize> sizes, long maxPixels)
    {
        using var codec = OpenCodec(path);
        if (codec is null || (long)codec.Info.Width * codec.Info.Height >= maxPixels) return [];
        var origin = codec.EncodedOrigin;
        var (width, height) = SwapsSides(origin) ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
        // Sizes come from the image as it is; the pixels need only be as large as the largest thumbnail.
        var plans = Thumbnails.Plan(width, height, thumbnailType, sizes);
        if (plans.Count == 0) return [];
        using var decoded = Decode(codec, plans.Max(p => Math.Max((double)p.Width / width, (double)p.Height / height)));
        if (decoded is null) return [];
        using var image = Orient(decoded, origin);
        var result = new List<RenderedThumbnail>();
        foreach (var plan in plans)
        {
            var bytes = plan.Method == Thumbnails.Crop ? Crop(image, plan) : Scale(image, plan);
            if (bytes is not null) result.Add(new RenderedThumbnail(plan, bytes));
        }
        return result;
    }

    /// <summary>Decodes at the smallest size the codec offers (JPEG's 1/2, 1/4, 1/8) that still has at least
    /// <paramref name="scale"/> of the pixels each way: a 12-megapixel photo is not decoded whole for an 800x600
    /// thumbnail.</summary>
    static SKBitmap? Decode(SKCodec codec, double scale)
    {
        var full = codec.Info;
        var size = full.Size;
        if (scale < 1)
        {
            var scaled = codec.GetScaledDimensions((float)scale);
            if (scaled.Width >= Math.Ceiling(full.Width * scale) && scaled.Height >= Math.Ceiling(full.Height * scale)
                && scaled.Width > 0 && scaled.Height > 0)
                size = scaled;
        }
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var decoded = codec.GetPixels(info, bitmap.GetPixels());
        if (decoded is SKCodecResult.Success or SKCodecResult.IncompleteInput) return bitmap;
        bitmap.Dispose();
        return null;
    }

    static SKCodec? OpenCodec(string path)
    {
        var codec = SKCodec.Create(path);
        if (codec is null) return null;
        if (codec.EncodedFormat is SKEncodedImageFormat.Jpeg or SKEncodedImageFormat.Png or SKEncodedImageFormat.Webp or SKEncodedImageFormat.Gif
            && codec.Info.Width > 0 && codec.Info.Height > 0)
            return codec;
        codec.Dispose();
        return null;
    }

    static byte[]? Scale(SKImage image, ThumbnailPlan plan) =>
        Draw(image, SKRect.Create(image.Width, image.Height), plan);

    /// <summary>The centred part of the image with the plan's aspect, scaled to the plan's size.</summary>
    static byte[]? Crop(SKImage image, ThumbnailPlan plan)
    {
        float w = image.Width, h = image.Height;
        SKRect source;
        if ((long)plan.Width * image.Height > (long)plan.Height * image.Width)
        {
            var part = w * plan.Height / plan.Width;
            source = SKRect.Create(0, (h - part) / 2, w, part);
        }
        else
        {
            var part = h * plan.Width / plan.Height;
            source = SKRect.Create((w - part) / 2, 0, part, h);
        }
        return Draw(image, source, plan);
    }

    static byte[]? Draw(SKImage image, SKRect source, ThumbnailPlan plan)
    {
        var info = new SKImageInfo(plan.Width, plan.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info);
        if (surface is null) return null;
        var jpeg = plan.Type == "image/jpeg";
        // JPEG has no alpha: transparent parts become white rather than black.
        surface.Canvas.Clear(jpeg ? SKColors.White : SKColors.Transparent);
        surface.Canvas.DrawImage(image, source, SKRect.Create(plan.Width, plan.Height), Sampling);
        using var snapshot = surface.Snapshot();
        using var data = snapshot.Encode(jpeg ? SKEncodedImageFormat.Jpeg : SKEncodedImageFormat.Png, 80);
        return data?.ToArray();
    }

    static bool SwapsSides(SKEncodedOrigin o) =>
        o is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>The bitmap as it is meant to be seen: EXIF orientation (flips and quarter turns) applied.</summary>
    static SKImage Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        float w = bitmap.Width, h = bitmap.Height;
        // Maps a source point (x, y) to where it is displayed: x' = sx*x + kx*y + tx, y' = ky*x + sy*y + ty.
        SKMatrix? m = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => null,
        };
        if (m is null)
        {
            // Immutable: the image shares the bitmap's pixels instead of copying them.
            bitmap.SetImmutable();
            return SKImage.FromBitmap(bitmap);
        }
        var (ow, oh) = SwapsSides(origin) ? (bitmap.Height, bitmap.Width) : (bitmap.Width, bitmap.Height);
        using var surface = SKSurface.Create(new SKImageInfo(ow, oh, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.SetMatrix(m.Value);
        surface.Canvas.DrawBitmap(bitmap, 0, 0);
        return surface.Snapshot();
    }
}
