using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Grains;

namespace Myelin.Gateway.Http;

/// <summary>Reads request bodies as JSON objects, answering M_NOT_JSON / M_BAD_JSON / M_TOO_LARGE.</summary>
public static class JsonBody
{
    public const long DefaultMaxBytes = 1024 * 1024;

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, bool allowEmpty = false)
    {
        var max = request.HttpContext.RequestServices.GetService<Myelin.Silo.Configuration.HomeserverOptions>()?.MaxRequestBodySize
            ?? DefaultMaxBytes;
        if (request.ContentLength > max) throw new MatrixException(413, "M_TOO_LARGE", "Request body too large");
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > max) throw new MatrixException(413, "M_TOO_LARGE", "Request body too large");
        }
        if (buffer.Length == 0 || IsWhitespace(buffer))
        {
            if (allowEmpty) return new JsonObject();
            throw new MatrixException(400, "M_NOT_JSON", "Content not JSON.");
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = 100 });
        }
        catch (JsonException)
        {
            throw new MatrixException(400, "M_NOT_JSON", "Content not JSON.");
        }
        return node as JsonObject ?? throw MatrixException.BadJson("Content must be a JSON object.");
    }

    static bool IsWhitespace(MemoryStream s)
    {
        foreach (var b in s.GetBuffer().AsSpan(0, (int)s.Length))
            if (b is not ((byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')) return false;
        return true;
    }

    // Typed accessors that answer M_BAD_JSON naming the field on a wrong type.
    public static string? OptString(this JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw MatrixException.BadJson($"'{key}' must be a string"),
    };

    public static string ReqString(this JsonObject o, string key) =>
        o.OptString(key) ?? throw MatrixException.MissingParam($"Missing '{key}'");

    public static bool? OptBool(this JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        _ => throw MatrixException.BadJson($"'{key}' must be a boolean"),
    };

    public static long? OptLong(this JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l) => l,
        _ => throw MatrixException.BadJson($"'{key}' must be an integer"),
    };

    public static JsonObject? OptObject(this JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonObject obj => obj,
        _ => throw MatrixException.BadJson($"'{key}' must be an object"),
    };

    public static JsonArray? OptArray(this JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonArray a => a,
        _ => throw MatrixException.BadJson($"'{key}' must be an array"),
    };

    public static List<string>? OptStringList(this JsonObject o, string key) =>
        o.OptArray(key)?.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw MatrixException.BadJson($"'{key}' must be an array of strings")).ToList();

    public static IResult Json(JsonNode body, int status = 200) =>
        Results.Text(body.ToJsonString(), "application/json", System.Text.Encoding.UTF8, status);

    /// <summary>A body already serialized as UTF-8 JSON (a /sync response), written as it is: no ETag or
    /// range handling as <c>Results.Bytes</c> does for files.</summary>
    public static IResult Utf8(byte[] body) => new Utf8JsonResult(body);

    sealed class Utf8JsonResult(byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext ctx)
        {
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = body.Length;
            return ctx.Response.Body.WriteAsync(body, 0, body.Length);
        }
    }

    public static IResult Empty() => Results.Text("{}", "application/json", System.Text.Encoding.UTF8, 200);
}
