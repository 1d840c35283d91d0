using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Sync;

[Collection(ClusterCollection.Name)]
public sealed class ToDeviceSyncSectionTests(ClusterFixture fx)
{
    static string NewUser() => $"@u{Guid.NewGuid():N}"[..18] + ":localhost";

    async Task<List<long>> FillAsync(string userId, string deviceId, int count)
    {
        var positions = new List<long>();
        for (var i = 0; i < count; i++)
        {
            var json = ToDeviceRequest.EventJson("m.test", "@s:localhost", $$"""{"i":{{i}}}""");
            positions.Add((await fx.Db.DeviceInbox.AddMessageAsync(userId, deviceId, json, null, 0))!.Value);
        }
        return positions;
    }

    /// <summary>Runs the builder with the to-device section only; returns the body and the builder.</summary>
    async Task<(JsonObject Body, SyncBuilder Builder)> SyncAsync(string userId, string deviceId, SyncToken? since, SyncToken upTo,
        params ISyncSection[] sections)
    {
        var builder = new SyncBuilder(fx.Db, new RecentEventsCache(), userId, deviceId, SyncFilter.Default, since, upTo, false,
            sections.Length > 0 ? sections : [new ToDeviceSyncSection(fx.Db)]);
        return (await builder.BuildAsync([]), builder);
    }

    static List<int> Delivered(JsonObject body) =>
        body["to_device"]!["events"]!.AsArray().Select(e => (int)e!["content"]!["i"]!).ToList();

    [Fact]
    public async Task Sync_MoreThanTheLimit_SendsTheOldestHundredAndCapsNextBatch()
    {
        var bob = NewUser();
        var positions = await FillAsync(bob, "D", 150);
        var upTo = new SyncToken(0, ToDevice: positions[^1]);

        var (first, builder) = await SyncAsync(bob, "D", null, upTo);

        Assert.Equal(Enumerable.Range(0, 100), Delivered(first));
        Assert.Equal(positions[99], builder.NextBatch.ToDevice);
        Assert.Equal((upTo with { ToDevice = positions[99] }).ToString(), (string?)first["next_batch"]);
        Assert.True(builder.HasUpdates);

        var (second, builder2) = await SyncAsync(bob, "D", builder.NextBatch, upTo);

        Assert.Equal(Enumerable.Range(100, 50), Delivered(second));
        Assert.Equal(upTo, builder2.NextBatch);
        // The second sync acknowledged the first hundred: they are gone.
        Assert.Equal(positions.Skip(100), (await fx.Db.DeviceInbox.GetMessagesAsync(bob, "D", 0, long.MaxValue, 1000)).Select(r => r.StreamId));

        var (third, builder3) = await SyncAsync(bob, "D", builder2.NextBatch, upTo);
        Assert.Empty(Delivered(third));
        Assert.False(builder3.HasUpdates);
        Assert.Empty(await fx.Db.DeviceInbox.GetMessagesAsync(bob, "D", 0, long.MaxValue, 1000));
    }

    [Fact]
    public async Task Sync_OnlyTheSyncingDevice_AndNothingAfterUpTo()
    {
        var bob = NewUser();
        var mine = await FillAsync(bob, "D", 2);
        await FillAsync(bob, "OTHER", 1);
        var later = await FillAsync(bob, "D", 1);

        var (body, builder) = await SyncAsync(bob, "D", null, new SyncToken(0, ToDevice: mine[^1]));

        Assert.Equal([0, 1], Delivered(body));
        Assert.Equal(mine[^1], builder.NextBatch.ToDevice);
        Assert.True(later[0] > mine[^1]);
    }

    [Fact]
    public async Task Sync_InitialSync_RedeliversWhatWasNotAcknowledged()
    {
        var bob = NewUser();
        var positions = await FillAsync(bob, "D", 1);
        var upTo = new SyncToken(0, ToDevice: positions[^1]);

        await SyncAsync(bob, "D", null, upTo);
        var (again, _) = await SyncAsync(bob, "D", null, upTo);

        Assert.Equal([0], Delivered(again));
    }

    [Fact]
    public async Task Sync_MessageAfterAnEmptySync_IsDeliveredThenDeletedOnAcknowledgement()
    {
        var bob = NewUser();
        var section = new ToDeviceSyncSection(fx.Db);
        var before = await FillAsync(NewUser(), "D", 1); // the stream moved, but not for bob
        var (empty, b1) = await SyncAsync(bob, "D", null, new SyncToken(0, ToDevice: before[0]), section);
        Assert.Empty(Delivered(empty));

        var mine = await FillAsync(bob, "D", 1);
        var upTo = new SyncToken(0, ToDevice: mine[0]);
        var (got, b2) = await SyncAsync(bob, "D", b1.NextBatch, upTo, section);
        Assert.Equal([0], Delivered(got));
        Assert.Single(await fx.Db.DeviceInbox.GetMessagesAsync(bob, "D", 0, long.MaxValue, 10));

        var (after, _) = await SyncAsync(bob, "D", b2.NextBatch, upTo, section);
        Assert.Empty(Delivered(after));
        Assert.Empty(await fx.Db.DeviceInbox.GetMessagesAsync(bob, "D", 0, long.MaxValue, 10));
    }

    sealed class CappingSection(long cap) : ISyncSection
    {
        public Task AddToAsync(SyncSectionContext sync)
        {
            sync.AddToDevice(new JsonObject { ["type"] = "m.test" });
            sync.CapToDevice(cap);
            return Task.CompletedTask;
        }
    }

    [Theory]
    [InlineData(7, 7)]   // held back: next_batch stops at what was sent
    [InlineData(20, 10)] // a cap past upTo changes nothing
    [InlineData(2, 5)]   // never behind the client's own token
    public async Task CapToDevice_LimitsNextBatchsToDevicePartOnly(long cap, long expected)
    {
        var since = new SyncToken(3, 1, 1, 1, 1, 1, ToDevice: 5);
        var upTo = new SyncToken(4, 2, 2, 2, 2, 2, ToDevice: 10);

        var (body, builder) = await SyncAsync(NewUser(), "D", since, upTo, new CappingSection(cap));

        Assert.Equal(upTo with { ToDevice = expected }, builder.NextBatch);
        Assert.Equal(builder.NextBatch.ToString(), (string?)body["next_batch"]);
    }
}
