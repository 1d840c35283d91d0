using Microsoft.Extensions.Logging;

namespace Myelin.Silo.Hosting;

public static class LogFilters
{
    /// <summary>
    /// Framework logs at the levels an operator wants: Orleans, ASP.NET Core and Polly (which logs every
    /// grain placement at Information) from Warning up. ASP.NET Core's hosting diagnostics are off: with
    /// its logger enabled at any level, hosting starts an <see cref="System.Diagnostics.Activity"/> for
    /// every request, and it logs nothing above Information that Kestrel does not log too.
    /// </summary>
    public static ILoggingBuilder AddMyelinLogFilters(this ILoggingBuilder logging) => logging
        .AddFilter("Orleans", LogLevel.Warning)
        .AddFilter("Polly", LogLevel.Warning)
        .AddFilter("Microsoft.AspNetCore", LogLevel.Warning)
        .AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
}
