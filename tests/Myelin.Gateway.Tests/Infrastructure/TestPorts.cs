using System.Net;
using System.Net.Sockets;

namespace Myelin.TestSupport;

/// <summary>
/// Loopback ports for the servers a test starts (gateways, silos, nginx, fakes). Picked below Linux's
/// ephemeral range (32768-60999): a port the kernel hands out there is free only until some outgoing
/// connection of any process takes it, which happened between the pick and a child process binding it.
/// </summary>
public static class TestPorts
{
    const int Low = 20_000, High = 32_000;

    public static int Free()
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            var port = Random.Shared.Next(Low, High);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                probe.Stop();
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException($"no free loopback port in {Low}-{High}");
    }
}
