using System.Net;
using Myelin.Silo.Configuration;
using Myelin.Silo.Monitoring;

namespace Myelin.Silo.Tests.Monitoring;

public sealed class DashboardSettingsTests
{
    static HomeserverOptions Options(string yaml) => HomeserverOptions.FromConfig(ConfigLoader.FromYaml(yaml, "hs.yaml"));

    [Fact]
    public void FromConfig_NoSection_OffOnLoopback()
    {
        var d = Options("server_name: example.org").Dashboard;
        Assert.False(d.Enabled);
        Assert.Equal(IPAddress.Loopback, d.BindAddress);
    }

    [Fact]
    public void FromConfig_Enabled_TakesPortAndDefaultsToLoopback()
    {
        var d = Options("orleans:\n  dashboard:\n    enabled: true\n    port: 9090\n").Dashboard;
        Assert.True(d.Enabled);
        Assert.Equal(9090, d.Port);
        Assert.Equal(IPAddress.Loopback, d.BindAddress);
        Assert.Equal(IPAddress.Any, Options("orleans:\n  dashboard:\n    enabled: true\n    bind_address: '0.0.0.0'\n").Dashboard.BindAddress);
    }

    [Theory]
    [InlineData("orleans:\n  dashboard: yes\n", "orleans.dashboard")]
    [InlineData("orleans:\n  dashboard:\n    enabled: maybe\n", "orleans.dashboard.enabled")]
    [InlineData("orleans:\n  dashboard:\n    enabled: true\n    port: 70000\n", "orleans.dashboard.port")]
    [InlineData("orleans:\n  dashboard:\n    enabled: true\n    port: many\n", "orleans.dashboard.port")]
    [InlineData("orleans:\n  dashboard:\n    enabled: true\n    bind_address: localhost.example\n", "orleans.dashboard.bind_address")]
    [InlineData("orleans:\n  dashboard:\n    enabled: true\n    port: 8008\n", "orleans.dashboard.port")]
    public void FromConfig_Bad_ErrorNamesTheKey(string yaml, string key)
    {
        var e = Assert.Throws<ConfigException>(() => Options(yaml));
        Assert.Equal(key, e.Key);
    }
}
