using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Streams;

public sealed class ToDeviceRequestTests
{
    static readonly ServerIdentity Server = new("localhost", SigningKey.Generate(), RoomVersions.V10);
    const string Sender = "@alice:localhost";

    static ToDeviceRequest Parse(string body) => ToDeviceRequest.Parse(JsonNode.Parse(body)!.AsObject(), "m.test", Sender, Server);

    static MatrixException Fails(string body) => Assert.Throws<MatrixException>(() => Parse(body));

    [Fact]
    public void Parse_LocalUsers_KeepsEachDevicesContent()
    {
        var r = Parse("""{"messages":{"@bob:localhost":{"DEV1":{"a":1},"*":{"b":"ü"}},"@carol:localhost":{}}}""");

        Assert.Equal("""{"a":1}""", r.Messages["@bob:localhost"]["DEV1"]);
        Assert.Equal("""{"b":"ü"}""", r.Messages["@bob:localhost"]["*"]);
        Assert.Empty(r.Messages["@carol:localhost"]);
    }

    [Fact]
    public void Parse_NotAUserId_IsIgnoredAsSynapseDoes()
    {
        var r = Parse("""{"messages":{"bob":{"DEV1":{}},"@bob:localhost":{"DEV1":{}}}}""");

        Assert.Equal(["@bob:localhost"], r.Messages.Keys);
    }

    [Fact]
    public void Parse_MessagesMissing_IsMissingParam()
    {
        var e = Fails("{}");
        Assert.Equal((400, "M_MISSING_PARAM"), (e.Status, e.ErrCode));
    }

    [Theory]
    [InlineData("""{"messages":[]}""")]
    [InlineData("""{"messages":"x"}""")]
    [InlineData("""{"messages":{"@bob:localhost":[]}}""")]
    [InlineData("""{"messages":{"@bob:localhost":{"DEV1":"hello"}}}""")]
    [InlineData("""{"messages":{"@bob:localhost":{"DEV1":null}}}""")]
    public void Parse_WrongShape_IsBadJson(string body)
    {
        var e = Fails(body);
        Assert.Equal((400, "M_BAD_JSON"), (e.Status, e.ErrCode));
    }

    [Fact]
    public void Parse_RemoteUser_IsForbidden()
    {
        var e = Fails("""{"messages":{"@bob:localhost":{"DEV1":{}},"@dave:elsewhere.example":{"*":{}}}}""");
        Assert.Equal((403, "M_FORBIDDEN"), (e.Status, e.ErrCode));
        Assert.Contains("@dave:elsewhere.example", e.Error);
    }

    static string Body(string p) => """{"messages":{"@bob:localhost":{"DEV1":{"p":""" + "\"" + p + "\"}}}}";

    [Fact]
    public void Parse_MessageOverTheLimit_IsTooLarge()
    {
        // The event {"type":"m.test","sender":"@alice:localhost","content":{"p":"..."}} at the limit, then one byte over.
        var overhead = ToDeviceRequest.EventJson("m.test", Sender, """{"p":""}""").Length;
        var fits = new string('x', ToDeviceRequest.MaxMessageBytes - overhead);
        Assert.Single(Parse(Body(fits)).Messages);

        var e = Fails(Body(fits + "x"));
        Assert.Equal((413, "M_TOO_LARGE"), (e.Status, e.ErrCode));
    }

    [Fact]
    public void EventJson_IsTheEventSyncDelivers()
    {
        var ev = JsonNode.Parse(ToDeviceRequest.EventJson("m.room_key", Sender, """{"k":[1,2]}"""))!.AsObject();

        Assert.Equal("m.room_key", (string?)ev["type"]);
        Assert.Equal(Sender, (string?)ev["sender"]);
        Assert.Equal("""{"k":[1,2]}""", ev["content"]!.ToJsonString());
    }

    [Fact]
    public void ReplicationRow_NamesTheRecipient_SoOtherProcessesWakeTheirSync()
    {
        // The row ToDeviceWriter publishes (Synapse's ToDeviceStreamRow): another process's StreamFanout
        // reads whom it concerns from it.
        var (rooms, users) = StreamFanout.Whom("""{"entity":"@bob:localhost"}""");

        Assert.Empty(rooms);
        Assert.Equal(["@bob:localhost"], users);
    }

    [Theory]
    [InlineData("@bob:localhost", "DEV1")]
    [InlineData("@bob:localhost:8448", "a device with spaces")]
    [InlineData("@b.o-b=x:[::1]:8448", " ")]
    public void GrainKey_FormatThenParse_GivesBackUserAndDevice(string userId, string deviceId)
    {
        Assert.Equal((userId, deviceId), ToDeviceGrainKey.Parse(ToDeviceGrainKey.Format(userId, deviceId)));
    }
}
