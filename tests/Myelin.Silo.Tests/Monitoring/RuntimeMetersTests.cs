using System.Diagnostics.Metrics;
using Myelin.Silo.Monitoring;

namespace Myelin.Silo.Tests.Monitoring;

/// <summary>The bridge from Orleans' and Npgsql's meters, fed by meters of the same names made here.</summary>
public sealed class RuntimeMetersTests
{
    [Fact]
    public void Read_GrainCountIncrements_AddUpByGrainType()
    {
        using var meters = new RuntimeMeters();
        using var orleans = new Meter("Microsoft.Orleans");
        var grains = orleans.CreateUpDownCounter<int>("orleans-grains");
        var type = "test-" + Guid.NewGuid().ToString("N");
        grains.Add(1, new KeyValuePair<string, object?>("grain_type", type));
        grains.Add(1, new KeyValuePair<string, object?>("grain_type", type));
        grains.Add(-1, new KeyValuePair<string, object?>("grain_type", type));
        grains.Add(1, new KeyValuePair<string, object?>("type", type + "-old"));

        var read = meters.Read();
        Assert.Equal(1, read[("orleans-grains", type)]);
        Assert.Equal(1, read[("orleans-grains", type + "-old")]);
    }

    [Fact]
    public void Read_ObservablePoolCounts_TakenAfreshByState()
    {
        using var meters = new RuntimeMeters();
        using var npgsql = new Meter("Npgsql");
        // States of its own: real Npgsql pools of other tests in this process report idle and used.
        var (idleState, usedState) = ("idle-" + Guid.NewGuid().ToString("N"), "used-" + Guid.NewGuid().ToString("N"));
        var idle = 3;
        npgsql.CreateObservableUpDownCounter("db.client.connection.count", () => new[]
        {
            new Measurement<int>(idle, new KeyValuePair<string, object?>("db.client.connection.state", idleState)),
            new Measurement<int>(2, new KeyValuePair<string, object?>("db.client.connection.state", usedState)),
        });
        Assert.Equal(3, meters.Read()[("db.client.connection.count", idleState)]);
        idle = 5;
        var read = meters.Read();
        Assert.Equal(5, read[("db.client.connection.count", idleState)]);
        Assert.Equal(2, read[("db.client.connection.count", usedState)]);
    }

    [Fact]
    public void Read_OtherInstruments_Ignored()
    {
        using var meters = new RuntimeMeters();
        using var other = new Meter("Somebody.Else");
        other.CreateCounter<int>("orleans-grains").Add(1, new KeyValuePair<string, object?>("grain_type", "x"));
        using var npgsql = new Meter("Npgsql");
        npgsql.CreateCounter<long>("db.client.operation.npgsql.bytes_read").Add(10);
        Assert.DoesNotContain(meters.Read().Keys, k => k.Label == "x" || k.Instrument == "db.client.operation.npgsql.bytes_read");
    }
}
