using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Myelin.Silo.Configuration;
using Myelin.Silo.Hosting;
using Myelin.Silo.Monitoring;

// A silo without a client API: hosts grains for the gateways of its cluster. Named in stream_writers.events it
// is an event persister: room grains live on it. Usage: Myelin.Silo --config-path shared.yaml
// --config-path worker.yaml. SIGTERM (or Ctrl+C) stops it cleanly: it leaves the cluster and hands its
// grains over before exiting. Server GC is on (Myelin.Silo.csproj). With a metrics listener (or the
// Orleans dashboard) configured it serves those over HTTP, and nothing else.
// The routing table belongs to the gateway (it lists the HTTP endpoints); a plain silo serves none.
if (args.Length > 0 && args[0] == "routes")
{
    Console.Error.WriteLine("routes: the routing table is printed by the gateway executable: dotnet Myelin.Gateway.dll routes [--format json | --nginx ...]");
    return 2;
}

HomeserverOptions options;
try
{
    options = MyelinSiloHosting.LoadOptions(args);
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 2;
}

// No args: --config-path is ours, and the host's own command-line configuration would misread it.
var builder = MonitoringHosting.CreatePlainSiloBuilder(options);
builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
await builder.Services.AddMyelinCoreAsync(options);
builder.Services.AddMyelinMonitoring(options);
builder.UseOrleans(silo =>
{
    silo.ConfigureMyelinSilo(options);
    silo.AddMyelinDashboard(options);
});

await builder.BuildPlainSilo(options).RunAsync();
return 0;
