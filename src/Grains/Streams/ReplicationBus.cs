using System.Collections.Concurrent;

namespace Myelin.Grains.Streams;

/// <summary>Stream names, declared once (Synapse's STREAMS_MAP).</summary>
public static class StreamNames
{
    public const string Events = "events";
    public const string AccountData = "account_data";
    public const string Typing = "typing";
    public const string Receipts = "receipts";
    public const string ToDevice = "to_device";
    public const string Presence = "presence";
    public const string PushRules = "push_rules";
    public const string Pushers = "pushers";
}

/// <summary>
/// One advance of a stream: the writer persisted everything up to <paramref name="Position"/>.
/// <paramref name="RoomIds"/> and <paramref name="UserIds"/> say whom it concerns, so a waiting /sync
/// wakes only when something it can see moved; <paramref name="Everyone"/> wakes every waiter (after a
/// catch-up, when whom the missed rows concerned is unknown).
/// </summary>
public sealed record StreamUpdate(string Stream, long Position, IReadOnlyCollection<string> RoomIds, IReadOnlyCollection<string> UserIds,
    bool Everyone = false);

/// <summary>
/// The replication bus: every stream write is published here after it commits. In a single process it
/// runs in memory; in a cluster it is carried over Redis in Synapse's RDATA/POSITION format.
/// </summary>
public interface IReplicationBus
{
    void Publish(StreamUpdate update);
    IDisposable Subscribe(Action<StreamUpdate> handler);
    /// <summary>Highest position published for the stream (0 before anything).</summary>
    long Position(string stream);
}

public sealed class InMemoryReplicationBus : IReplicationBus
{
    readonly ConcurrentDictionary<string, long> _positions = new();
    readonly object _gate = new();
    ImmutableHandlers _handlers = new([]);

    sealed record ImmutableHandlers(Action<StreamUpdate>[] Items);

    public void Publish(StreamUpdate update)
    {
        _positions.AddOrUpdate(update.Stream, update.Position, (_, old) => Math.Max(old, update.Position));
        foreach (var h in _handlers.Items) h(update);
    }

    public IDisposable Subscribe(Action<StreamUpdate> handler)
    {
        lock (_gate) _handlers = new([.. _handlers.Items, handler]);
        return new Unsubscriber(() => { lock (_gate) _handlers = new(_handlers.Items.Where(h => h != handler).ToArray()); });
    }

    public long Position(string stream) => _positions.GetValueOrDefault(stream);

    /// <summary>Seeds a stream's position at start-up (from the database's current maximum).</summary>
    public void Seed(string stream, long position) =>
        _positions.AddOrUpdate(stream, position, (_, old) => Math.Max(old, position));

    sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
