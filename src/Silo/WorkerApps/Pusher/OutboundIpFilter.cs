using System.Net;
using System.Net.Sockets;
using Myelin.Silo.Configuration;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>
/// Which addresses requests a user can point at may reach (Synapse's <c>ip_range_blacklist</c> and
/// <c>ip_range_whitelist</c>, applied to push gateways since Synapse 1.25): by default no private, loopback,
/// link-local or reserved range, so a pusher URL cannot make the homeserver call into its own network. The
/// check is on the addresses the name resolves to, at connect time, so a DNS name pointing inside is refused too.
/// </summary>
public sealed class OutboundIpFilter
{
    /// <summary>Synapse's default blocklist.</summary>
    public static readonly IReadOnlyList<string> DefaultBlocklist =
    [
        "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "192.0.0.0/24", "169.254.0.0/16",
        "192.88.99.0/24", "198.18.0.0/15", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
        "::1/128", "fe80::/10", "fc00::/7", "2001:db8::/32", "ff00::/8", "fec0::/10",
    ];

    // Always blocked whatever the configuration says (Synapse adds them too): the unspecified addresses.
    static readonly IPNetwork[] Unspecified = [IPNetwork.Parse("0.0.0.0/32"), IPNetwork.Parse("::/128")];

    readonly IPNetwork[] _blocked;
    readonly IPNetwork[] _allowed;

    public OutboundIpFilter(IEnumerable<string> blocklist, IEnumerable<string> allowlist)
    {
        _blocked = [.. blocklist.Select(Parse), .. Unspecified];
        _allowed = allowlist.Select(Parse).ToArray();
    }

    public static OutboundIpFilter Default { get; } = new(DefaultBlocklist, []);

    static IPNetwork Parse(string range) =>
        range.Contains('/') ? IPNetwork.Parse(range) : new IPNetwork(IPAddress.Parse(range), IPAddress.Parse(range).AddressFamily == AddressFamily.InterNetwork ? 32 : 128);

    /// <summary><c>ip_range_blacklist</c> / <c>ip_range_whitelist</c> (also spelt <c>ip_range_blocklist</c> /
    /// <c>ip_range_allowlist</c>); a range that does not parse is a start-up error naming the key.</summary>
    public static OutboundIpFilter FromConfig(ConfigDocument? c)
    {
        if (c is null) return Default;
        IReadOnlyList<string> Ranges(string key, string alias, IReadOnlyList<string> fallback)
        {
            var k = c.Has(key) ? key : alias;
            if (c.List(k) is not { } list) return fallback;
            return list.Select(x => x is string s && IsRange(s) ? s : throw c.Error(k, $"'{x}' is not an IP address or CIDR range")).ToList();
        }
        return new OutboundIpFilter(Ranges("ip_range_blacklist", "ip_range_blocklist", DefaultBlocklist),
            Ranges("ip_range_whitelist", "ip_range_allowlist", []));
    }

    static bool IsRange(string s) => s.Contains('/') ? IPNetwork.TryParse(s, out _) : IPAddress.TryParse(s, out _);

    public bool IsBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (_allowed.Any(n => n.Contains(address))) return false;
        return _blocked.Any(n => n.Contains(address));
    }

    /// <summary>A connect callback for <see cref="SocketsHttpHandler"/> that connects only to allowed addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(a => !IsBlocked(a)).ToArray();
        if (allowed.Length == 0)
            throw new HttpRequestException($"{host} resolves only to addresses outbound requests may not reach (ip_range_blacklist)");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
