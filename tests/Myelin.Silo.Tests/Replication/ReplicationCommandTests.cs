using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Silo.Tests.Replication;

public sealed class ReplicationCommandTests
{
    [Fact]
    public void Parse_Rdata_KeepsSpacesInTheRow()
    {
        var c = Assert.IsType<RdataCommand>(ReplicationCommand.Parse("RDATA events persister1 54 [\"ev\", [\"$a b\", \"!r:x\"]]"));
        Assert.Equal(("events", "persister1", 54L), (c.Stream, c.Instance, c.Token!.Value));
        Assert.Equal("[\"ev\", [\"$a b\", \"!r:x\"]]", c.RowJson);
    }

    [Fact]
    public void Parse_RdataBatchToken_IsNull()
    {
        var c = Assert.IsType<RdataCommand>(ReplicationCommand.Parse("RDATA caches master batch [\"x\",null,1]"));
        Assert.Null(c.Token);
        Assert.Equal("RDATA caches master batch [\"x\",null,1]", c.ToLine());
    }

    [Fact]
    public void Parse_Position_ReadsPrevAndNew()
    {
        var c = Assert.IsType<PositionCommand>(ReplicationCommand.Parse("POSITION events master 53 60\n"));
        Assert.Equal(new PositionCommand("events", "master", 53, 60), c);
        Assert.Equal("POSITION events master 53 60", c.ToLine());
    }

    [Theory]
    [InlineData("POSITION events master 53")]
    [InlineData("POSITION events master x 5")]
    [InlineData("RDATA events master")]
    [InlineData("RDATA events master -4 []")]
    public void Parse_MalformedKnownCommand_Throws(string line) =>
        Assert.Throws<FormatException>(() => ReplicationCommand.Parse(line));

    [Fact]
    public void Parse_PingReplicateBlankAndOther_AsSynapseWritesThem()
    {
        Assert.Equal(new PingCommand("1490197665618"), ReplicationCommand.Parse("PING 1490197665618"));
        Assert.IsType<ReplicateCommand>(ReplicationCommand.Parse("REPLICATE"));
        Assert.Null(ReplicationCommand.Parse(""));
        var other = Assert.IsType<OtherCommand>(ReplicationCommand.Parse("NAME synapse.app.appservice"));
        Assert.Equal("NAME synapse.app.appservice", other.ToLine());
    }

    [Fact]
    public void EventsRow_ToJson_IsSynapsesEvRow()
    {
        var e = new NewEvent("$e", "!r:x", "m.room.member", "@u:x", "@u:x", 3, 1, "{\"content\":{}}", "join");
        Assert.Equal("""["ev",["$e","!r:x","m.room.member","@u:x",null,null,"join",false,false]]""", EventsStreamRow.From(e).ToJson());
    }

    [Fact]
    public void EventsRow_RelatesTo_ComesFromTheContent()
    {
        var json = """{"content":{"body":"x","m.relates_to":{"rel_type":"m.thread","event_id":"$root"}}}""";
        var row = EventsStreamRow.From(new NewEvent("$e", "!r:x", "m.room.message", null, "@u:x", 3, 1, json, null));
        Assert.Equal("$root", row.RelatesTo);
        Assert.Equal(row, EventsStreamRow.Parse(row.ToJson()));
    }

    [Fact]
    public void EventsRow_ParseStateRow_IsNull() =>
        Assert.Null(EventsStreamRow.Parse("""["state",["!r:x","m.room.name","","$e"]]"""));
}
