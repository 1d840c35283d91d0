using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using StackExchange.Redis;

namespace Myelin.Silo.Tests.Replication;

/// <summary>The replication bus on real Redis and PostgreSQL: several "processes" (nodes) in one test
/// process, each with its own bus, events stream and persister, over one database.</summary>
public sealed class RedisReplicationTests
{
    static string NewServerName() => $"repl-{Guid.NewGuid():N}.test";

    [ServersFact]
    public async Task Persist_OnRedis_RawSubscriberSeesRdataThenPosition()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = NewServerName();
        await using var raw = await ConnectionMultiplexer.ConnectAsync(TestServers.RequireRedis());
        var lines = new ConcurrentQueue<string>();
        var queue = await raw.GetSubscriber().SubscribeAsync(RedisChannel.Literal(server));
        queue.OnMessage(m => lines.Enqueue(m.Message.ToString()));
        await using var a = await Node.StartAsync(database.Options, server, "persister1");

        var room = $"!{Guid.NewGuid():N}:test";
        var e = Events.Message(room, "@alice:test", "hello world");
        var position = await a.SendAsync(e);

        var rdata = $"RDATA events persister1 {position} [\"ev\",[\"{e.EventId}\",\"{room}\",\"m.room.message\",null,null,null,null,false,false]]";
        await Events.Until(() => lines.Contains(rdata), "the RDATA line");
        await Events.Until(() => lines.SkipWhile(l => l != rdata).Any(l => l.StartsWith("POSITION events persister1 ") && l.EndsWith($" {position}")),
            "a POSITION after the RDATA reaching its token");

