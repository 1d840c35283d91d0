using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Replication;
using Myelin.Storage;
using Npgsql;
using Xunit.Sdk;

namespace Myelin.Silo.Tests.Replication;

/// <summary>Where the Redis and PostgreSQL tests run: MYELIN_TEST_REDIS (host:port) and MYELIN_TEST_POSTGRES.</summary>
public static class TestServers
{
    public static string? Redis => Environment.GetEnvironmentVariable("MYELIN_TEST_REDIS") is { Length: > 0 } s ? s : null;
    public static string? Postgres => Environment.GetEnvironmentVariable("MYELIN_TEST_POSTGRES") is { Length: > 0 } s ? s : null;
    static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skipped only locally without servers; under CI=true the test runs, and fails without them.</summary>
    public static string? SkipReason => (Redis is null || Postgres is null) && !IsCi
        ? "MYELIN_TEST_REDIS / MYELIN_TEST_POSTGRES not set (run: eval \"$(bash scripts/services.sh start)\")" : null;

    public static string RequireRedis() => Redis ?? throw new XunitException("MYELIN_TEST_REDIS must be set when CI=true");
    public static string RequirePostgres() => Postgres ?? throw new XunitException("MYELIN_TEST_POSTGRES must be set when CI=true");
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class ServersFactAttribute : FactAttribute
{
    public ServersFactAttribute() => Skip = TestServers.SkipReason!;
}

/// <summary>A fresh PostgreSQL database for one test, dropped afterwards.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    readonly string _name = "myelin_repl_" + Guid.NewGuid().ToString("N")[..16];
    public DatabaseOptions Options { get; private set; } = null!;

    public static async Task<TestDatabase> CreateAsync()
    {
        var t = new TestDatabase();
        await using (var admin = new NpgsqlConnection(TestServers.RequirePostgres()))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {t._name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        var b = new NpgsqlConnectionStringBuilder(TestServers.RequirePostgres()) { Database = t._name };
        t.Options = new DatabaseOptions(DatabaseEngine.Postgres, b.ToString());
        return t;
    }

    public async ValueTask DisposeAsync()
    {
        await using var admin = new NpgsqlConnection(TestServers.RequirePostgres());
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// What one clustered process holds of the replication machinery: its own database pool, a Redis bus,
/// the events stream, the recent-events cache and an event persister. A test runs several in one process.
/// </summary>
public sealed class Node : IAsyncDisposable
{
    public required string Instance { get; init; }
    public required MyelinDatabase Db { get; init; }
    public required RedisReplicationBus Bus { get; init; }
    public required RecentEventsCache Cache { get; init; }
    public required EventsStream Stream { get; init; }
    public required EventPersister Persister { get; init; }
    public required GatedEventStore Gate { get; init; }
    public PausableWire? Wire { get; init; }

    public static async Task<Node> StartAsync(DatabaseOptions database, string serverName, string instance, bool pausable = false)
    {
        var db = await MyelinDatabase.OpenAsync(database);
        var bus = new RedisReplicationBus(TestServers.RequireRedis(), serverName, instance, NullLogger<RedisReplicationBus>.Instance);
        await bus.ConnectAsync();
        var wire = pausable ? new PausableWire(bus) : null;
        var cache = new RecentEventsCache();
        var stream = new EventsStream(db, bus, cache, (IReplicationWire?)wire ?? bus, TimeProvider.System, NullLogger<EventsStream>.Instance);
        await stream.StartAsync();
        var gate = GatedEventStore.Wrap(db.Events);
        var persister = new EventPersister((IEventStore)(object)gate, db.StreamIds, stream, cache, NullLogger<EventPersister>.Instance);
        return new Node { Instance = instance, Db = db, Bus = bus, Cache = cache, Stream = stream, Persister = persister, Gate = gate, Wire = wire };
    }

    public async Task<long> SendAsync(NewEvent e) => (await Persister.PersistAsync([e]))[0];

    public async ValueTask DisposeAsync()
    {
        Gate.Open();
        await Persister.DisposeAsync();
        await Stream.DisposeAsync();
        await Bus.DisposeAsync();
        await Db.DisposeAsync();
    }
}

/// <summary>A wire that drops what arrives while paused: a process that was stopped, or lost Redis, for a while.</summary>
public sealed class PausableWire(IReplicationWire inner) : IReplicationWire
{
    volatile bool _paused;
    public void Pause() => _paused = true;
    public void Resume() => _paused = false;
    public string InstanceName => inner.InstanceName;
    public Task SendAsync(IReadOnlyList<ReplicationCommand> commands) => _paused ? Task.CompletedTask : inner.SendAsync(commands);
    public IDisposable Receive(Action<ReplicationCommand> handler) => inner.Receive(c => { if (!_paused) handler(c); });
    public IDisposable OnReconnected(Action handler) => inner.OnReconnected(handler);
}

/// <summary>An event store whose PersistEventsAsync can be held at the gate, after positions were
/// allocated and before the transaction commits: forces "the lower position commits last".</summary>
public class GatedEventStore : DispatchProxy
{
    IEventStore _inner = null!;
    volatile TaskCompletionSource _gate = Opened();
    public TaskCompletionSource<long[]> Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    static TaskCompletionSource Opened()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    public static GatedEventStore Wrap(IEventStore inner)
    {
        var proxy = Create<IEventStore, GatedEventStore>();
        var gate = (GatedEventStore)(object)proxy;
        gate._inner = inner;
        return gate;
    }

    public void Close()
    {
        Entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Open() => _gate.TrySetResult();

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        if (method!.Name == nameof(IEventStore.PersistEventsAsync)) return PersistAsync((IReadOnlyList<(NewEvent, long)>)args![0]!);
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    async Task PersistAsync(IReadOnlyList<(NewEvent Event, long Position)> rows)
    {
        Entered.TrySetResult([.. rows.Select(r => r.Position)]);
        await _gate.Task;
        await _inner.PersistEventsAsync(rows);
    }
}

public static class Events
{
    static long _depth;

    public static NewEvent Message(string roomId, string sender, string body = "hi") =>
        Create(roomId, "m.room.message", null, sender, new { msgtype = "m.text", body }, null);

    public static NewEvent Join(string roomId, string userId) =>
        Create(roomId, "m.room.member", userId, userId, new { membership = "join" }, "join");

    static NewEvent Create(string roomId, string type, string? stateKey, string sender, object content, string? membership)
    {
        var eventId = "$" + Guid.NewGuid().ToString("N");
        var depth = Interlocked.Increment(ref _depth);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var json = JsonSerializer.Serialize(new
        {
            event_id = eventId, room_id = roomId, type, state_key = stateKey, sender, depth, origin_server_ts = ts, content,
        });
        return new NewEvent(eventId, roomId, type, stateKey, sender, depth, ts, json, membership);
    }

    public static async Task Until(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new XunitException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
