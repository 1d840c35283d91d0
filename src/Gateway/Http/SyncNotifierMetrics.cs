using Myelin.Silo.Monitoring;
using Prometheus;

namespace Myelin.Gateway.Http;

/// <summary>Parked /sync requests, for the metrics listener (Synapse's <c>synapse_notifier_listeners</c>).</summary>
public sealed class SyncNotifierMetrics(SyncNotifier notifier) : IMetricsSource
{
    Gauge? _listeners;

    public void Register(MetricFactory metrics) =>
        _listeners = metrics.CreateGauge("synapse_notifier_listeners", "/sync requests parked waiting for something new to arrive.");

    public void Update() => _listeners?.Set(notifier.WaiterCount);
}
