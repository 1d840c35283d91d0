using System.Text.Json;
using Myelin.LoadTest.Delivery;

namespace Myelin.LoadTest.Tests.Delivery;

public class MessageMarkerTests
{
    [Fact]
    public void TryRead_ContentItWrote_RoundTrips()
    {
        var marker = new MessageMarker("run1", "3.17", 17);
        using var doc = JsonDocument.Parse(marker.ToContent("hello").ToJsonString());

        Assert.Equal(marker, MessageMarker.TryRead(doc.RootElement));
        Assert.Equal("m.text", doc.RootElement.GetProperty("msgtype").GetString());
        Assert.Equal("hello", doc.RootElement.GetProperty("body").GetString());
    }

    [Theory]
    [InlineData("""{"msgtype":"m.text","body":"hi"}""")]
    [InlineData("""{"org.myelin.loadtest":{"run":"r","id":"x"}}""")]
    [InlineData("""{"org.myelin.loadtest":{"run":1,"id":"x","seq":1}}""")]
    [InlineData("""{"org.myelin.loadtest":"nope"}""")]
    [InlineData("""[]""")]
    public void TryRead_ForeignOrMalformedContent_ReturnsNull(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Null(MessageMarker.TryRead(doc.RootElement));
    }
}
