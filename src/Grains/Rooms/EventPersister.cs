using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Rooms;

/// <summary>
/// Group commit for the events stream: every room grain of the silo hands its events here, and they are
/// written to the database together, in one transaction per batch, each with its stream position. A
/// sender is answered only once its batch has committed; then the batch is published on the bus.
/// </summary>
public sealed class EventPersister : IAsyncDisposable
{
    const int MaxBatch = 1000;

    sealed record Pending(IReadOnlyList<NewEvent> Events, TaskCompletionSource<long[]> Done);

    readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly IEventStore _events;
    readonly IStreamIdGenerator _ids;
    readonly IReplicationBus _bus;
    readonly RecentEventsCache _recent;
    readonly ILogger<EventPersister> _log;
    readonly Task _loop;

    public EventPersister(MyelinDatabase db, IReplicationBus bus, RecentEventsCache recent, ILogger<EventPersister> log)
    {
        _events = db.Events;
        _ids = db.StreamIds;
        _bus = bus;
        _recent = recent;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Persists the events (of one room, in order); returns their stream positions.</summary>
    public Task<long[]> PersistAsync(IReadOnlyList<NewEvent> events)
    {
        var done = new TaskCompletionSource<long[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(events, done)))
            done.SetException(new InvalidOperationException("the event persister has stopped"));
        return done.Task;
    }

    async Task RunAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var count = 0;
            while (count < MaxBatch && _queue.Reader.TryRead(out var p))
            {
                batch.Add(p);
                count += p.Events.Count;
            }
            try
            {
                await CommitAsync(batch, count);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Persisting a batch of {Count} events failed", count);
                foreach (var p in batch) p.Done.TrySetException(e);
            }
        }
    }

    async Task CommitAsync(List<Pending> batch, int count)
    {
        var last = await _ids.NextAsync(StreamNames.Events, count);
        var next = last - count + 1;
        var rows = new List<(NewEvent, long)>(count);
        var results = new long[batch.Count][];
        for (var i = 0; i < batch.Count; i++)
        {
            results[i] = new long[batch[i].Events.Count];
            for (var j = 0; j < batch[i].Events.Count; j++)
            {
                results[i][j] = next;
                rows.Add((batch[i].Events[j], next++));
            }
        }
        await _events.PersistEventsAsync(rows);

        var rooms = new HashSet<string>();
        var users = new HashSet<string>();
        foreach (var (ev, _) in rows)
        {
            rooms.Add(ev.RoomId);
            if (ev.Membership is not null && ev.StateKey is not null) users.Add(ev.StateKey);
        }
        _recent.Add(rows.Select(r => new StoredEvent(r.Item2, r.Item1.EventId, r.Item1.RoomId, r.Item1.Type, r.Item1.StateKey,
            r.Item1.Sender, r.Item1.Depth, r.Item1.OriginServerTs, r.Item1.Json, r.Item1.Membership)).ToList());
        foreach (var (ev, _) in rows)
            if (ev is { Redacts: { } target, RedactedTargetJson: { } pruned }) _recent.Replace(target, pruned);
        // Published before the senders are answered: a client that reads right after its send's 200
        // must find the event (read-your-writes).
        _bus.Publish(new StreamUpdate(StreamNames.Events, last, rooms, users));
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
