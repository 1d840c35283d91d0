using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Storage;
using Orleans.TestingHost;

namespace Myelin.Grains.Tests.Presence;

/// <summary>
/// A one-silo test cluster for the presence grains whose clock is the world's fake one, so that grain
/// timers fire when a test moves time on. Its presence stream goes through a real <see cref="StreamFanout"/>
/// into the world's <see cref="PresenceCache"/>.
/// </summary>
public sealed class PresenceClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.GrainFactory;
    public PresenceTestWorld World => SiloServices.World;

    public async Task InitializeAsync()
    {
        SiloServices.World = await PresenceTestWorld.CreateAsync();
        SiloServices.Fanout = new StreamFanout(World.Db, World.Bus, null, [World.Cache], NullLogger<StreamFanout>.Instance);
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloServices>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        SiloServices.Fanout.Dispose();
        await World.DisposeAsync();
    }

    sealed class SiloServices : ISiloConfigurator
    {
        public static PresenceTestWorld World = null!;
        public static StreamFanout Fanout = null!;

        public void Configure(ISiloBuilder silo)
        {
            silo.Services.AddSingleton(World.Db);
            silo.Services.AddSingleton<TimeProvider>(World.Time);
            silo.Services.AddSingleton<IReplicationBus>(World.Bus);
            silo.Services.AddSingleton(Fanout);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class PresenceClusterCollection : ICollectionFixture<PresenceClusterFixture>
{
    public const string Name = "presence-cluster";
}
