using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using StackExchange.Redis;

namespace Myelin.Silo.Replication;

/// <summary>
/// The replication bus of a clustered process (<c>redis.enabled: true</c>): Synapse's replication lines
/// (RDATA, POSITION, PING, REPLICATE) published on the Redis channel named after the server, as Synapse
/// workers do, so <c>redis-cli SUBSCRIBE &lt;server_name&gt;</c> shows the live stream. Every process reads
/// the channel; <see cref="EventsStream"/> turns what it reads into local stream updates, delivered to
/// this process's subscribers (the sync notifier, sync grains) exactly as the in-memory bus does.
/// </summary>
public sealed class RedisReplicationBus : IReplicationBus, IReplicationWire, IAsyncDisposable
{
    readonly InMemoryReplicationBus _local = new();
    readonly string _connectionString;
    readonly RedisChannel _channel;
    readonly ILogger<RedisReplicationBus> _log;
    readonly object _gate = new();
    Action<ReplicationCommand>[] _receivers = [];
    Action[] _reconnected = [];
    ConnectionMultiplexer? _redis;
    ISubscriber? _subscriber;
    ChannelMessageQueue? _queue;

    /// <summary>A bus for the channel <paramref name="serverName"/>; <see cref="ConnectAsync"/> joins it.</summary>
    public RedisReplicationBus(string connectionString, string serverName, string instanceName, ILogger<RedisReplicationBus> log)
    {
        _connectionString = connectionString;
        _channel = RedisChannel.Literal(serverName);
        InstanceName = instanceName;
        _log = log;
    }

    /// <summary>Connects and subscribes to the channel.</summary>
    public async Task ConnectAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(_connectionString);
        _redis.ConnectionRestored += OnConnectionRestored;
        _subscriber = _redis.GetSubscriber();
        // A ChannelMessageQueue hands the lines over one at a time, in the order Redis relayed them.
        _queue = await _subscriber.SubscribeAsync(_channel);
        _queue.OnMessage(OnMessage);
    }

    ISubscriber Subscriber => _subscriber ?? throw new InvalidOperationException("the Redis replication bus is not connected");

    public string InstanceName { get; }

    // ------------------------------------------------------------------ IReplicationBus: this process

    public void Publish(StreamUpdate update) => _local.Publish(update);
    public IDisposable Subscribe(Action<StreamUpdate> handler) => _local.Subscribe(handler);
    public long Position(string stream) => _local.Position(stream);

    // ------------------------------------------------------------------ IReplicationWire: between processes

    public async Task SendAsync(IReadOnlyList<ReplicationCommand> commands)
    {
        // Issued back to back on one connection, so Redis relays them in this order.
        var sends = new Task[commands.Count];
        for (var i = 0; i < commands.Count; i++) sends[i] = Subscriber.PublishAsync(_channel, commands[i].ToLine());
        await Task.WhenAll(sends);
    }

    public IDisposable Receive(Action<ReplicationCommand> handler)
    {
        lock (_gate) _receivers = [.. _receivers, handler];
        return new Unsubscriber(() => { lock (_gate) _receivers = [.. _receivers.Where(h => h != handler)]; });
    }

    public IDisposable OnReconnected(Action handler)
    {
        lock (_gate) _reconnected = [.. _reconnected, handler];
        return new Unsubscriber(() => { lock (_gate) _reconnected = [.. _reconnected.Where(h => h != handler)]; });
    }

    void OnMessage(ChannelMessage message)
    {
        ReplicationCommand? command;
        try
        {
            command = ReplicationCommand.Parse(message.Message.ToString());
        }
        catch (FormatException e)
        {
            _log.LogWarning("Ignoring a malformed replication line: {Error}", e.Message);
            return;
        }
        if (command is null) return;
        foreach (var r in _receivers) r(command);
    }

    void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        _log.LogInformation("Redis replication connection restored; catching up");
        foreach (var h in _reconnected) h();
    }

    public async ValueTask DisposeAsync()
    {
        if (_queue is not null)
        {
            // Unsubscribing needs a live connection; when Redis is down (or restarting) closing the
            // connection below drops the subscription anyway, so shutting down must not fail on it.
            try { await _queue.UnsubscribeAsync(); }
            catch (RedisConnectionException e) { _log.LogDebug("Unsubscribe skipped at shutdown: {Error}", e.Message); }
        }
        if (_redis is null) return;
        _redis.ConnectionRestored -= OnConnectionRestored;
        await _redis.CloseAsync();
        _redis.Dispose();
    }

    sealed class Unsubscriber(Action dispose) : IDisposable
    {
        public void Dispose() => dispose();
    }
}
