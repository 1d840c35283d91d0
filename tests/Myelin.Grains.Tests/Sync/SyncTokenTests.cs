using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Xunit;

namespace Myelin.Grains.Tests.Sync;

public sealed class SyncTokenTests
{
    [Fact]
    public void RoundTrips_InSynapsesStreamOrder()
    {
        var token = new SyncToken(Events: 12, Presence: 3, Typing: 45, Receipts: 6, AccountData: 7, PushRules: 8, ToDevice: 9);
        Assert.Equal("s12_3_45_6_7_8_9", token.ToString());
        Assert.True(SyncToken.TryParse(token.ToString(), out var back));
        Assert.Equal(token, back);
    }

    [Fact]
    public void MissingTrailingStreams_ReadAsZero_ExtraOnesIgnored()
    {
        Assert.True(SyncToken.TryParse("s5_1", out var short_));
        Assert.Equal(new SyncToken(5, 1), short_);
        Assert.True(SyncToken.TryParse("s1_2_3_4_5_6_7_8_9", out var long_));
        Assert.Equal(new SyncToken(1, 2, 3, 4, 5, 6, 7), long_);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("t1-2")]
    [InlineData("s1_")]
    [InlineData("s1__2")]
    [InlineData("s-1_2")]
    [InlineData("s1_x")]
    [InlineData("s 1")]
    [InlineData("s99999999999999999999")]
    public void Malformed_IsRejected(string? text) => Assert.False(SyncToken.TryParse(text, out _));

    [Fact]
    public void Max_And_IsAheadOf_ComparePerStream()
    {
        var a = new SyncToken(Events: 5, Typing: 9);
        var b = new SyncToken(Events: 7, Typing: 2, ToDevice: 1);
        Assert.Equal(new SyncToken(Events: 7, Typing: 9, ToDevice: 1), a.Max(b));
        Assert.True(a.IsAheadOf(b));
        Assert.True(b.IsAheadOf(a));
        Assert.False(a.IsAheadOf(a.Max(b)));
        Assert.Equal(9, a[StreamNames.Typing]);
        Assert.Equal(0, a["no-such-stream"]);
    }

    [Fact]
    public void IsBehind_TheBus_WhenAnyStreamMovedPastIt()
    {
        var bus = new InMemoryReplicationBus();
        bus.Publish(new StreamUpdate(StreamNames.Receipts, 4, ["!r:hs"], []));
        var now = SyncToken.Current(bus);
        Assert.Equal(4, now.Receipts);
        Assert.False(now.IsBehind(bus));
        bus.Publish(new StreamUpdate(StreamNames.Typing, 1, ["!r:hs"], []));
        Assert.True(now.IsBehind(bus));
        // Only the events stream counts for a token made by EventsOnly.
        Assert.False(SyncToken.EventsOnly(now.Events).IsBehind(bus));
        bus.Publish(new StreamUpdate(StreamNames.Events, 1, ["!r:hs"], []));
        Assert.True(SyncToken.EventsOnly(now.Events).IsBehind(bus));
    }
}
