using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Tests.Replication;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;

namespace Myelin.Silo.Tests.WorkerApps;

public sealed class EventStreamFollowerTests : IAsyncLifetime
{
    LocalEventsNode _node = null!;
    MyelinDatabase _db = null!;
    InMemoryReplicationBus _bus = null!;
    EventsStream _stream = null!;
    EventPersister _persister = null!;
    readonly string _room = $"!{Guid.NewGuid():N}:test";

    public async Task InitializeAsync()
    {
        _node = await LocalEventsNode.StartAsync("follower");
        (_db, _bus, _stream, _persister) = (_node.Db, _node.Bus, _node.Stream, _node.Persister);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
    }

    sealed class Recorder(MyelinDatabase db, IReplicationBus bus, WorkerAppPositions positions, int failFirst = 0)
        : EventStreamFollower("recorder", "master", db, bus, positions, TimeProvider.System, NullLogger.Instance)
    {
        int _failures = failFirst;
        public readonly ConcurrentQueue<string> Seen = new();
        protected override TimeSpan MaxBackoff => TimeSpan.FromMilliseconds(50);
        protected override int BatchSize => 3;

        protected override Task HandleAsync(IReadOnlyList<StoredEvent> events, CancellationToken ct)
        {
            if (events.Count > 0 && _failures-- > 0) throw new InvalidOperationException("receiver down");
            foreach (var e in events) Seen.Enqueue(e.EventId);
            return Task.CompletedTask;
        }
    }

    async Task<List<string>> SendAsync(int n)
    {
        var ids = new List<string>();
        for (var i = 0; i < n; i++)
        {
            var e = Events.Message(_room, "@alice:test", $"m{i}");
            await _persister.PersistAsync([e]);
            ids.Add(e.EventId);
        }
        return ids;
    }

    [Fact]
    public async Task Follows_FromWhereItStopped_NeitherSkippingNorRepeating()
    {
        await SendAsync(2); // before the app ever ran: not its business
        var positions = new WorkerAppPositions();
        var first = new Recorder(_db, _bus, positions);
        await first.StartAsync(default);
        await Replication.Events.Until(() => positions.Get("recorder", StreamNames.Events) is not null, "the app starting");
        var batch1 = await SendAsync(7);
        await Replication.Events.Until(() => first.Seen.Count == 7, "seven events handled");
        await first.StopAsync(default);
        Assert.Equal(batch1, first.Seen);

        var batch2 = await SendAsync(4); // while it is down
        var second = new Recorder(_db, _bus, new WorkerAppPositions());
        await second.StartAsync(default);
        await Replication.Events.Until(() => second.Seen.Count == 4, "the four sent while down");
        Assert.Equal(batch2, second.Seen);
        await second.StopAsync(default);
        Assert.Equal(_bus.Position(StreamNames.Events), await _db.WorkerAppPositions.GetAsync("recorder", "master", StreamNames.Events));
    }

    [Fact]
    public async Task AFailingBatch_IsRetried_NotSkipped()
    {
        var positions = new WorkerAppPositions();
        var app = new Recorder(_db, _bus, positions, failFirst: 2);
        await app.StartAsync(default);
        await Replication.Events.Until(() => positions.Get("recorder", StreamNames.Events) is not null, "the app starting");
        var sent = await SendAsync(5);
        await Replication.Events.Until(() => app.Seen.Count >= 5, "every event handled after two failures");
        await app.StopAsync(default);
        Assert.Equal(sent, app.Seen.Distinct());
    }
}
