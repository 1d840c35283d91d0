using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Myelin.Gateway.Endpoints.Admin;
using Myelin.Gateway.Http;
using Myelin.Gateway.Routing;
using Myelin.Silo.Configuration;
using Myelin.Silo.Hosting;
using Myelin.Silo.Monitoring;

namespace Myelin.Gateway;

public static class GatewayHosting
{
    /// <summary>Kestrel on every <c>http</c> listener of the config (Synapse's <c>listeners</c>).</summary>
    public static void ConfigureMyelinListeners(this WebApplicationBuilder builder, HomeserverOptions options)
    {
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = Math.Max(options.MaxRequestBodySize, 1024 * 1024) + 1024;
            foreach (var l in options.Listeners.Where(l => l.Type == "http"))
                foreach (var addr in l.BindAddresses)
                {
                    var ip = addr is "*" or "0.0.0.0" ? IPAddress.Any : addr is "::" ? IPAddress.IPv6Any : IPAddress.Parse(addr);
                    k.Listen(ip, l.Port, o => o.Protocols = HttpProtocols.Http1AndHttp2);
                }
            k.ListenMyelinMonitoring(options);
        });
        builder.Logging.AddMyelinLogFilters();
    }

    public static IServiceCollection AddMyelinGateway(this IServiceCollection services)
    {
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<SyncNotifier>();
        services.AddSingleton<LastSyncs>();
        services.AddSingleton<IMetricsSource, SyncNotifierMetrics>();
        services.AddSingleton<UserActivity>();
        services.AddSingleton<UserInteractiveAuth>();
        services.AddMyelinAdmin();
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Myelin client-server API";
            doc.Info.Description = "The Matrix client-server endpoints this homeserver implements (spec v1.19).";
            return Task.CompletedTask;
        }).AddMatrixErrors());
        return services;
    }

    public static void UseMyelinGateway(this WebApplication app)
    {
        app.UseMiddleware<MatrixErrorMiddleware>();
        app.Use(async (ctx, next) =>
        {
            CorsHeaders.Apply(ctx);
            if (HttpMethods.IsOptions(ctx.Request.Method))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("{}");
                return;
            }
            await next(ctx);
            if (ctx.Response.StatusCode == 405 && !ctx.Response.HasStarted)
                await MatrixErrorMiddleware.WriteAsync(ctx, 405, "M_UNRECOGNIZED", "Unrecognized request");
        });
    }

    /// <summary>Anything no endpoint serves: 404 M_UNRECOGNIZED (405 when the path exists with another method).</summary>
    public static void MapFallbackToUnrecognized(this WebApplication app)
    {
        // "{*path}", not the default "{*path:nonfile}": paths ending in a dotted segment (m.direct) are API paths too.
        app.MapFallback("{*path}", (HttpContext ctx) =>
            MatrixErrorMiddleware.WriteAsync(ctx, 404, "M_UNRECOGNIZED", "Unrecognized request"));
    }
}
