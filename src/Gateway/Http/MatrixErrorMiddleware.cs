using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Grains;

namespace Myelin.Gateway.Http;

/// <summary>
/// The one place failures become responses: a <see cref="MatrixException"/> becomes its status and
/// <c>{"errcode","error"}</c>; anything else is logged and answered <c>500 M_UNKNOWN</c> without a trace.
/// </summary>
public sealed class MatrixErrorMiddleware(RequestDelegate next, ILogger<MatrixErrorMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx);
        }
        catch (MatrixException e)
        {
            await WriteAsync(ctx, e.Status, e.ErrCode, e.Error, e.ExtraJson);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(ctx, 413, "M_TOO_LARGE", "Request body too large");
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(ctx, e.StatusCode, "M_UNKNOWN", "Bad request");
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e)
        {
            log.LogError(e, "Unhandled error for {Method} {Path}", ctx.Request.Method, ctx.Request.Path);
            await WriteAsync(ctx, 500, "M_UNKNOWN", "Internal server error");
        }
    }

    public static async Task WriteAsync(HttpContext ctx, int status, string errcode, string error, string? extraJson = null)
    {
        if (ctx.Response.HasStarted) return;
        ctx.Response.Clear();
        CorsHeaders.Apply(ctx);
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        // A user-interactive auth challenge is a 401 carrying only flows and session: no errcode.
        var body = errcode.Length == 0 ? new JsonObject() : new JsonObject { ["errcode"] = errcode, ["error"] = error };
        if (extraJson is not null && JsonNode.Parse(extraJson) is JsonObject extra)
            foreach (var (k, v) in extra) body[k] = v?.DeepClone();
        await ctx.Response.WriteAsync(body.ToJsonString());
    }
}

/// <summary>Synapse answers every client API request with permissive CORS headers so web clients work.</summary>
public static class CorsHeaders
{
    public static void Apply(HttpContext ctx)
    {
        var h = ctx.Response.Headers;
        h["Access-Control-Allow-Origin"] = "*";
        h["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
        h["Access-Control-Allow-Headers"] = "X-Requested-With, Content-Type, Authorization, Date";
        h["Access-Control-Expose-Headers"] = "ETag";
    }
}
