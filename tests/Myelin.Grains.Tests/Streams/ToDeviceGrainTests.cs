using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Silo.Clustering;

namespace Myelin.Grains.Tests.Streams;

[Collection(ClusterCollection.Name)]
public sealed class ToDeviceGrainTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";
    static string NewTxn() => Guid.NewGuid().ToString("N");

    static ToDeviceMessage Message(string sender, string txnId, string content = """{"k":"v"}""") =>
        new(sender, "SENDERDEV", "m.test", txnId, content);

    async Task<IReadOnlyList<JsonObject>> InboxAsync(string userId, string deviceId) =>
        (await fx.Db.DeviceInbox.GetMessagesAsync(userId, deviceId, 0, long.MaxValue, 1000))
            .Select(r => JsonNode.Parse(r.MessageJson)!.AsObject()).ToList();

    [Fact]
    public async Task Deliver_StoresTheEventAndPublishesTheRecipient()
    {
        var bob = NewUser();
        var alice = NewUser();
        var updates = new ConcurrentQueue<StreamUpdate>();
        using var _ = fx.Bus.Subscribe(u => { if (u.Stream == StreamNames.ToDevice) updates.Enqueue(u); });

        var position = await fx.Grains.ToDevice(bob, "DEV1").Deliver(Message(alice, NewTxn()));

        Assert.NotNull(position);
        var ev = Assert.Single(await InboxAsync(bob, "DEV1"));
        Assert.Equal("m.test", (string?)ev["type"]);
        Assert.Equal(alice, (string?)ev["sender"]);
        Assert.Equal("v", (string?)ev["content"]!["k"]);
        Assert.True(fx.Bus.Position(StreamNames.ToDevice) >= position);
        Assert.Contains(updates, u => u.Position == position && u.UserIds.SequenceEqual([bob]));
    }

    [Fact]
    public async Task Deliver_SameTransactionAgain_ReturnsNullAndStoresNothing()
    {
        var bob = NewUser();
        var alice = NewUser();
        var txn = NewTxn();
        var grain = fx.Grains.ToDevice(bob, "DEV1");

        Assert.NotNull(await grain.Deliver(Message(alice, txn)));
        Assert.Null(await grain.Deliver(Message(alice, txn, """{"k":"again"}""")));

        Assert.Equal("v", (string?)Assert.Single(await InboxAsync(bob, "DEV1"))["content"]!["k"]);
    }

    [Fact]
    public async Task Send_Star_ReachesEveryDeviceOfTheUser()
    {
        var bob = NewUser();
        foreach (var d in new[] { "A", "B", "C" }) await fx.Db.Devices.UpsertDeviceAsync(bob, d, null, 0, null);
        var sender = new ToDeviceSender(fx.Grains, fx.Db);
        var request = new ToDeviceRequest(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [bob] = new Dictionary<string, string> { ["*"] = """{"all":true}""" },
        });

        Assert.Equal(3, await sender.SendAsync(NewUser(), "SENDERDEV", "m.test", NewTxn(), request));

        foreach (var d in new[] { "A", "B", "C" })
            Assert.Equal(true, (bool?)Assert.Single(await InboxAsync(bob, d))["content"]!["all"]);
    }

    [Fact]
    public async Task Send_UnknownUsersAndDevices_AreSkipped()
    {
        var bob = NewUser();
        await fx.Db.Devices.UpsertDeviceAsync(bob, "A", null, 0, null);
        var sender = new ToDeviceSender(fx.Grains, fx.Db);
        var request = new ToDeviceRequest(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [bob] = new Dictionary<string, string> { ["A"] = """{"n":1}""", ["GONE"] = """{"n":2}""" },
            [NewUser()] = new Dictionary<string, string> { ["*"] = "{}", },
        });

        Assert.Equal(1, await sender.SendAsync(NewUser(), "SENDERDEV", "m.test", NewTxn(), request));

        Assert.Single(await InboxAsync(bob, "A"));
        Assert.Empty(await InboxAsync(bob, "GONE"));
    }

    [Fact]
    public async Task Send_StarBesideOtherDevices_IsAnOrdinaryDeviceIdAsInSynapse()
    {
        var bob = NewUser();
        await fx.Db.Devices.UpsertDeviceAsync(bob, "A", null, 0, null);
        await fx.Db.Devices.UpsertDeviceAsync(bob, "B", null, 0, null);
        var sender = new ToDeviceSender(fx.Grains, fx.Db);
        var request = new ToDeviceRequest(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [bob] = new Dictionary<string, string> { ["A"] = """{"to":"A"}""", ["*"] = """{"to":"all"}""" },
        });

        Assert.Equal(1, await sender.SendAsync(NewUser(), "SENDERDEV", "m.test", NewTxn(), request));

        Assert.Equal("A", (string?)Assert.Single(await InboxAsync(bob, "A"))["content"]!["to"]);
        Assert.Empty(await InboxAsync(bob, "B"));
    }

    [Fact]
    public async Task Send_Retried_DeliversNothingTwice()
    {
        var bob = NewUser();
        await fx.Db.Devices.UpsertDeviceAsync(bob, "A", null, 0, null);
        await fx.Db.Devices.UpsertDeviceAsync(bob, "B", null, 0, null);
        var sender = new ToDeviceSender(fx.Grains, fx.Db);
        var alice = NewUser();
        var txn = NewTxn();
        var request = new ToDeviceRequest(new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            [bob] = new Dictionary<string, string> { ["*"] = "{}" },
        });

        var first = sender.SendAsync(alice, "SENDERDEV", "m.test", txn, request);
        var concurrentRetry = sender.SendAsync(alice, "SENDERDEV", "m.test", txn, request);
        var counts = await Task.WhenAll(first, concurrentRetry);
        var laterRetry = await sender.SendAsync(alice, "SENDERDEV", "m.test", txn, request);

        Assert.Equal(2, counts.Sum());
        Assert.Equal(0, laterRetry);
        Assert.Single(await InboxAsync(bob, "A"));
        Assert.Single(await InboxAsync(bob, "B"));
    }

    [Fact]
    public void StreamWriterGrains_ToDeviceGrain_IsPinnedToTheToDeviceWriters()
    {
        Assert.Equal(StreamNames.ToDevice, StreamWriterGrains.Streams[typeof(ToDeviceGrain)]);
    }
}
