using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Myelin.Silo.Configuration;
using Myelin.Silo.Hosting;
using Orleans.Dashboard;

namespace Myelin.Silo.Monitoring;

/// <summary>
/// The operator's side of every process: Prometheus metrics on its <c>metrics</c> listeners, liveness and
/// readiness on every listener, and the Orleans dashboard when <c>orleans.dashboard.enabled</c>. One Kestrel
/// serves them all; which port a request came in on decides what answers it, so the metrics port serves
/// no client API and the client port serves no metrics.
/// </summary>
public static class MonitoringHosting
{
    public const string HealthPath = "/health";
    public const string LivePath = "/_myelin/health/live";
    public const string ReadyPath = "/_myelin/health/ready";
    static readonly string[] MetricsPaths = ["/metrics", "/_synapse/metrics"];

    /// <summary>Marks the dashboard's endpoints: they answer on the dashboard's port only.</summary>
    sealed class DashboardEndpoint;

    public static bool HasMetricsListener(this HomeserverOptions options) => options.Listeners.Any(l => l.Type == "metrics");

    /// <summary>Whether a process without a client listener (the plain silo) needs HTTP at all.</summary>
    public static bool ServesMonitoringHttp(this HomeserverOptions options) => options.HasMetricsListener() || options.Dashboard.Enabled;

    /// <summary>The plain silo's host: a web host serving only its metrics listeners and dashboard when it has
    /// any, else a host without HTTP. Its content root is the program's directory (as the gateway's): the host
    /// watches the content root for configuration changes, and the working directory holds the data.</summary>
    public static IHostApplicationBuilder CreatePlainSiloBuilder(HomeserverOptions options)
    {
        IHostApplicationBuilder builder = options.ServesMonitoringHttp()
            ? WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory })
            : Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddMyelinLogFilters();
        return builder;
    }

    /// <summary>Builds what <see cref="CreatePlainSiloBuilder"/> made, with the monitoring pipeline when it is a web host.</summary>
    public static IHost BuildPlainSilo(this IHostApplicationBuilder builder, HomeserverOptions options)
    {
        if (builder is not WebApplicationBuilder web) return ((HostApplicationBuilder)builder).Build();
        web.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.ListenMyelinMonitoring(options);
        });
        var app = web.Build();
        app.UseMyelinMonitoring();
        app.MapMyelinDashboard();
        return app;
    }

    /// <summary>Readiness always (the client listener serves it); the metrics only with a metrics listener.
    /// The meters listener starts here, before any grain activates.</summary>
    public static void AddMyelinMonitoring(this IServiceCollection services, HomeserverOptions options)
    {
        services.AddSingleton<Readiness>();
        if (!options.HasMetricsListener()) return;
        services.AddSingleton(new RuntimeMeters());
        services.AddSingleton<MyelinMetrics>();
    }

    /// <summary>The Orleans dashboard's grain services on this silo, when enabled.</summary>
    public static void AddMyelinDashboard(this ISiloBuilder silo, HomeserverOptions options)
    {
        if (options.Dashboard.Enabled) silo.AddDashboard();
    }

    /// <summary>Kestrel endpoints for the metrics listeners and the dashboard.</summary>
    public static void ListenMyelinMonitoring(this KestrelServerOptions k, HomeserverOptions options)
    {
        foreach (var l in options.Listeners.Where(l => l.Type == "metrics"))
            foreach (var addr in l.BindAddresses)
                k.Listen(Bind(addr), l.Port, o => o.Protocols = HttpProtocols.Http1);
        if (options.Dashboard.Enabled)
            k.Listen(options.Dashboard.BindAddress, options.Dashboard.Port, o => o.Protocols = HttpProtocols.Http1);
    }

    static IPAddress Bind(string addr) =>
        addr is "*" or "0.0.0.0" ? IPAddress.Any : addr is "::" ? IPAddress.IPv6Any : IPAddress.Parse(addr);

    /// <summary>First in the pipeline (after routing has picked the endpoint): sorts requests by the port they
    /// came in on, answers health and metrics, and times the rest.</summary>
    public static void UseMyelinMonitoring(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<HomeserverOptions>();
        var metricsPorts = options.Listeners.Where(l => l.Type == "metrics").Select(l => l.Port).ToHashSet();
        var dashboardPort = options.Dashboard.Enabled ? options.Dashboard.Port : -1;
        var readiness = app.Services.GetRequiredService<Readiness>();
        var metrics = app.Services.GetService<MyelinMetrics>();

        app.Use(async (ctx, next) =>
        {
            var port = ctx.Connection.LocalPort;
            if (metricsPorts.Contains(port))
            {
                if (!await TryHealthAsync(ctx, readiness) && !await TryMetricsAsync(ctx, metrics!))
                    await PlainAsync(ctx, 404, "Not found");
                return;
            }
            var dashboardEndpoint = ctx.GetEndpoint()?.Metadata.GetMetadata<DashboardEndpoint>() is not null;
            if (port == dashboardPort)
            {
                if (dashboardEndpoint) await next(ctx);
                else await PlainAsync(ctx, 404, "Not found");
                return;
            }
            if (await TryHealthAsync(ctx, readiness)) return;
            if (dashboardEndpoint)
            {
                // Only the fallback would have matched here without the dashboard: answer as it does.
                ctx.Response.StatusCode = 404;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("""{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}""");
                return;
            }
            if (metrics is null) await next(ctx);
            else await metrics.TimeRequestAsync(ctx, next);
        });
    }

    /// <summary>The dashboard at the root of its own port.</summary>
    public static void MapMyelinDashboard(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<HomeserverOptions>();
        if (!options.Dashboard.Enabled) return;
        app.MapOrleansDashboard().WithMetadata(new DashboardEndpoint()).ExcludeFromDescription();
    }

    /// <summary><c>/health</c> (Synapse's: 200 "OK" while the process runs), <c>/_myelin/health/live</c>
    /// (the same), <c>/_myelin/health/ready</c> (200 once ready, else 503, with what is not).</summary>
    static async Task<bool> TryHealthAsync(HttpContext ctx, Readiness readiness)
    {
        var path = ctx.Request.Path.Value;
        if (path is not (HealthPath or LivePath or ReadyPath)) return false;
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method)) return false;
        if (path is HealthPath or LivePath)
        {
            await PlainAsync(ctx, 200, "OK");
            return true;
        }
        var report = await readiness.CheckAsync();
        ctx.Response.StatusCode = report.Ready ? 200 : 503;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["ready"] = report.Ready,
            ["silo"] = report.Silo,
            ["database"] = report.Database,
        }));
        return true;
    }

    static async Task<bool> TryMetricsAsync(HttpContext ctx, MyelinMetrics metrics)
    {
        if (!MetricsPaths.Contains(ctx.Request.Path.Value) || !HttpMethods.IsGet(ctx.Request.Method)) return false;
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted);
        return true;
    }

    static Task PlainAsync(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(text);
    }
}
