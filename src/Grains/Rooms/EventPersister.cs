using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Rooms;

/// <summary>
/// Group commit for the events stream: every room grain of the silo hands its events here, and they are
/// written to the database together, in one transaction per batch, each with its stream position. A
/// sender is answered only once its batch has committed and the events stream has taken it (published
/// locally as soon as no other writer holds an earlier position, and on the replication wire).
/// </summary>
public sealed class EventPersister : IAsyncDisposable
{
    const int MaxBatch = 1000;

    sealed record Pending(IReadOnlyList<NewEvent> Events, TaskCompletionSource<long[]> Done);

    readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    readonly IEventStore _events;
    readonly IStreamIdGenerator _ids;
    readonly EventsStream _stream;
    readonly RecentEventsCache _recent;
    readonly ILogger<EventPersister> _log;
    readonly Task _loop;

    public EventPersister(MyelinDatabase db, EventsStream stream, RecentEventsCache recent, ILogger<EventPersister> log,
        RecentPushActions? pushActions = null)
        : this(db.Events, db.StreamIds, stream, recent, log)
    {
        _pushActions = pushActions;
    }

    readonly RecentPushActions? _pushActions;

    /// <summary>Over the given stores (tests put a gate in front of the event store to force interleavings).</summary>
    public EventPersister(IEventStore events, IStreamIdGenerator ids, EventsStream stream, RecentEventsCache recent, ILogger<EventPersister> log)
    {
        _events = events;
        _ids = ids;
        _stream = stream;
        _recent = recent;
        _log = log;
        _loop = Task.Run(RunAsync);
    }

    long _persisted;

    /// <summary>Events this process has persisted since it started (the metrics listener reports it).</summary>
    public long Persisted => Interlocked.Read(ref _persisted);

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
        // Registered with the stream before the positions are drawn, so no reader passes them meanwhile.
        var handle = await _stream.BeginWriteAsync();
        long[][] results;
        List<(NewEvent Event, long Position)> rows;
        try
        {
            var last = await _ids.NextAsync(StreamNames.Events, count);
            var next = last - count + 1;
            _stream.Allocated(handle, next, last);
            rows = new List<(NewEvent, long)>(count);
            results = new long[batch.Count][];
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
            Interlocked.Add(ref _persisted, rows.Count);
        }
        catch
        {
            _stream.Failed(handle);
            throw;
        }

        foreach (var (ev, position) in rows)
        {
            if (ev is { Redacts: { } target, RedactedTargetJson: { } pruned }) _recent.Replace(target, pruned);
            _pushActions?.Add(position, ev.PushActions);
        }
        var stored = new List<StoredEvent>(rows.Count);
        var wire = new List<EventsStreamRow>(rows.Count);
        var payload = new List<EventPayloadRow>(_stream.Replicates ? rows.Count : 0);
        foreach (var (e, position) in rows)
        {
            stored.Add(new StoredEvent(position, e.EventId, e.RoomId, e.Type, e.StateKey, e.Sender, e.Depth, e.OriginServerTs, e.Json, e.Membership));
            if (!_stream.Replicates) continue;
            wire.Add(EventsStreamRow.From(e));
            payload.Add(EventPayloadRow.From(e, position));
        }
        // Taken by the stream before the senders are answered: a client that reads right after its
        // send's 200 finds the event (read-your-writes), unless another writer still holds an earlier
        // position, in which case nobody may read past that one yet.
        await _stream.CommittedAsync(handle, stored, wire, payload);
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }
}