        // REPLICATE asks every writer for its position.
        var before = lines.Count;
        await raw.GetSubscriber().PublishAsync(RedisChannel.Literal(server), "REPLICATE");
        await Events.Until(() => lines.Skip(before).Any(l => l == $"POSITION events persister1 {position} {position}"), "the answer to REPLICATE");
    }

    [ServersFact]
    public async Task TwoBuses_OneRedis_DeliverEachOthersEvents()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = NewServerName();
        await using var a = await Node.StartAsync(database.Options, server, "persister1");
        await using var b = await Node.StartAsync(database.Options, server, "persister2");
        var seenByA = new ConcurrentQueue<StreamUpdate>();
        var seenByB = new ConcurrentQueue<StreamUpdate>();
        using var subA = a.Bus.Subscribe(seenByA.Enqueue);
        using var subB = b.Bus.Subscribe(seenByB.Enqueue);

        var roomA = $"!{Guid.NewGuid():N}:test";
        var roomB = $"!{Guid.NewGuid():N}:test";
        var fromA = Events.Join(roomA, "@carol:test");
        var pa = await a.SendAsync(fromA);
        var fromB = Events.Message(roomB, "@bob:test");
        var pb = await b.SendAsync(fromB);

        await Events.Until(() => seenByB.Any(u => u.RoomIds.Contains(roomA) && u.UserIds.Contains("@carol:test") && u.Position >= pa), "B hearing A's event");
        await Events.Until(() => seenByA.Any(u => u.RoomIds.Contains(roomB) && u.Position >= pb), "A hearing B's event");
        await Events.Until(() => a.Bus.Position(StreamNames.Events) >= Math.Max(pa, pb) && b.Bus.Position(StreamNames.Events) >= Math.Max(pa, pb), "both at the top");

        // Each other's events came whole over the wire (myelin_events lines): no database read.
        Assert.Equal(0, a.Stream.RangeReads);
        Assert.Equal(0, b.Stream.RangeReads);
        // Each process's cache now serves the other's event.
        Assert.True(b.Cache.TryGetRange(new HashSet<string> { roomA }, pa - 1, pa, out var inB));
        Assert.Equal(fromA.EventId, Assert.Single(inB).EventId);
        Assert.True(a.Cache.TryGetRange(new HashSet<string> { roomB }, pb - 1, pb, out var inA));
        Assert.Equal(fromB.EventId, Assert.Single(inA).EventId);
    }

    [ServersFact]
    public async Task Consumer_MissedLines_CatchesUpFromTheDatabaseWithoutLossOrRepeat()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = NewServerName();
        await using var writer = await Node.StartAsync(database.Options, server, "persister1");
        await using var reader = await Node.StartAsync(database.Options, server, "reader1", pausable: true);
        var room = $"!{Guid.NewGuid():N}:test";
        var start = reader.Bus.Position(StreamNames.Events);
        var sent = new List<(string Id, long Position)>();

        async Task Send(int n)
        {
            for (var i = 0; i < n; i++)
            {
                var e = Events.Message(room, "@alice:test", $"m{sent.Count}");
                sent.Add((e.EventId, await writer.SendAsync(e)));
            }
        }

        await Send(3);
        await Events.Until(() => reader.Bus.Position(StreamNames.Events) >= sent[^1].Position, "the reader at the first rows");
        reader.Wire!.Pause();
        await Send(5);
        await Task.Delay(200);
        Assert.True(reader.Bus.Position(StreamNames.Events) < sent[^1].Position, "a paused reader does not move");
        reader.Wire.Resume();
        await Send(1);

        await Events.Until(() => reader.Bus.Position(StreamNames.Events) >= sent[^1].Position, "the reader caught up");
        Assert.True(reader.Stream.GapsDetected >= 1, "the POSITION's prev token showed the gap");
        Assert.True(reader.Cache.TryGetRange(new HashSet<string> { room }, start, reader.Bus.Position(StreamNames.Events), out var got));
        Assert.Equal(sent.Select(s => s.Id), got.Select(e => e.EventId));
        Assert.Equal(sent.Select(s => s.Position), got.Select(e => e.StreamOrdering));
    }

    [ServersFact]
    public async Task Consumer_RedisConnectionKilled_ReconnectsAndCatchesUp()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = NewServerName();
        await using var writer = await Node.StartAsync(database.Options, server, "persister1");
        await using var reader = await Node.StartAsync(database.Options, server, "reader1");
        var room = $"!{Guid.NewGuid():N}:test";
        var start = reader.Bus.Position(StreamNames.Events);
        var ids = new List<string>();
        long last = 0;
        for (var i = 0; i < 3; i++)
        {
            var e = Events.Message(room, "@alice:test");
            ids.Add(e.EventId);
            last = await writer.SendAsync(e);
        }
        await Events.Until(() => reader.Bus.Position(StreamNames.Events) >= last, "the reader at the first rows");

        // Every pub/sub connection is dropped (the writer's and the reader's alike); both reconnect.
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(TestServers.RequireRedis() + ",allowAdmin=true"))
            await admin.GetServer(admin.GetEndPoints()[0]).ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
        for (var i = 0; i < 4; i++)
        {
            var e = Events.Message(room, "@alice:test");
            ids.Add(e.EventId);
            last = await writer.SendAsync(e);
        }

        await Events.Until(() => reader.Bus.Position(StreamNames.Events) >= last, "the reader caught up after reconnecting", 20_000);
        Assert.True(reader.Cache.TryGetRange(new HashSet<string> { room }, start, reader.Bus.Position(StreamNames.Events), out var got));
        Assert.Equal(ids, got.Select(e => e.EventId));
    }

    /// <summary>
    /// Two writers; the lower position commits after the higher one. A sync taken in between stops below
    /// the gap; the next one delivers the late event, and the other, exactly once.
    /// </summary>
    [ServersFact]
    public async Task IncrementalSync_LowerPositionCommitsLate_NeverSkippedNeverRepeated()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = NewServerName();
        await using var a = await Node.StartAsync(database.Options, server, "persister1");
        await using var b = await Node.StartAsync(database.Options, server, "persister2");
        await using var c = await Node.StartAsync(database.Options, server, "gateway1");
        var room = $"!{Guid.NewGuid():N}:test";
        var user = $"@u{Guid.NewGuid():N}:test";
        var joined = await a.SendAsync(Events.Join(room, user));
        await b.SendAsync(Events.Message(room, user, "warm-up from B"));
        await Events.Until(() => c.Bus.Position(StreamNames.Events) >= joined + 1, "the reader past the join");
        var (_, token0) = await SyncAsync(c, user, null);

        // A draws the lower position and stalls before committing it; B then commits a higher one.
        a.Gate.Close();
        var late = Events.Message(room, user, "late, lower position");
        var lateTask = a.Persister.PersistAsync([late]);
        var lowPosition = (await a.Gate.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10)))[0];
        var early = Events.Message(room, user, "early, higher position");
        var highPosition = await b.SendAsync(early);
        Assert.True(highPosition > lowPosition);
        await Events.Until(() => c.Stream.WriterPosition("persister2") >= highPosition, "the reader hearing B's commit");
        await Task.Delay(100);

        var (between, token1) = await SyncAsync(c, user, token0);
        Assert.True(token1.Events < lowPosition, $"a sync in between stops below the gap ({token1.Events} < {lowPosition})");
        Assert.DoesNotContain(early.EventId, TimelineIds(between, room));
        Assert.True(b.Bus.Position(StreamNames.Events) < lowPosition, "the writer of the higher position does not read past the gap either");

        a.Gate.Open();
        Assert.Equal(lowPosition, (await lateTask)[0]);
        await Events.Until(() => c.Bus.Position(StreamNames.Events) >= highPosition, "the reader past both");

        var (after, token2) = await SyncAsync(c, user, token1);
        Assert.Equal([late.EventId, early.EventId], TimelineIds(after, room).Where(id => id == late.EventId || id == early.EventId));
        var (again, _) = await SyncAsync(c, user, token2);
        Assert.Empty(TimelineIds(again, room));
    }

    // What SyncGrain.Sync does, on one node's bus and cache.
    static async Task<(JsonObject Body, SyncToken Next)> SyncAsync(Node n, string user, SyncToken? since)
    {
        var upTo = SyncToken.Current(n.Bus);
        if (since is { } s && s.Events > upTo.Events) upTo = upTo with { Events = s.Events };
        var builder = new SyncBuilder(n.Db, n.Cache, user, "DEVICE", SyncFilter.Default, since, upTo, fullState: false);
        var body = await builder.BuildAsync(await n.Db.Events.GetMembershipsForUserAsync(user));
        return (body, upTo);
    }

    static List<string> TimelineIds(JsonObject body, string room) =>
        body["rooms"]!["join"]![room]?["timeline"]!["events"]!.AsArray().Select(e => (string)JsonNode.Parse(e!.ToJsonString())!["event_id"]!).ToList() ?? [];
}
