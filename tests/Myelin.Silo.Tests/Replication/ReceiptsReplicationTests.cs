using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;

namespace Myelin.Silo.Tests.Replication;

/// <summary>The receipts stream between processes: a row written on one reaches the other's /sync.</summary>
public sealed class ReceiptsReplicationTests
{
    [ServersFact]
    public async Task Receipt_WrittenOnOneProcess_OtherProcessWakesTheRoomAndItsSyncCarriesIt()
    {
        await using var database = await TestDatabase.CreateAsync();
        var server = $"repl-{Guid.NewGuid():N}.test";
        await using var a = await Node.StartAsync(database.Options, server, "receipts1");
        await using var b = await Node.StartAsync(database.Options, server, "gateway1");
        using var fanoutA = new StreamFanout(a.Db, a.Bus, a.Bus, [], NullLogger<StreamFanout>.Instance);
        using var fanoutB = new StreamFanout(b.Db, b.Bus, b.Bus, [], NullLogger<StreamFanout>.Instance);
        await fanoutA.StartAsync();
        await fanoutB.StartAsync();

        var room = $"!{Guid.NewGuid():N}:test";
        var (alice, bob) = ($"@alice{Guid.NewGuid():N}:test", $"@bob{Guid.NewGuid():N}:test");
        await a.SendAsync(Events.Join(room, alice));
        await a.SendAsync(Events.Join(room, bob));
        var message = Events.Message(room, alice);
        var messagePosition = await a.SendAsync(message);
        await Events.Until(() => b.Bus.Position(StreamNames.Events) >= messagePosition, "B hearing the events");
        var since = SyncToken.Current(b.Bus);
        var heardByB = new ConcurrentQueue<StreamUpdate>();
        using var sub = b.Bus.Subscribe(u => { if (u.Stream == StreamNames.Receipts) heardByB.Enqueue(u); });

        var writer = new ReceiptsWriter(a.Db, fanoutA, TimeProvider.System);
        var position = await writer.WriteAsync(room, Receipts.Read, bob, null, (await a.Db.Events.GetEventAsync(message.EventId))!);

        Assert.NotNull(position);
        await Events.Until(() => heardByB.Any(u => u.Position >= position && u.RoomIds.Contains(room) && u.UserIds.Contains(bob)),
            "B hearing the receipt for the room and its user");
        var upTo = SyncToken.Current(b.Bus);
        Assert.True(upTo.Receipts >= position);
        var builder = new SyncBuilder(b.Db, b.Cache, alice, "DEVICE", SyncFilter.Default, since, upTo, fullState: false,
            [new ReceiptsSyncSection(b.Db, new RecentReceiptRanges(b.Db))]);
        var body = await builder.BuildAsync(await b.Db.Events.GetMembershipsForUserAsync(alice));
        var receipt = body["rooms"]!["join"]![room]!["ephemeral"]!["events"]!.AsArray().Single()!;
        Assert.Equal(Receipts.EventType, receipt["type"]!.GetValue<string>());
        Assert.NotNull(receipt["content"]![message.EventId]![Receipts.Read]![bob]!["ts"]);
    }
}
