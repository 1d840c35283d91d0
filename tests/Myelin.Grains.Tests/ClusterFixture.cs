using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Myelin.Matrix;
using Myelin.Storage;
using Orleans.TestingHost;

namespace Myelin.Grains.Tests;

/// <summary>One in-process test cluster (one silo) with the real grains on a temp SQLite database.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    static readonly string DbPath = Path.Combine(Path.GetTempPath(), $"myelin-grains-{Guid.NewGuid():N}.db");

    public TestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.GrainFactory;
    public MyelinDatabase Db => SiloServices.Database;
    public RecentEventsCache Recent => SiloServices.Recent;
    public RecentPushActions PushActions => SiloServices.PushActions;
    /// <summary>The silo's clock (grain timers included): tests move it on instead of sleeping.</summary>
    public FakeTimeProvider Time => SiloServices.Time;
    public InMemoryReplicationBus Bus => SiloServices.Bus;
    public TypingCache Typing => SiloServices.Typing;

    public async Task InitializeAsync()
    {
        SiloServices.Database = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(DbPath));
        SiloServices.Stream = new EventsStream(SiloServices.Database, SiloServices.Bus, SiloServices.Recent, null,
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<EventsStream>.Instance);
        await SiloServices.Stream.StartAsync();
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<SiloServices>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await SiloServices.Stream.DisposeAsync();
        await SiloServices.Database.DisposeAsync();
        foreach (var f in new[] { DbPath, DbPath + "-wal", DbPath + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }

    sealed class SiloServices : ISiloConfigurator
    {
        public static MyelinDatabase Database = null!;
        public static readonly InMemoryReplicationBus Bus = new();
        public static readonly RecentEventsCache Recent = new();
        public static readonly RecentPushActions PushActions = new();
        public static EventsStream Stream = null!;
        public static readonly FakeTimeProvider Time = new(DateTimeOffset.UtcNow);
        public static readonly TypingCache Typing = new(Bus, Time);

        public void Configure(ISiloBuilder silo)
        {
            silo.Services.AddSingleton(Database);
            silo.Services.AddSingleton(new ServerIdentity("localhost", SigningKey.Generate(), RoomVersions.V10));
            silo.Services.AddSingleton<IReplicationBus>(Bus);
            silo.Services.AddSingleton(Recent);
            silo.Services.AddSingleton(PushActions);
            silo.Services.AddSingleton(Stream);
            silo.Services.AddSingleton<EventPersister>();
            silo.Services.AddSingleton<TimeProvider>(Time);
            silo.Services.AddSingleton(Typing);
            silo.Services.AddSingleton<IStreamRowConsumer>(Typing);
            silo.Services.AddSingleton(sp => new StreamFanout(Database, Bus, null, sp.GetServices<IStreamRowConsumer>(),
                NullLogger<StreamFanout>.Instance));
            silo.Services.AddSingleton<ToDeviceWriter>();
            silo.Services.AddSingleton<AccountDataWriter>();
            silo.Services.AddSingleton<ReceiptsWriter>();
            silo.Services.AddSingleton<PushRulesCache>();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
