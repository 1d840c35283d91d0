using Microsoft.Extensions.Hosting;
using Myelin.Silo.Configuration;
using Myelin.Silo.Hosting;

// A silo process without HTTP: hosts grains for the gateways of its cluster.
try
{
    var options = MyelinSiloHosting.LoadOptions(args);
    var builder = Host.CreateApplicationBuilder(args);
    await builder.Services.AddMyelinCoreAsync(options);
    builder.UseOrleans(silo => silo.ConfigureMyelinSilo(options));
    await builder.Build().RunAsync();
    return 0;
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"Configuration error: {e.Message}");
    return 2;
}
