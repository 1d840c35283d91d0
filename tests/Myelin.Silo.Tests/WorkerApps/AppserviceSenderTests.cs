using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Grains.Typing;
using Myelin.Matrix;
using Myelin.Silo.Appservices;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;
using Events = Myelin.Silo.Tests.Replication.Events;

namespace Myelin.Silo.Tests.WorkerApps;

public sealed class AppserviceSenderTests : IAsyncLifetime
{
    LocalEventsNode _node = null!;
    readonly string _room = $"!{Guid.NewGuid():N}:test";
    MyelinDatabase _db = null!;
    InMemoryReplicationBus _bus = null!;
    EventsStream _stream = null!;
    EventPersister _persister = null!;
    FakeAppservice _fake = null!;
    readonly AppserviceApi _api = new(TimeSpan.FromSeconds(5));
    readonly List<AppserviceSender> _senders = [];

    public async Task InitializeAsync()
    {
        _node = await LocalEventsNode.StartAsync("as");
        (_db, _bus, _stream, _persister) = (_node.Db, _node.Bus, _node.Stream, _node.Persister);
        _fake = new FakeAppservice();
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _senders) { await s.StopAsync(default); s.Dispose(); }
        await _fake.DisposeAsync();
        _api.Dispose();
        await _node.DisposeAsync();
    }

    ApplicationService Service(bool ephemeral = false) => new()
    {
        Id = "bridge",
        Url = _fake.Url,
        AsToken = "as-token",
        HsToken = _fake.HsToken,
        SenderLocalpart = "bridgebot",
        Sender = "@bridgebot:test",
        Users = [AppserviceNamespace.Create("@_as_.*", exclusive: true)],
        ReceiveEphemeral = ephemeral,
    };

    async Task<AppserviceSender> StartAsync(ApplicationService? service = null, TypingCache? typing = null)
    {
        var positions = new WorkerAppPositions();
        var sender = new AppserviceSender(service ?? Service(), "master", _db, _bus, _api, typing, positions, TimeProvider.System, "test",
            NullLogger<AppserviceSender>.Instance);
        _senders.Add(sender);
        await sender.StartAsync(default);
        await Events.Until(() => positions.Get(sender.App, StreamNames.Events) is not null, "the sender starting");
        return sender;
    }

    async Task StopAsync(AppserviceSender sender)
    {
        await sender.StopAsync(default);
        sender.Dispose();
        _senders.Remove(sender);
    }

    async Task<string> PersistAsync(NewEvent e)
    {
        await _persister.PersistAsync([e]);
        return e.EventId;
    }

    static List<string> Ids(IEnumerable<JsonObject> events) => events.Select(e => e["event_id"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Events_OfInterest_SentInOrder_OthersNot()
    {
        await StartAsync();
        var a = await PersistAsync(Events.Message(_room, "@_as_bob:test", "one"));
        await PersistAsync(Events.Message(_room, "@alice:test", "not for the service"));
        var b = await PersistAsync(Events.Message(_room, "@_as_bob:test", "two"));
        var c = await PersistAsync(Events.Message(_room, "@bridgebot:test", "from its sender"));

        await Events.Until(() => _fake.DistinctEvents().Count >= 3, "three events");
        await Task.Delay(200);
        Assert.Equal([a, b, c], Ids(_fake.DistinctEvents()));
        var txnIds = _fake.Requests.Select(r => r.TxnId).ToList();
        Assert.Equal(txnIds.Order(), txnIds);
        Assert.Equal(0, _fake.Unauthorized);
        var first = _fake.DistinctEvents()[0];
        Assert.Equal(_room, first["room_id"]!.GetValue<string>());
        Assert.Equal("one", first["content"]!["body"]!.GetValue<string>());
        Assert.NotNull(first["unsigned"]?["age"]);
    }

    [Fact]
    public async Task Events_InARoomWithAJoinedNamespacedUser_AllSent()
    {
        await StartAsync();
        var join = await PersistAsync(Events.Join(_room, "@_as_bob:test"));
        var message = await PersistAsync(Events.Message(_room, "@alice:test", "hello bridge"));
        var elsewhere = $"!{Guid.NewGuid():N}:test";
        await PersistAsync(Events.Message(elsewhere, "@alice:test", "not here"));
        var marker = await PersistAsync(Events.Message(elsewhere, "@_as_bob:test", "marker"));

        await Events.Until(() => Ids(_fake.DistinctEvents()).Contains(marker), "the marker");
        Assert.Equal([join, message, marker], Ids(_fake.DistinctEvents()));
    }

    [Fact]
    public async Task FailingService_SameTransactionRetried_UntilAcknowledged_ThenTheNext()
    {
        _fake.FailNext(3);
        await StartAsync();
        var a = await PersistAsync(Events.Message(_room, "@_as_bob:test", "one"));
        await Events.Until(() => _fake.Requests.Any(r => r.Status == 200), "an acknowledged transaction", 20_000);
        var b = await PersistAsync(Events.Message(_room, "@_as_bob:test", "two"));
        await Events.Until(() => _fake.DistinctEvents().Count == 2, "the second event");

        var requests = _fake.Requests.ToList();
        Assert.Equal([500, 500, 500, 200, 200], requests.Select(r => r.Status));
        Assert.Single(requests.Take(4).Select(r => r.TxnId).Distinct());
        Assert.All(requests.Take(4), r => Assert.Equal(a, Ids(r.Body["events"]!.AsArray().Select(e => e!.AsObject())).Single()));
        Assert.Equal(requests[0].TxnId + 1, requests[4].TxnId);
        Assert.Equal([a, b], Ids(_fake.DistinctEvents()));
    }

    [Fact]
    public async Task Restart_WithAnUnacknowledgedTransaction_ResendsItUnderTheSameId()
    {
        _fake.FailNext(int.MaxValue);
        var first = await StartAsync();
        var a = await PersistAsync(Events.Message(_room, "@_as_bob:test", "one"));
        var b = await PersistAsync(Events.Message(_room, "@_as_bob:test", "two"));
        await Events.Until(() => _fake.Requests.Count >= 2, "the first transaction tried twice");
        await StopAsync(first);
        var failed = _fake.Requests.Last();

        _fake.FailNext(0);
        await StartAsync();
        var c = await PersistAsync(Events.Message(_room, "@_as_bob:test", "three"));
        await Events.Until(() => Ids(_fake.DistinctEvents()).Contains(c), "the event after the restart");

        var acknowledged = _fake.Requests.Where(r => r.Status == 200).ToList();
        Assert.Equal(failed.TxnId, acknowledged[0].TxnId);
        Assert.Equal(failed.Body.ToJsonString(), acknowledged[0].Body.ToJsonString());
        Assert.Equal([a, b, c], Ids(_fake.DistinctEvents()));
        // Every event went out in one transaction ID only.
        var txnsPerEvent = _fake.Requests.SelectMany(r => Ids(r.Body["events"]!.AsArray().Select(e => e!.AsObject())).Select(id => (id, r.TxnId)))
            .Distinct().GroupBy(x => x.id);
        Assert.All(txnsPerEvent, g => Assert.Single(g));
    }

    [Fact]
    public async Task Ephemeral_ReceiptsAndTyping_InRoomsOfInterest_WhenAsked()
    {
        using var typing = new TypingCache(_bus, TimeProvider.System);
        await PersistAsync(Events.Join(_room, "@_as_bob:test"));
        var message = await PersistAsync(Events.Message(_room, "@alice:test", "read me"));
        await StartAsync(Service(ephemeral: true), typing);

        var position = await _db.Receipts.PutReceiptAsync(_room, Receipts.Read, "@alice:test", null, message, 1, """{"ts":1}""");
        _bus.Publish(new StreamUpdate(StreamNames.Receipts, position!.Value, [_room], ["@alice:test"]));
        typing.OnRow("master", 1, new TypingStreamRow(_room, ["@alice:test"]).ToJson());

        await Events.Until(() => _fake.DistinctEphemeral().Select(e => e["type"]!.GetValue<string>()).Distinct().Count() == 2,
            "a receipt and a typing notification");
        var ephemeral = _fake.DistinctEphemeral();
        var receipt = ephemeral.Single(e => e["type"]!.GetValue<string>() == "m.receipt");
        Assert.Equal(_room, receipt["room_id"]!.GetValue<string>());
        Assert.NotNull(receipt["content"]![message]!["m.read"]!["@alice:test"]);
        var typed = ephemeral.Single(e => e["type"]!.GetValue<string>() == "m.typing");
        Assert.Equal("@alice:test", typed["content"]!["user_ids"]![0]!.GetValue<string>());
        Assert.All(_fake.Requests.Where(r => r.Body["ephemeral"] is not null),
            r => Assert.Equal(r.Body["ephemeral"]!.ToJsonString(), r.Body["de.sorunome.msc2409.ephemeral"]!.ToJsonString()));
    }

    [Fact]
    public async Task Ephemeral_NotAsked_NoneSent()
    {
        using var typing = new TypingCache(_bus, TimeProvider.System);
        await PersistAsync(Events.Join(_room, "@_as_bob:test"));
        await StartAsync(Service(ephemeral: false), typing);
        typing.OnRow("master", 1, new TypingStreamRow(_room, ["@alice:test"]).ToJson());
        var marker = await PersistAsync(Events.Message(_room, "@_as_bob:test", "marker"));
        await Events.Until(() => Ids(_fake.DistinctEvents()).Contains(marker), "the marker");
        Assert.Empty(_fake.DistinctEphemeral());
    }
}
