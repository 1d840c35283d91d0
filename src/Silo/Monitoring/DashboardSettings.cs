using System.Net;
using Myelin.Silo.Configuration;

namespace Myelin.Silo.Monitoring;

/// <summary>
/// The Orleans dashboard (<c>orleans.dashboard</c>): a live picture of the cluster's silos and grains,
/// served by this silo on its own port. Off by default; on loopback unless <c>bind_address</c> says
/// otherwise, since it has no authentication of its own.
/// </summary>
/// <param name="Enabled"><c>orleans.dashboard.enabled</c> (default false).</param>
/// <param name="Port"><c>orleans.dashboard.port</c> (default 8080).</param>
/// <param name="BindAddress"><c>orleans.dashboard.bind_address</c> (default 127.0.0.1).</param>
public sealed record DashboardSettings(bool Enabled, int Port, IPAddress BindAddress)
{
    public static readonly DashboardSettings Disabled = new(false, 8080, IPAddress.Loopback);

    public static DashboardSettings FromConfig(ConfigDocument c, IReadOnlyList<ListenerOptions> listeners)
    {
        if (!c.Has("orleans.dashboard")) return Disabled;
        c.Map("orleans.dashboard");
        var enabled = c.Bool("orleans.dashboard.enabled", false);
        var port = c.Long("orleans.dashboard.port", 8080);
        if (port is < 1 or > 65535) throw c.Error("orleans.dashboard.port", "must be a port number");
        var bind = c.String("orleans.dashboard.bind_address", "127.0.0.1")!;
        var ip = bind is "*" ? IPAddress.Any
            : IPAddress.TryParse(bind, out var parsed) ? parsed
            : throw c.Error("orleans.dashboard.bind_address", $"'{bind}' is not an IP address");
        if (enabled && listeners.Any(l => l.Port == port))
            throw c.Error("orleans.dashboard.port", $"port {port} is already a listener's");
        return new(enabled, (int)port, ip);
    }
}
