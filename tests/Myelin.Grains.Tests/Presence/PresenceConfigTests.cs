using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Silo.Clustering;
using Myelin.Silo.Configuration;

namespace Myelin.Grains.Tests.Presence;

public sealed class PresenceConfigTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-presence-config-").FullName;

    HomeserverOptions Load(string yaml)
    {
        var p = Path.Combine(_dir, $"{Guid.NewGuid():N}.yaml");
        File.WriteAllText(p, yaml);
        return HomeserverOptions.FromConfig(ConfigLoader.Load([p]));
    }

    [Theory]
    [InlineData("", true, true)]
    [InlineData("presence:\n  enabled: true\n", true, true)]
    [InlineData("presence:\n  enabled: false\n", false, false)]
    [InlineData("presence:\n  enabled: untracked\n", true, false)]
    [InlineData("use_presence: false\n", false, false)]
    [InlineData("presence: {}\n", true, true)]
    public void FromConfig_PresenceEnabled_AsSynapseReadsIt(string yaml, bool enabled, bool tracked)
    {
        Assert.Equal(new PresenceOptions(enabled, tracked), Load(yaml).Presence);
    }

    [Fact]
    public void FromConfig_PresenceEnabledNotBoolean_ErrorNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => Load("presence:\n  enabled: sometimes\n"));
        Assert.Equal("presence.enabled", e.Key);
    }

    [Fact]
    public void StreamWriters_PresenceGrainIsPinnedToThePresenceWriters()
    {
        Assert.Equal(StreamNames.Presence, StreamWriterGrains.Streams[typeof(PresenceGrain)]);
        var o = Load("worker_app: synapse.app.generic_worker\nworker_name: gateway1\nstream_writers:\n  presence: [presence1]\n"
            + "database:\n  name: psycopg2\n  args:\n    host: localhost\n    database: x\n");
        Assert.False(o.Cluster.IsStreamWriter(StreamNames.Presence));
        Assert.True(o.Cluster.IsStreamWriter(StreamNames.Typing));
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
