using System.Text.Json;
using Microsoft.Extensions.Logging;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// Takes the rows of one non-event stream as they arrive at this process, whether written here or
/// relayed from another process over the wire: an in-memory cache of an ephemeral stream (typing,
/// presence) keeps them and publishes its own local positions on the bus.
/// </summary>
public interface IStreamRowConsumer
{
    string Stream { get; }

    /// <summary>A row, in the order this process received it. <paramref name="instance"/> names the writer.
    /// Called on the wire's thread: keep it short and thread-safe.</summary>
    void OnRow(string instance, long token, string rowJson);

    /// <summary>The wire came back after a loss: rows may have been missed.</summary>
    void OnWireReconnected() { }
}

/// <summary>
/// The replication of every stream other than events (Synapse's typing, receipts, to_device, presence,
/// account_data and push_rules streams). A writer calls <see cref="PublishAsync"/> after its row
/// committed; the row goes to this process's readers at once and to every other process as an
/// <c>RDATA</c> line in Synapse's row shape.
/// <para>
/// Persisted streams (<see cref="PersistedStreams"/>) are written with
/// <see cref="IStreamIdGenerator.WriteAtNextAsync"/>, so their rows commit in position order across
/// processes and the highest position heard is safe to read up to: the bus moves to it and wakes the
/// rooms and users the row names (its <c>room_id</c>, <c>user_id</c> or <c>entity</c>). Readers read the
/// rows themselves from the database. After the wire comes back from a loss, each persisted stream's
/// position is read again from the database and every waiter is woken, so nothing missed is lost.
/// </para>
/// <para>Ephemeral streams have an <see cref="IStreamRowConsumer"/> that keeps them in memory.</para>
/// </summary>
public sealed class StreamFanout : IDisposable
{
    /// <summary>Streams whose rows are in the database, written in position order.</summary>
    public static readonly IReadOnlyList<string> PersistedStreams =
        [StreamNames.AccountData, StreamNames.Receipts, StreamNames.ToDevice, StreamNames.PushRules];

    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly IReplicationWire? _wire;
    readonly ILogger<StreamFanout> _log;
    readonly Dictionary<string, IStreamRowConsumer> _consumers;
    readonly List<IDisposable> _subscriptions = [];

    public StreamFanout(MyelinDatabase db, IReplicationBus bus, IReplicationWire? wire, IEnumerable<IStreamRowConsumer> consumers,
        ILogger<StreamFanout> log)
    {
        _db = db;
        _bus = bus;
        _wire = wire;
        _log = log;
        _consumers = consumers.ToDictionary(c => c.Stream);
    }

    public string InstanceName => _wire?.InstanceName ?? "master";

    /// <summary>Seeds the persisted streams' positions from the database and joins the wire.</summary>
    public async Task StartAsync()
    {
        if (_wire is not null)
        {
            _subscriptions.Add(_wire.Receive(OnWireCommand));
            _subscriptions.Add(_wire.OnReconnected(() => _ = CatchUpAsync()));
        }
        foreach (var stream in PersistedStreams)
            _bus.Publish(new StreamUpdate(stream, await _db.StreamIds.CurrentCommittedAsync(stream), [], []));
    }

    /// <summary>
    /// Hands a committed row to this process's readers, then to the other processes. Completes when the
    /// wire accepted it (a failure there is logged, not thrown: the row is committed, and other processes
    /// catch up from the database when the wire returns).
    /// </summary>
    public async Task PublishAsync(string stream, long token, string rowJson)
    {
        Deliver(stream, InstanceName, token, rowJson);
        if (_wire is null) return;
        try
        {
            await _wire.SendAsync([new RdataCommand(stream, InstanceName, token, rowJson)]);
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Could not publish a {Stream} row on the replication wire", stream);
        }
    }

    void OnWireCommand(ReplicationCommand command)
    {
        if (command is not RdataCommand { Token: { } token } rdata) return;
        if (rdata.Stream == StreamNames.Events || rdata.Instance == InstanceName) return;
        try
        {
            Deliver(rdata.Stream, rdata.Instance, token, rdata.RowJson);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            _log.LogWarning("Ignoring a malformed {Stream} row: {Error}", rdata.Stream, e.Message);
        }
    }

    void Deliver(string stream, string instance, long token, string rowJson)
    {
        if (_consumers.TryGetValue(stream, out var consumer))
        {
            consumer.OnRow(instance, token, rowJson);
            return;
        }
        if (!PersistedStreams.Contains(stream)) return;
        var (rooms, users) = Whom(rowJson);
        _bus.Publish(new StreamUpdate(stream, token, rooms, users));
    }

    /// <summary>The rooms and users a row concerns: its <c>room_id</c>, and <c>user_id</c> or <c>entity</c>
    /// when that is a user ID (Synapse's row shapes).</summary>
    public static (IReadOnlyCollection<string> Rooms, IReadOnlyCollection<string> Users) Whom(string rowJson)
    {
        using var doc = JsonDocument.Parse(rowJson);
        var root = doc.RootElement;
        List<string> rooms = [];
        List<string> users = [];
        if (root.ValueKind == JsonValueKind.Object)
        {
            if (root.TryGetProperty("room_id", out var r) && r.ValueKind == JsonValueKind.String) rooms.Add(r.GetString()!);
            if (root.TryGetProperty("user_id", out var u) && u.ValueKind == JsonValueKind.String) users.Add(u.GetString()!);
            if (root.TryGetProperty("entity", out var e) && e.GetString() is { Length: > 0 } entity && entity[0] == '@') users.Add(entity);
        }
        return (rooms, users);
    }

    async Task CatchUpAsync()
    {
        try
        {
            foreach (var consumer in _consumers.Values) consumer.OnWireReconnected();
            foreach (var stream in PersistedStreams)
                if (!_consumers.ContainsKey(stream))
                    _bus.Publish(new StreamUpdate(stream, await _db.StreamIds.CurrentCommittedAsync(stream), [], [], Everyone: true));
        }
        catch (Exception e)
        {
            _log.LogWarning(e, "Catching up the non-event streams after the wire came back failed");
        }
    }

    public void Dispose()
    {
        foreach (var s in _subscriptions) s.Dispose();
    }
}
