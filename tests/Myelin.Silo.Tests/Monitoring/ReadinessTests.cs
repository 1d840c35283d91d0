using System.Collections.Immutable;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Myelin.Silo.Monitoring;
using Myelin.Storage;
using Orleans.Runtime;

namespace Myelin.Silo.Tests.Monitoring;

public sealed class ReadinessTests : IAsyncLifetime
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-ready-").FullName;
    readonly FakeTimeProvider _time = new();
    readonly FakeMembership _membership = new();
    MyelinDatabase _db = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "db"));
        _db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(Path.Combine(_dir, "db", "homeserver.db")));
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    Readiness NewReadiness(bool withSilo = true)
    {
        var services = new ServiceCollection();
        if (withSilo)
        {
            services.AddSingleton<ILocalSiloDetails>(_membership);
            services.AddSingleton<IClusterMembershipService>(_membership);
        }
        return new Readiness(services.BuildServiceProvider(), _db, _time);
    }

    [Fact]
    public async Task Check_SiloJoiningThenActive_FlipsToReady()
    {
        var readiness = NewReadiness();
        _membership.Status = SiloStatus.Joining;
        var joining = await readiness.CheckAsync();
        Assert.False(joining.Ready);
        Assert.Equal("Joining", joining.Silo);
        Assert.True(joining.Database);

        _membership.Status = SiloStatus.Active;
        Assert.True((await readiness.CheckAsync()).Ready);

        _membership.Status = SiloStatus.ShuttingDown;
        Assert.False((await readiness.CheckAsync()).Ready);
    }

    [Fact]
    public async Task Check_NoSiloYet_NotReady()
    {
        var report = await NewReadiness(withSilo: false).CheckAsync();
        Assert.False(report.Ready);
        Assert.Equal("None", report.Silo);
    }

    [Fact]
    public async Task Check_DatabaseFailing_NotReadyOnceTheCachedAnswerExpires_AndBackAfter()
    {
        var readiness = NewReadiness();
        _membership.Status = SiloStatus.Active;
        Assert.True((await readiness.CheckAsync()).Ready);

        // The readiness query fails from now on (as it would with the server gone); the cached answer holds meanwhile.
        await RenameAsync("schema_version", "schema_version_away");
        Assert.True((await readiness.CheckAsync()).Ready);
        _time.Advance(Readiness.DatabaseCacheTime + TimeSpan.FromMilliseconds(1));
        var report = await readiness.CheckAsync();
        Assert.False(report.Ready);
        Assert.False(report.Database);
        Assert.False(readiness.DatabaseUp);

        await RenameAsync("schema_version_away", "schema_version");
        _time.Advance(Readiness.DatabaseCacheTime + TimeSpan.FromMilliseconds(1));
        Assert.True((await readiness.CheckAsync()).Ready);
    }

    async Task RenameAsync(string from, string to)
    {
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "db", "homeserver.db")}");
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"ALTER TABLE {from} RENAME TO {to}";
        await cmd.ExecuteNonQueryAsync();
    }

    sealed class FakeMembership : ILocalSiloDetails, IClusterMembershipService
    {
        public SiloStatus Status { get; set; } = SiloStatus.Active;
        public string Name => "test";
        public string ClusterId => "test";
        public string DnsHostName => "localhost";
        public SiloAddress SiloAddress { get; } = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
        public SiloAddress GatewayAddress => SiloAddress;

        public ClusterMembershipSnapshot CurrentSnapshot => new(
            ImmutableDictionary<SiloAddress, ClusterMember>.Empty.Add(SiloAddress, new ClusterMember(SiloAddress, Status, Name)),
            new MembershipVersion(1));

        public IAsyncEnumerable<ClusterMembershipSnapshot> MembershipUpdates => throw new NotSupportedException();
        public ValueTask Refresh(MembershipVersion minimumVersion = default, CancellationToken cancellationToken = default) => default;
        public Task<bool> TryKill(SiloAddress siloAddress) => Task.FromResult(false);
    }
}
