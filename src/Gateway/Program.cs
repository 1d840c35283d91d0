using Myelin.Gateway;
using Myelin.Gateway.Commands;
using Myelin.Gateway.Endpoints;
using Myelin.Gateway.Routing;
using Myelin.Silo.Configuration;
using Myelin.Silo.Hosting;
using Myelin.Silo.Monitoring;

// The gateway silo: the client-server HTTP API co-hosted with an Orleans silo. Alone, with no
// configuration, it is the whole homeserver in one process on http://127.0.0.1:8008.
if (RoutesCommand.IsInvoked(args))
    return RoutesCommand.Run(args, Console.Out, Console.Error);
if (RegisterNewMatrixUserCommand.IsInvoked(args))
    return await RegisterNewMatrixUserCommand.RunAsync(args, Console.Out, Console.Error, Console.In, !Console.IsInputRedirected);

HomeserverOptions options;
try
{
    options = MyelinSiloHosting.LoadOptions(args, GatewayDefaults.Yaml);
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 2;
}

// The content root is the program's own directory, not the working directory: the host watches its content
// root (with subdirectories) for configuration changes, and the working directory usually holds ./data,
// whose SQLite WAL then woke that watcher on every write.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = FilterArgs(args), ContentRootPath = AppContext.BaseDirectory });
builder.ConfigureMyelinListeners(options);
await builder.Services.AddMyelinCoreAsync(options);
builder.Services.AddMyelinGateway();
builder.Services.AddMyelinMonitoring(options);
builder.UseOrleans(silo =>
{
    silo.ConfigureMyelinSilo(options);
    silo.AddMyelinDashboard(options);
});

var app = builder.Build();
app.UseMyelinMonitoring();
app.UseMyelinGateway();
app.MapClientApi();
app.MapOpenApi("/_myelin/openapi/{documentName}.json");
app.MapMyelinDashboard();
app.MapFallbackToUnrecognized();

await app.RunAsync();
return 0;

// ASP.NET's own command-line configuration would trip over --config-path; it is ours.
static string[] FilterArgs(string[] args)
{
    var rest = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        if (args[i] is "--config-path" or "-c") { i++; continue; }
        if (args[i].StartsWith("--config-path=", StringComparison.Ordinal)) continue;
        rest.Add(args[i]);
    }
    return rest.ToArray();
}

public partial class Program;
