using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using SkiaSharp;

namespace Myelin.Gateway.Tests.Infrastructure;

/// <summary>Raw media requests for the tests: bytes in, bytes and headers out.</summary>
public sealed class MediaClient(Uri baseUrl, string? accessToken) : IDisposable
{
    readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(90) };

    public sealed record Reply(int Status, byte[] Body, HttpResponseMessage Message)
    {
        public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
        public string? ErrCode => Status == 200 ? null : JsonNode.Parse(Body)?["errcode"]?.GetValue<string>();
        public string? ContentType => Message.Content.Headers.ContentType?.ToString();
        public string? Disposition => Message.Content.Headers.TryGetValues("Content-Disposition", out var v) ? string.Join(",", v) : null;
        public string? Header(string name) =>
            Message.Headers.TryGetValues(name, out var v) || Message.Content.Headers.TryGetValues(name, out v) ? string.Join(",", v) : null;
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, HttpContent? content = null, bool auth = true)
    {
        using var req = new HttpRequestMessage(method, path) { Content = content };
        if (auth && accessToken is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        var resp = await _http.SendAsync(req);
        return new Reply((int)resp.StatusCode, await resp.Content.ReadAsByteArrayAsync(), resp);
    }

    public static ByteArrayContent Bytes(byte[] bytes, string? contentType)
    {
        var c = new ByteArrayContent(bytes);
        if (contentType is not null) c.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return c;
    }

    public Task<Reply> UploadRawAsync(byte[] bytes, string? contentType, string? fileName = null, bool auth = true) =>
        SendAsync(HttpMethod.Post, "/_matrix/media/v3/upload" + (fileName is null ? "" : "?filename=" + Uri.EscapeDataString(fileName)),
            Bytes(bytes, contentType), auth);

    /// <summary>Uploads and returns (serverName, mediaId) of the new mxc:// URI.</summary>
    public async Task<(string Server, string MediaId)> UploadAsync(byte[] bytes, string? contentType, string? fileName = null)
    {
        var r = await UploadRawAsync(bytes, contentType, fileName);
        if (r.Status != 200) throw new InvalidOperationException($"upload failed: {r.Status} {System.Text.Encoding.UTF8.GetString(r.Body)}");
        return Split(r.Json["content_uri"]!.GetValue<string>());
    }

    public static (string Server, string MediaId) Split(string mxc)
    {
        Assert.StartsWith("mxc://", mxc);
        var rest = mxc[6..];
        var slash = rest.IndexOf('/');
        return (rest[..slash], rest[(slash + 1)..]);
    }

    public Task<Reply> GetAsync(string path, bool auth = true) => SendAsync(HttpMethod.Get, path, auth: auth);

    /// <summary>An image with a gradient (so scaling has something to do), encoded as PNG or JPEG.</summary>
    public static byte[] Image(int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(x * 255 / width), (byte)(y * 255 / height), 128));
        using var data = bitmap.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>The pixel size of an encoded image (throws when it is not one).</summary>
    public static (int Width, int Height) SizeOf(byte[] encoded)
    {
        using var codec = SKCodec.Create(new MemoryStream(encoded)) ?? throw new InvalidOperationException("not an image");
        return (codec.Info.Width, codec.Info.Height);
    }

    public void Dispose() => _http.Dispose();
}
