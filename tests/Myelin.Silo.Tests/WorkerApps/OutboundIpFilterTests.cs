using System.Net;
using Myelin.Silo.Configuration;
using Myelin.Silo.WorkerApps.Pusher;

namespace Myelin.Silo.Tests.WorkerApps;

public sealed class OutboundIpFilterTests
{
    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:2800:220:1::1", false)]
    public void Default_BlocksPrivateAndReservedRanges(string address, bool blocked) =>
        Assert.Equal(blocked, OutboundIpFilter.Default.IsBlocked(IPAddress.Parse(address)));

    [Fact]
    public void FromConfig_AllowlistOpensARange_BlocklistReplacesTheDefault()
    {
        var c = ConfigLoader.FromYaml("ip_range_whitelist: ['127.0.0.1']\nip_range_blacklist: ['93.184.216.0/24']");
        var f = OutboundIpFilter.FromConfig(c);
        Assert.False(f.IsBlocked(IPAddress.Parse("127.0.0.1")));
        Assert.False(f.IsBlocked(IPAddress.Parse("10.0.0.1")));
        Assert.True(f.IsBlocked(IPAddress.Parse("93.184.216.34")));
        Assert.True(f.IsBlocked(IPAddress.Parse("0.0.0.0")));

        var defaults = OutboundIpFilter.FromConfig(ConfigLoader.FromYaml("ip_range_whitelist: ['127.0.0.0/8']"));
        Assert.False(defaults.IsBlocked(IPAddress.Parse("127.0.0.2")));
        Assert.True(defaults.IsBlocked(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void FromConfig_NotARange_ErrorNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => OutboundIpFilter.FromConfig(ConfigLoader.FromYaml("ip_range_whitelist: ['not-an-ip']")));
        Assert.Equal("ip_range_whitelist", e.Key);
    }
}
