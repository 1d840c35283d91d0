using Microsoft.Extensions.DependencyInjection;
using Myelin.Storage;
using Orleans.Runtime;

namespace Myelin.Silo.Monitoring;

/// <summary>What <c>/_myelin/health/ready</c> answers: ready once this silo is an active member of the
/// cluster and the database answers.</summary>
public sealed record ReadinessReport(bool Ready, string Silo, bool Database);

/// <summary>
/// Readiness of this process: its silo has joined the cluster (Orleans status Active: not while it is
/// still joining, nor once it is shutting down) and the database answers a cheap query. The database
/// result is kept for <see cref="DatabaseCacheTime"/> so that frequent probes cost one query.
/// </summary>
public sealed class Readiness(IServiceProvider services, MyelinDatabase db, TimeProvider time)
{
    public static readonly TimeSpan DatabaseCacheTime = TimeSpan.FromSeconds(2);
    static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(3);

    readonly object _gate = new();
    Task<bool>? _database;
    long _checkedAt;

    /// <summary>The last database answer (null before the first check).</summary>
    public bool? DatabaseUp => _database is { IsCompletedSuccessfully: true } t ? t.Result : null;

    public async Task<ReadinessReport> CheckAsync()
    {
        var silo = SiloStatus();
        var database = await DatabaseAsync();
        return new ReadinessReport(silo == Orleans.Runtime.SiloStatus.Active && database, silo.ToString(), database);
    }

    /// <summary>This silo's status in the cluster's membership (None before the silo has started).</summary>
    public SiloStatus SiloStatus()
    {
        var local = services.GetService<ILocalSiloDetails>();
        var membership = services.GetService<IClusterMembershipService>();
        if (local is null || membership is null) return Orleans.Runtime.SiloStatus.None;
        return membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
    }

    Task<bool> DatabaseAsync()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_database is null || (_database.IsCompleted && time.GetElapsedTime(_checkedAt, now) > DatabaseCacheTime))
            {
                _checkedAt = now;
                _database = QueryAsync();
            }
            return _database;
        }
    }

    async Task<bool> QueryAsync()
    {
        try
        {
            await db.GetSchemaVersionsAsync().WaitAsync(DatabaseTimeout, time);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
