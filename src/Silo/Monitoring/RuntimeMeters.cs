using System.Diagnostics.Metrics;

namespace Myelin.Silo.Monitoring;

/// <summary>
/// Listens to the few instruments of Orleans' and Npgsql's own meters that the metrics listener reports:
/// grain activations by type (Orleans' <c>orleans-grains</c>) and the connection pool (Npgsql's
/// <c>db.client.connection.*</c>). Started when the services are registered, before any grain activates,
/// since Orleans reports activations as increments.
/// </summary>
public sealed class RuntimeMeters : IDisposable
{
    /// <summary>Instrument → the tags whose value becomes the label (none: summed over all tags). Orleans
    /// 10 tags grain counts "grain_type"; earlier versions "type".</summary>
    static readonly Dictionary<string, string[]> Wanted = new()
    {
        ["orleans-grains"] = ["grain_type", "type"],
        ["db.client.connection.count"] = ["db.client.connection.state"],
        ["db.client.connection.max"] = [],
        ["db.client.connection.npgsql.pending_requests"] = [],
        ["db.client.connection.npgsql.timeouts"] = [],
        ["db.client.operation.npgsql.executing"] = [],
    };

    readonly MeterListener _listener = new();
    readonly object _gate = new();
    // Increments of non-observable instruments, added up since the start.
    readonly Dictionary<(string Instrument, string Label), double> _totals = [];
    // Values of observable instruments, taken afresh at every read.
    Dictionary<(string Instrument, string Label), double> _observed = [];

    public RuntimeMeters()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is "Microsoft.Orleans" or "Npgsql" && Wanted.ContainsKey(instrument.Name))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var label = "";
        var labelTags = Wanted[instrument.Name];
        foreach (var t in tags)
            if (Array.IndexOf(labelTags, t.Key) >= 0) label = t.Value?.ToString() ?? "";
        lock (_gate)
        {
            var into = instrument.IsObservable ? _observed : _totals;
            into[(instrument.Name, label)] = into.GetValueOrDefault((instrument.Name, label)) + value;
        }
    }

    /// <summary>Current values by instrument and label.</summary>
    public IReadOnlyDictionary<(string Instrument, string Label), double> Read()
    {
        lock (_gate) _observed = [];
        _listener.RecordObservableInstruments();
        lock (_gate)
        {
            var all = new Dictionary<(string, string), double>(_totals);
            foreach (var (k, v) in _observed) all[k] = v;
            return all;
        }
    }

    public void Dispose() => _listener.Dispose();
}
