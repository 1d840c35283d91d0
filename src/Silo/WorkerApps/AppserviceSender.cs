using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Myelin.Matrix;
using Myelin.Silo.Appservices;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps;

/// <summary>
/// The appservice worker app for one application service (Synapse's appservice sender, one per
/// registration, on the <c>notify_appservices_from_worker</c> instance): follows the events stream and
/// sends the service the events it is interested in, in stream order, as transactions (spec:
/// application service API, "Pushing events"); with <c>receive_ephemeral</c>, typing and receipts too.
/// <para>
/// A transaction is stored (its ID and exact body) before it is sent and forgotten once the service
/// answered 200; it is retried with back-off until then, and no later transaction goes out before it.
/// A crash re-sends the stored transaction under the same ID, which the service de-duplicates; the
/// stored events position keeps a replayed batch from putting events in a second transaction.
/// </para>
/// </summary>
public sealed class AppserviceSender : EventStreamFollower
{
    /// <summary>Synapse's limits: at most this many events, and as many ephemeral events, per transaction.</summary>
    public const int MaxEventsPerTransaction = 100;
    public const int MaxEphemeralPerTransaction = 100;

    readonly ApplicationService _service;
    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly AppserviceApi _api;
    readonly TypingCache? _typing;
    readonly TimeProvider _time;
    readonly string _serverName;
    // One transaction at a time: the events loop and the ephemeral loop take turns.
    readonly SemaphoreSlim _sending = new(1, 1);
    readonly SemaphoreSlim _ephemeralWake = new(0, 1);
    readonly ConcurrentDictionary<string, byte> _typingRooms = new(StringComparer.Ordinal);
    AppserviceState? _state;
    IDisposable? _subscription;

    public AppserviceSender(ApplicationService service, string instance, MyelinDatabase db, IReplicationBus bus, AppserviceApi api,
        TypingCache? typing, WorkerAppPositions positions, TimeProvider time, string serverName, ILogger<AppserviceSender> log)
        : base(AppName(service.Id), instance, db, bus, positions, time, log)
    {
        _service = service;
        _db = db;
        _bus = bus;
        _api = api;
        _typing = typing;
        _time = time;
        _serverName = serverName;
    }

    public static string AppName(string appserviceId) => $"appservice:{appserviceId}";

    public ApplicationService Service => _service;

    protected override TimeSpan MaxBackoff => TimeSpan.FromSeconds(30);

