using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Tests.Replication;
using Myelin.Silo.WorkerApps;
using Myelin.Silo.WorkerApps.Pusher;
using Myelin.Storage;

namespace Myelin.Silo.Tests.WorkerApps;

/// <summary>The pusher app against a real database and events stream, with a fake push gateway client: who is
/// notified, per-pusher retries, resuming after a restart, and the split between instances.</summary>
public sealed class PusherWorkerTests : IAsyncLifetime
{
    LocalEventsNode _node = null!;
    MyelinDatabase _db = null!;
    InMemoryReplicationBus _bus = null!;
    EventsStream _stream = null!;
    EventPersister _persister = null!;
    readonly string _room = $"!{Guid.NewGuid():N}:test";
    readonly FakeGateway _gateway = new();
    readonly List<PusherWorker> _workers = [];

    static readonly PusherSettings Fast = new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200), RefreshInterval = TimeSpan.FromMilliseconds(200),
    };

    sealed class FakeGateway : IPushGatewayClient
    {
        public readonly ConcurrentQueue<(string Url, JsonObject Body)> Received = new();
        public readonly ConcurrentDictionary<string, bool> FailingUrls = new();

        public Task<PushOutcome> NotifyAsync(string url, JsonObject body, CancellationToken ct)
        {
            if (FailingUrls.ContainsKey(url)) return Task.FromResult(PushOutcome.Failed("down"));
            Received.Enqueue((url, body));
            return Task.FromResult(new PushOutcome(true, []));
        }

        public List<string> EventsTo(string url) => Received.Where(r => r.Url == url)
            .Select(r => (string?)r.Body["notification"]!["event_id"]).OfType<string>().ToList();
    }

    public async Task InitializeAsync()
    {
        _node = await LocalEventsNode.StartAsync("pusher");
        (_db, _bus, _stream, _persister) = (_node.Db, _node.Bus, _node.Stream, _node.Persister);
    }

    public async Task DisposeAsync()
    {
        foreach (var w in _workers) await w.StopAsync(default);
        await _node.DisposeAsync();
    }

    static string Url(string who) => $"https://{who}.push.test/_matrix/push/v1/notify";

    async Task AddPusherAsync(string user, string gateway) =>
        await _db.Pushers.UpsertAsync(new Storage.Pusher(user, "app", "key-" + user, "http", "App", "Dev", "", "en",
            new JsonObject { ["url"] = Url(gateway) }.ToJsonString(), 1_700_000_000_000, "DEV", _bus.Position(StreamNames.Events),
            null, null));

    async Task<PusherWorker> StartAsync(string instance = "master", IReadOnlyList<string>? instances = null)
    {
        var pool = new PusherPool(_db, _bus, _gateway, Fast, instance, instances ?? [instance], TimeProvider.System, NullLogger.Instance);
        var worker = new PusherWorker(_db, _bus, new WorkerAppPositions(), pool, Fast, instance, TimeProvider.System, NullLogger.Instance);
        await worker.StartAsync(default);
        _workers.Add(worker);
        return worker;
    }

    async Task StopAsync(PusherWorker worker)
    {
        await worker.StopAsync(default);
        _workers.Remove(worker);
    }

    /// <summary>A message from Alice whose push actions notify <paramref name="users"/>.</summary>
    async Task<string> SendAsync(params string[] users)
    {
        var e = Events.Message(_room, "@alice:test") with
        {
            PushActions = users.Select(u => new NewPushAction(u, """["notify",{"set_tweak":"sound","value":"default"}]""", true, false)).ToList(),
        };
        await _persister.PersistAsync([e]);
        return e.EventId;
    }

    [Fact]
    public async Task Notifies_ExactlyTheUsersWithActionsAndPushers()
    {
        await AddPusherAsync("@bob:test", "bob");
        await AddPusherAsync("@dave:test", "dave");
        await StartAsync();
        var first = await SendAsync("@bob:test", "@carol:test"); // Carol has no pusher
        var second = await SendAsync("@dave:test");              // not Bob's business

        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count == 1 && _gateway.EventsTo(Url("dave")).Count == 1, "two pushes");
        Assert.Equal([first], _gateway.EventsTo(Url("bob")));
        Assert.Equal([second], _gateway.EventsTo(Url("dave")));
        var body = _gateway.Received.First(r => r.Url == Url("bob")).Body["notification"]!;
        Assert.Equal("high", (string)body["prio"]!);
        Assert.Equal("key-@bob:test", (string)body["devices"]![0]!["pushkey"]!);
        Assert.Equal("""{"sound":"default"}""", body["devices"]![0]!["tweaks"]!.ToJsonString());
    }

    [Fact]
    public async Task AFailingGateway_HoldsUpOnlyItsOwnPusher_ThenCatchesUpInOrder()
    {
        await AddPusherAsync("@bob:test", "bob");
        await AddPusherAsync("@carol:test", "carol");
        _gateway.FailingUrls[Url("bob")] = true;
        await StartAsync();
        var sent = new List<string>();
        for (var i = 0; i < 4; i++) sent.Add(await SendAsync("@bob:test", "@carol:test"));

        await Replication.Events.Until(() => _gateway.EventsTo(Url("carol")).Count == 4, "Carol's four pushes while Bob's gateway is down");
        Assert.Equal(sent, _gateway.EventsTo(Url("carol")));
        Assert.Empty(_gateway.EventsTo(Url("bob")));
        var stored = await _db.Pushers.GetAsync("@bob:test", "app", "key-@bob:test");
        Assert.NotNull(stored!.FailingSince);

        _gateway.FailingUrls.TryRemove(Url("bob"), out _);
        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count == 4, "Bob's pushes after his gateway came back");
        Assert.Equal(sent, _gateway.EventsTo(Url("bob")));
        await Replication.Events.Until(() => _db.Pushers.GetAsync("@bob:test", "app", "key-@bob:test").Result!.FailingSince is null,
            "the failure cleared");
    }

    [Fact]
    public async Task Restart_ResumesAfterTheLastDelivered_NothingLost()
    {
        await AddPusherAsync("@bob:test", "bob");
        var first = await StartAsync();
        var before = new List<string> { await SendAsync("@bob:test"), await SendAsync("@bob:test") };
        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count == 2, "two pushes");
        await StopAsync(first);

        var whileDown = new List<string> { await SendAsync("@bob:test"), await SendAsync("@bob:test"), await SendAsync("@bob:test") };
        await StartAsync();
        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count == 5, "the three sent while down");
        Assert.Equal([.. before, .. whileDown], _gateway.EventsTo(Url("bob")));
        Assert.Equal(_bus.Position(StreamNames.Events), (await _db.Pushers.GetAsync("@bob:test", "app", "key-@bob:test"))!.LastStreamOrdering);
    }

    [Fact]
    public async Task TwoInstances_EachUserServedByExactlyOne()
    {
        // By Synapse's hash over [a, b]: @alice:test -> a, @bob:test -> b (see PusherShardsTests).
        await AddPusherAsync("@alice:test", "alice");
        await AddPusherAsync("@bob:test", "bob");
        var a = await StartAsync("a", ["a", "b"]);
        var b = await StartAsync("b", ["a", "b"]);
        var id = await SendAsync("@alice:test", "@bob:test");
        await Replication.Events.Until(() => _gateway.Received.Count >= 2, "both pushes");
        await Task.Delay(300);
        Assert.Equal([id], _gateway.EventsTo(Url("alice")));
        Assert.Equal([id], _gateway.EventsTo(Url("bob")));
        Assert.Equal(2, _gateway.Received.Count);
    }

    [Fact]
    public async Task PusherAddedAndDeletedWhileRunning_PickedUpAndDropped()
    {
        await StartAsync();
        await AddPusherAsync("@bob:test", "bob");
        // No announcement on the pushers stream here: the periodic refresh finds it.
        await Task.Delay(500);
        var id = await SendAsync("@bob:test");
        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count == 1, "the push to the new pusher");
        Assert.Equal([id], _gateway.EventsTo(Url("bob")));

        await _db.Pushers.DeleteAsync("@bob:test", "app", "key-@bob:test");
        await SendAsync("@bob:test");
        await Task.Delay(500);
        Assert.Single(_gateway.EventsTo(Url("bob")));
    }

    [Fact]
    public async Task PusherSetAgain_StartsOverFromThen_OlderUnsentNotificationsDropped()
    {
        await AddPusherAsync("@bob:test", "bob");
        _gateway.FailingUrls[Url("bob")] = true;
        await StartAsync();
        await SendAsync("@bob:test");
        await SendAsync("@bob:test");
        await Task.Delay(200);

        // The client sets its pusher again (as apps do on every start): Synapse starts it from the current position.
        var stored = (await _db.Pushers.GetAsync("@bob:test", "app", "key-@bob:test"))!;
        await _db.Pushers.UpsertAsync(stored with { PushkeyTs = stored.PushkeyTs + 1000, LastStreamOrdering = _bus.Position(StreamNames.Events) });
        await Task.Delay(500);
        _gateway.FailingUrls.TryRemove(Url("bob"), out _);
        var after = await SendAsync("@bob:test");
        await Replication.Events.Until(() => _gateway.EventsTo(Url("bob")).Count >= 1, "the push after the new set");
        await Task.Delay(300);
        Assert.Equal([after], _gateway.EventsTo(Url("bob")));
    }
}
