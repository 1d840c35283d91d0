using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The wire between processes: Redis pub/sub in a cluster, carrying Synapse's replication lines. A
/// single process has none.
/// </summary>
public interface IReplicationWire
{
    /// <summary>This process's name on the wire (<c>worker_name</c>).</summary>
    string InstanceName { get; }

    /// <summary>Publishes the lines in order. Completes once the server accepted them: a line any process
    /// publishes afterwards reaches every reader after these.</summary>
    Task SendAsync(IReadOnlyList<ReplicationCommand> commands);

    /// <summary>Every line published by any process (this one included), in the order the server relays them.</summary>
    IDisposable Receive(Action<ReplicationCommand> handler);

    /// <summary>Called after the connection came back from a loss: lines may have been missed.</summary>
    IDisposable OnReconnected(Action handler);
}

public sealed record EventsStreamOptions
{
    /// <summary>A writer not heard from for this long is taken for dead (Synapse: 15 s without a command).</summary>
    public TimeSpan WriterTimeout { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How often a writer re-announces its position and pings (Synapse: at least every 5 s).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The events stream of this process, with several writers (Synapse's MultiWriterIdGenerator and
/// replication consumer in one): this process's own writer (its <see cref="Rooms.EventPersister"/>),
/// what the other writers announced over the wire, and the position safe to read up to, the minimum over
/// live writers of their persisted-up-to position. Readers (sync, pagination, notifier) see
/// <see cref="IReplicationBus.Position"/>, which this class moves to the safe position only after the
/// <see cref="RecentEventsCache"/> holds every event up to it; each advance is published on the local bus
/// once, with the rooms and users it concerns. Events written by other processes are read from the
/// database, once per advance for the whole process, so a consumer that missed lines loses nothing and
/// repeats nothing: what it delivers is exactly the rows between two safe positions.
/// </summary>
public sealed class EventsStream : IAsyncDisposable
{
    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly RecentEventsCache _cache;
    readonly MembershipChanges _membershipChanges;
    readonly RecentPushActions? _pushActions;
    readonly IReplicationWire? _wire;
    readonly TimeProvider _time;
    readonly ILogger<EventsStream> _log;
    readonly EventsStreamOptions _options;
    readonly WriterPositionTracker _tracker = new();
    readonly StreamWriterPositions _writers;
    readonly List<IDisposable> _subscriptions = [];

    // Rows this process has not yet published locally, by position: those it committed itself and those
    // other writers sent whole on the wire (EventPayloadRow).
    readonly SortedDictionary<long, StoredEvent> _own = [];
    readonly SemaphoreSlim _advanceGate = new(1, 1);
    long _published;

    readonly Channel<ReplicationCommand> _inbox = Channel.CreateUnbounded<ReplicationCommand>(new() { SingleReader = true });
    readonly Channel<Outgoing> _outbox = Channel.CreateUnbounded<Outgoing>(new() { SingleReader = true });
    readonly Channel<bool> _advanceRequests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    readonly CancellationTokenSource _stopping = new();
    readonly List<Task> _loops = [];
    ITimer? _keepAlive;
    Task? _registration;
    volatile bool _registered;
    long _lastAnnounced;
    volatile bool _refreshWriters;

    sealed record Outgoing(IReadOnlyList<ReplicationCommand> Rows, bool Announce, bool Force, TaskCompletionSource? Sent);

    public EventsStream(MyelinDatabase db, IReplicationBus bus, RecentEventsCache cache, IReplicationWire? wire,
        TimeProvider time, ILogger<EventsStream> log, EventsStreamOptions? options = null, MembershipChanges? membershipChanges = null,
        RecentPushActions? pushActions = null)
    {
        _pushActions = pushActions;
        _membershipChanges = membershipChanges ?? new MembershipChanges();
        _db = db;
        _bus = bus;
        _cache = cache;
        _wire = wire;
        _time = time;
        _log = log;
        _options = options ?? new EventsStreamOptions();
        _writers = new StreamWriterPositions(time, _options.WriterTimeout);
    }

    public string InstanceName => _wire?.InstanceName ?? "master";

    /// <summary>Users' latest membership changes, recorded before each position is published.</summary>
    public MembershipChanges MembershipChanges => _membershipChanges;

    /// <summary>Whether writes go out on a wire to other processes (rows for it are worth building).</summary>
    public bool Replicates => _wire is not null;

    /// <summary>Position readers may read up to now (before the local cache caught up with it).</summary>
    public long SafePosition => _writers.Safe(InstanceName, _tracker.PersistedUpto) ?? 0;

    /// <summary>This process's own persisted-up-to position.</summary>
    public long PersistedUpto => _tracker.PersistedUpto;

    /// <summary>Position published on the local bus (what readers of this process read up to).</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>The writers this process has heard from (the metrics listener reports each one's position).</summary>
    public IReadOnlyList<string> Writers => _writers.Instances;

    /// <summary>What another writer last announced (null when unknown).</summary>
    public long? WriterPosition(string instance) => _writers.PositionOf(instance);

    /// <summary>POSITION lines whose prev showed that lines of that writer were missed.</summary>
    public int GapsDetected;

    /// <summary>Advances that had to read another writer's events from the database (they did not all
    /// come whole over the wire).</summary>
    public int RangeReads;

    /// <summary>Takes the stream's current position, joins the wire, and publishes the starting position.</summary>
    public async Task StartAsync()
    {
        _tracker.Observe(await _db.StreamIds.CurrentAsync(StreamNames.Events));
        if (_wire is not null)
        {
            // Subscribed before the writers are read: a writer registered after the read is heard on the wire.
            _subscriptions.Add(_wire.Receive(c => _inbox.Writer.TryWrite(c)));
            _subscriptions.Add(_wire.OnReconnected(() => { _refreshWriters = true; _outbox.Writer.TryWrite(new([new ReplicateCommand()], false, false, null)); }));
            await LoadWritersAsync();
            _loops.Add(Task.Run(InboxLoopAsync));
            _loops.Add(Task.Run(OutboxLoopAsync));
            _outbox.Writer.TryWrite(new([new ReplicateCommand()], false, false, null));
            _keepAlive = _time.CreateTimer(_ => OnKeepAlive(), null, _options.KeepAlive, _options.KeepAlive);
        }
        var start = SafePosition;
        _published = start;
        _cache.StartAt(start);
        _bus.Publish(new StreamUpdate(StreamNames.Events, start, [], []));
        _loops.Add(Task.Run(AdvanceLoopAsync));
    }

    // Writers known to the database, back-dated so that one which does not answer REPLICATE soon after
    // the wire proves alive stops holding readers back.
    async Task LoadWritersAsync()
    {
        var age = _options.WriterTimeout - 2 * _options.KeepAlive;
        foreach (var (instance, position) in await _db.StreamWriterPositions.GetAsync(StreamNames.Events))
            if (instance != InstanceName) _writers.Update(instance, position, age > TimeSpan.Zero ? age : TimeSpan.Zero);
    }

    // ------------------------------------------------------------------ the local writer

    /// <summary>Registers a write about to allocate positions. On the first write of a clustered process
    /// this announces the writer to every reader before any position is drawn.</summary>
    public async ValueTask<long> BeginWriteAsync()
    {
        if (_wire is not null && !_registered) await (_registration ??= RegisterAsync());
        return _tracker.Begin();
    }

    async Task RegisterAsync()
    {
        await _db.StreamWriterPositions.UpsertAsync(StreamNames.Events, InstanceName, _tracker.PersistedUpto);
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _registered = true;
        _outbox.Writer.TryWrite(new([], Announce: true, Force: true, sent));
        try
        {
            await sent.Task;
        }
        catch
        {
            _registered = false;
            _registration = null;
            throw;
        }
    }

    public void Allocated(long handle, long first, long last) => _tracker.Allocated(handle, first, last);

    /// <summary>The write's rows committed: published locally as soon as they are safe (at once with a single
    /// writer: read-your-writes), then on the wire as RDATA lines and a POSITION.</summary>
    public async Task CommittedAsync(long handle, IReadOnlyList<StoredEvent> rows, IReadOnlyList<EventsStreamRow> wireRows,
        IReadOnlyList<EventPayloadRow>? payload = null)
    {
        lock (_own)
            foreach (var r in rows) _own[r.StreamOrdering] = r;
        _tracker.Complete(handle);
        await AdvanceAsync();
        if (_wire is not null)
        {
            var lines = new List<ReplicationCommand>(wireRows.Count + 1);
            if (payload is { Count: > 0 })
                lines.Add(new RdataCommand(EventPayloadRow.Stream, InstanceName, payload[^1].Position, EventPayloadRow.ToJson(payload)));
            for (var i = 0; i < wireRows.Count; i++)
                lines.Add(new RdataCommand(StreamNames.Events, InstanceName, rows[i].StreamOrdering, wireRows[i].ToJson()));
            _outbox.Writer.TryWrite(new(lines, Announce: true, Force: false, null));
        }
    }

    /// <summary>Another writer's events, whole: kept until the safe position passes them, so the advance
    /// that publishes them need not read them from the database.</summary>
    void TakePayload(string rowJson)
    {
        var rows = EventPayloadRow.Parse(rowJson);
        lock (_own)
        {
            var published = Volatile.Read(ref _published);
            foreach (var r in rows)
                if (r.Position > published) _own[r.Position] = r.ToStored();
        }
        if (_pushActions is not null)
            foreach (var r in rows)
                if (r.Notify is { } notify) _pushActions.Add(r.Position, notify.Select(n => (n.UserId, n.Highlight)).ToList());
        foreach (var r in rows)
            if (r is { Redacts: { } target, RedactedTargetJson: { } pruned }) _cache.Replace(target, pruned);
    }

    /// <summary>The write failed: its positions stay empty and hold nobody back.</summary>
    public void Failed(long handle)
    {
        _tracker.Complete(handle);
        _advanceRequests.Writer.TryWrite(true);
    }

    // ------------------------------------------------------------------ publishing locally

    /// <summary>Moves the local bus to the safe position, filling the cache with every event up to it.</summary>
    public async Task AdvanceAsync()
    {
        await _advanceGate.WaitAsync();
        try
        {
            while (true)
            {
                var from = _published;
                var to = SafePosition;
                if (to <= from) return;
                List<StoredEvent> rows;
                bool allOwn;
                lock (_own)
                {
                    rows = [];
                    foreach (var (position, row) in _own)
                    {
                        if (position > to) break;
                        if (position > from) rows.Add(row);
                    }
                    allOwn = rows.Count == to - from;
                }
                if (!allOwn)
                {
                    // Events of another writer that did not come whole over the wire (or a failed write's
                    // empty positions) in the range: the database has them all, committed, since every
                    // writer is past `to`.
                    Interlocked.Increment(ref RangeReads);
                    rows = [.. await _db.Events.GetStreamRangeAsync(from, to)];
                    await RefreshRedactedAsync(rows);
                }
                lock (_own)
                    while (_own.Count > 0 && _own.First().Key <= to) _own.Remove(_own.First().Key);

                var rooms = new HashSet<string>();
                var users = new HashSet<string>();
                foreach (var e in rows)
                {
                    rooms.Add(e.RoomId);
                    if (e.Membership is not null && e.StateKey is not null) users.Add(e.StateKey);
                }
                _cache.Add(rows);
                _membershipChanges.Record(users, to);
                Volatile.Write(ref _published, to);
                _bus.Publish(new StreamUpdate(StreamNames.Events, to, rooms, users));
            }
        }
        finally
        {
            _advanceGate.Release();
        }
    }

    // A redaction written elsewhere rewrote its target in the database; the cached copy follows.
    async Task RefreshRedactedAsync(List<StoredEvent> rows)
    {
        foreach (var e in rows)
        {
            if (e.Type != "m.room.redaction" || RedactsOf(e.Json) is not { } target) continue;
            if (await _db.Events.GetEventAsync(target) is { } stored) _cache.Replace(target, stored.Json);
        }
    }

    static string? RedactsOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        // spec: room versions 1-10 carry "redacts" at the top level, v11 in the content.
        if (root.TryGetProperty("redacts", out var top) && top.ValueKind == JsonValueKind.String) return top.GetString();
        return root.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Object
            && c.TryGetProperty("redacts", out var inner) && inner.ValueKind == JsonValueKind.String ? inner.GetString() : null;
    }

    async Task AdvanceLoopAsync()
    {
        try
        {
            while (await _advanceRequests.Reader.WaitToReadAsync(_stopping.Token))
            {
                _advanceRequests.Reader.TryRead(out _);
                try
                {
                    await AdvanceAsync();
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    _log.LogWarning(e, "Advancing the events stream failed; retrying at the next update");
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    // ------------------------------------------------------------------ the wire

    async Task InboxLoopAsync()
    {
        try
        {
            await foreach (var command in _inbox.Reader.ReadAllAsync(_stopping.Token))
            {
                try
                {
                    await HandleAsync(command);
                }
                catch (Exception e) when (!_stopping.IsCancellationRequested)
                {
                    _log.LogWarning(e, "Handling replication command {Command} failed", command.Name);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    async Task HandleAsync(ReplicationCommand command)
    {
        _writers.WireHeard();
        if (_refreshWriters)
        {
            _refreshWriters = false;
            await LoadWritersAsync();
        }
        switch (command)
        {
            case PositionCommand p when p.Stream == StreamNames.Events && p.Instance != InstanceName:
                var before = _writers.Update(p.Instance, p.NewToken);
                if (before >= 0 && p.PrevToken > before)
                {
                    // Lines of that writer were lost (Redis restarted, this process paused). Nothing to
                    // fetch row by row: the next advance reads the whole range from the database. A
                    // writer that registered meanwhile is in the database too.
                    Interlocked.Increment(ref GapsDetected);
                    _log.LogInformation("Missed replication from {Instance}: had {Known}, it sent {Prev} → {New}", p.Instance, before, p.PrevToken, p.NewToken);
                    _refreshWriters = true;
                }
                _tracker.Observe(p.NewToken);
                _advanceRequests.Writer.TryWrite(true);
                // An idle writer follows the others (it holds nothing below them); it says so, or
                // readers would wait for it.
                if (_registered && _tracker.IsIdle && _tracker.PersistedUpto > Interlocked.Read(ref _lastAnnounced))
                    _outbox.Writer.TryWrite(new([], Announce: true, Force: false, null));
                break;
            case RdataCommand r when r.Stream == StreamNames.Events && r.Instance != InstanceName:
                _writers.Heard(r.Instance);
                break;
            case RdataCommand r when r.Stream == EventPayloadRow.Stream && r.Instance != InstanceName:
                _writers.Heard(r.Instance);
                TakePayload(r.RowJson);
                break;
            case ReplicateCommand when _registered:
                _outbox.Writer.TryWrite(new([], Announce: true, Force: true, null));
                break;
        }
    }

    void OnKeepAlive()
    {
        _advanceRequests.Writer.TryWrite(true);
        var ping = new PingCommand(_time.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        _outbox.Writer.TryWrite(new([ping], Announce: _registered, Force: true, null));
        if (_registered)
            _ = _db.StreamWriterPositions.UpsertAsync(StreamNames.Events, InstanceName, Interlocked.Read(ref _lastAnnounced))
                .ContinueWith(t => _log.LogWarning(t.Exception, "Storing the writer position failed"), TaskContinuationOptions.OnlyOnFaulted);
    }

    // One sender, so this instance's lines go out in order: RDATA rows, then the POSITION covering them.
    async Task OutboxLoopAsync()
    {
        var lines = new List<ReplicationCommand>();
        var sent = new List<TaskCompletionSource>();
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stopping.Token))
            {
                lines.Clear();
                sent.Clear();
                var announce = false;
                var force = false;
                while (lines.Count < 5000 && _outbox.Reader.TryRead(out var o))
                {
                    lines.AddRange(o.Rows);
                    announce |= o.Announce;
                    force |= o.Force && o.Announce;
                    if (o.Sent is not null) sent.Add(o.Sent);
                }
                var prev = Interlocked.Read(ref _lastAnnounced);
                var next = prev;
                if (announce && _registered)
                {
                    next = Math.Max(prev, _tracker.PersistedUpto);
                    if (next > prev || force) lines.Add(new PositionCommand(StreamNames.Events, InstanceName, prev, next));
                }
                try
                {
                    if (lines.Count > 0) await _wire!.SendAsync(lines);
                    Interlocked.Exchange(ref _lastAnnounced, next);
                    foreach (var s in sent) s.TrySetResult();
                }
                catch (Exception e)
                {
                    // The rows are committed; readers that missed them catch up from the database when
                    // the next POSITION (at the latest the keep-alive's) shows them the gap.
                    _log.LogWarning(e, "Publishing {Count} replication lines failed", lines.Count);
                    foreach (var s in sent) s.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    int _disposed;

    /// <summary>Stops the stream. Once only: the replication start-up stops it, then the container disposes it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _keepAlive?.Dispose();
        foreach (var s in _subscriptions) s.Dispose();
        _stopping.Cancel();
        _inbox.Writer.TryComplete();
        _outbox.Writer.TryComplete();
        _advanceRequests.Writer.TryComplete();
        try { await Task.WhenAll(_loops); } catch (OperationCanceledException) { }
        _stopping.Dispose();
    }
}