    // Where a sender that never stored a position starts: where this service's transactions got to (the
    // app may have moved from another instance), which for a new service is the stream's current position.
    protected override long StartingPosition(long current) => _state?.EventsStreamId ?? current;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        while (_state is null && !ct.IsCancellationRequested)
        {
            try
            {
                _state = await _db.Appservices.GetOrCreateStateAsync(_service.Id, _bus.Position(StreamNames.Events),
                    _bus.Position(StreamNames.Receipts));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.LogWarning(e, "{Service}: reading its transaction state failed; retrying", _service);
                await Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
        if (ct.IsCancellationRequested) return;

        Task ephemeral = Task.CompletedTask;
        if (_service.ReceiveEphemeral)
        {
            _subscription = _bus.Subscribe(OnStreamUpdate);
            ephemeral = EphemeralLoopAsync(ct);
        }
        await base.ExecuteAsync(ct);
        await ephemeral;
    }

    protected override async Task HandleAsync(IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            await SendPendingAsync(ct);
            var covered = _state!.EventsStreamId;
            var interesting = new List<StoredEvent>();
            var rooms = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var e in events)
            {
                if (e.StreamOrdering <= covered) continue; // already in a transaction before a crash
                if (await IsInterestedAsync(e, rooms)) interesting.Add(e);
            }
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var chunk in interesting.Chunk(MaxEventsPerTransaction))
            {
                var body = new JsonObject
                {
                    ["events"] = new JsonArray(chunk.Select(e => (JsonNode)ClientEvents.Format(e, null, null, now)).ToArray()),
                };
                await CreateAndSendAsync(body, chunk[^1].StreamOrdering, 0, ct);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>spec / Synapse: the sender, or a membership event's target, is one of its users; the room is
    /// in its rooms namespace; one of the room's aliases is in its aliases namespace; or one of its users
    /// is a joined local member of the room.</summary>
    async Task<bool> IsInterestedAsync(StoredEvent e, Dictionary<string, bool> rooms)
    {
        if (_service.IsInterestedInEventDirectly(e.Sender, e.Type, e.StateKey, e.RoomId)) return true;
        return await IsInterestedInRoomAsync(e.RoomId, rooms);
    }

    async Task<bool> IsInterestedInRoomAsync(string roomId, Dictionary<string, bool> rooms)
    {
        if (rooms.TryGetValue(roomId, out var known)) return known;
        var aliases = await _db.Aliases.GetAliasesForRoomAsync(roomId);
        var interested = _service.IsRoomIdInNamespace(roomId) || aliases.Any(_service.IsRoomAliasInNamespace);
        if (!interested)
        {
            var members = await _db.Events.GetRoomMembershipsAsync(roomId);
            interested = members.Any(m => m.Membership == "join" && MatrixIds.ServerOf(m.UserId) == _serverName
                && _service.IsInterestedInUser(m.UserId));
        }
        rooms[roomId] = interested;
        return interested;
    }

    /// <summary>Stores the transaction (moving the positions it covers), then sends it until acknowledged.</summary>
    async Task CreateAndSendAsync(JsonObject body, long eventsUpTo, long receiptsUpTo, CancellationToken ct)
    {
        var txn = await _db.Appservices.CreateTxnAsync(_service.Id, body.ToJsonString(), eventsUpTo, receiptsUpTo);
        _state = _state! with
        {
            LastTxnId = txn.TxnId,
            EventsStreamId = Math.Max(_state.EventsStreamId, eventsUpTo),
            ReceiptsStreamId = Math.Max(_state.ReceiptsStreamId, receiptsUpTo),
        };
        await SendAsync(txn, ct);
    }

    /// <summary>Sends every stored transaction not yet acknowledged, oldest first (after a crash, or a
    /// failure that a back-off is retrying).</summary>
    async Task SendPendingAsync(CancellationToken ct)
    {
        foreach (var txn in await _db.Appservices.GetPendingTxnsAsync(_service.Id))
            await SendAsync(txn, ct);
    }

    async Task SendAsync(AppserviceTxn txn, CancellationToken ct)
    {
        var result = await _api.PushTransactionAsync(_service, txn.TxnId, txn.BodyJson, ct);
        if (!result.Ok)
            throw new AppserviceUnavailableException($"{_service}: transaction {txn.TxnId} was not acknowledged ({result.Error})");
        await _db.Appservices.CompleteTxnAsync(_service.Id, txn.TxnId);
    }

    void OnStreamUpdate(StreamUpdate u)
    {
        if (u.Stream == StreamNames.Typing)
        {
            foreach (var room in u.RoomIds) _typingRooms[room] = 0;
            WakeEphemeral();
        }
        else if (u.Stream == StreamNames.Receipts)
        {
            WakeEphemeral();
        }
    }

    void WakeEphemeral()
    {
        try { _ephemeralWake.Release(); }
        catch (SemaphoreFullException) { }
    }

    /// <summary>Typing and receipts (MSC2409, spec: "ephemeral"), for rooms the service is interested in.</summary>
    async Task EphemeralLoopAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _ephemeralWake.WaitAsync(PollInterval, ct);
            }
            catch (OperationCanceledException) { break; }
            try
            {
                await _sending.WaitAsync(ct);
                try
                {
                    await SendPendingAsync(ct);
                    await SendEphemeralAsync(ct);
                }
                finally
                {
                    _sending.Release();
                }
                failures = 0;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 16))));
                Log.LogWarning(e, "{App}: sending ephemeral events failed ({Failures} in a row); retrying in {Delay}", App, failures, delay);
                await Delay(delay, ct);
                WakeEphemeral();
            }
        }
    }

    async Task SendEphemeralAsync(CancellationToken ct)
    {
        var rooms = new Dictionary<string, bool>(StringComparer.Ordinal);
        var ephemeral = new List<JsonNode>();

        // Typing: the rooms whose list changed, as they are now (not persisted: after a crash only later
        // changes are sent, as Synapse).
        foreach (var roomId in _typingRooms.Keys.ToList())
        {
            _typingRooms.TryRemove(roomId, out _);
            if (_typing?.Get(roomId) is not { } view || !await IsInterestedInRoomAsync(roomId, rooms)) continue;
            ephemeral.Add(new JsonObject
            {
                ["type"] = "m.typing",
                ["room_id"] = roomId,
                ["content"] = new JsonObject { ["user_ids"] = new JsonArray(view.UserIds.Select(u => (JsonNode)u).ToArray()) },
            });
        }

        // Receipts: from the stored position to the bus's, in stream order, a room's receipts in one event.
        var from = _state!.ReceiptsStreamId;
        var to = _bus.Position(StreamNames.Receipts);
        var receiptsUpTo = from;
        if (to > from)
        {
            var rows = await _db.Receipts.GetAllChangedAsync(from, to, MaxEphemeralPerTransaction);
            receiptsUpTo = rows.Count == MaxEphemeralPerTransaction ? rows[^1].StreamId : to;
            foreach (var byRoom in rows.Where(r => r.ReceiptType != Receipts.ReadPrivate).GroupBy(r => r.RoomId))
            {
                if (!await IsInterestedInRoomAsync(byRoom.Key, rooms)) continue;
                var content = Receipts.Content(byRoom.Select(r => new Receipt(r.ReceiptType, r.UserId, r.EventId, r.ThreadId, r.DataJson)),
                    _service.Sender);
                if (content is null) continue;
                ephemeral.Add(new JsonObject { ["type"] = Receipts.EventType, ["room_id"] = byRoom.Key, ["content"] = content });
            }
            if (receiptsUpTo < to) WakeEphemeral(); // more to read
        }

        if (ephemeral.Count == 0)
        {
            // Nothing of interest: the position still moves, without a transaction.
            if (receiptsUpTo > from)
            {
                await _db.Appservices.AdvanceAsync(_service.Id, 0, receiptsUpTo);
                _state = _state with { ReceiptsStreamId = receiptsUpTo };
            }
            return;
        }
        var chunks = ephemeral.Chunk(MaxEphemeralPerTransaction).ToList();
        foreach (var chunk in chunks)
        {
            var list = new JsonArray(chunk.Select(n => n.DeepClone()).ToArray());
            var body = new JsonObject
            {
                ["events"] = new JsonArray(),
                ["ephemeral"] = list,
                ["de.sorunome.msc2409.ephemeral"] = list.DeepClone(),
            };
            // Only the last transaction moves the receipts position: a failure between two leaves the rest to read again.
            await CreateAndSendAsync(body, 0, chunk == chunks[^1] ? receiptsUpTo : from, ct);
        }
    }

    async Task Delay(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, _time, ct); }
        catch (OperationCanceledException) { }
    }

    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
        _sending.Dispose();
        _ephemeralWake.Dispose();
    }
}

/// <summary>The service did not acknowledge a transaction: the batch is retried after a back-off.</summary>
public sealed class AppserviceUnavailableException(string message) : Exception(message);
