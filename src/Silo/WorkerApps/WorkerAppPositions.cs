using System.Collections.Concurrent;

namespace Myelin.Silo.WorkerApps;

/// <summary>This process's worker apps and where each has got to in the streams it follows (what the metrics
/// listener reports as worker-app positions and lag).</summary>
public sealed class WorkerAppPositions
{
    readonly ConcurrentDictionary<(string App, string Stream), long> _positions = new();

    public void Set(string app, string stream, long position) => _positions[(app, stream)] = position;

    public long? Get(string app, string stream) => _positions.TryGetValue((app, stream), out var p) ? p : null;

    public IReadOnlyList<(string App, string Stream, long Position)> All() =>
        _positions.Select(kv => (kv.Key.App, kv.Key.Stream, kv.Value)).OrderBy(x => x.App).ThenBy(x => x.Stream).ToList();
}
