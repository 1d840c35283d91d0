using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Matrix;

namespace Myelin.Matrix.Tests;

public sealed class ReceiptsTests
{
    const string Alice = "@alice:example.org";
    const string Bob = "@bob:example.org";

    [Theory]
    [InlineData("m.read", true)]
    [InlineData("m.read.private", true)]
    [InlineData("m.fully_read", true)]
    [InlineData("m.unknown", false)]
    [InlineData("", false)]
    public void IsKnownType_SpecTypes_Known(string type, bool known) => Assert.Equal(known, Receipts.IsKnownType(type));

    [Fact]
    public void Content_SpecShape_EventThenTypeThenUser()
    {
        var content = Receipts.Content([new Receipt(Receipts.Read, Alice, "$e", null, """{"ts":1661384801651}""")], Bob);

        Assert.Equal("""{"$e":{"m.read":{"@alice:example.org":{"ts":1661384801651}}}}""", content!.ToJsonString());
    }

    [Fact]
    public void Content_Threaded_CarriesThreadIdInTheData()
    {
        // The spec's example: a main-timeline receipt, a receipt in thread $A, and an unthreaded one.
        var content = Receipts.Content(
        [
            new Receipt(Receipts.Read, Alice, "$I", "main", """{"ts":1}"""),
            new Receipt(Receipts.Read, Alice, "$E", "$A", """{"ts":1}"""),
            new Receipt(Receipts.Read, Alice, "$D", null, """{"ts":1}"""),
        ], Alice)!;

        Assert.Equal("main", content["$I"]!["m.read"]![Alice]!["thread_id"]!.GetValue<string>());
        Assert.Equal("$A", content["$E"]!["m.read"]![Alice]!["thread_id"]!.GetValue<string>());
        Assert.Null(content["$D"]!["m.read"]![Alice]!["thread_id"]);
    }

    [Fact]
    public void Content_OthersPrivateReceipts_LeftOut_OwnKept()
    {
        IReadOnlyList<Receipt> receipts =
        [
            new Receipt(Receipts.ReadPrivate, Alice, "$e", null, "{}"),
            new Receipt(Receipts.Read, Bob, "$e", null, "{}"),
            new Receipt(Receipts.ReadPrivate, Bob, "$f", null, "{}"),
        ];

        var forAlice = Receipts.Content(receipts, Alice)!;
        Assert.NotNull(forAlice["$e"]!["m.read.private"]![Alice]);
        Assert.NotNull(forAlice["$e"]!["m.read"]![Bob]);
        Assert.Null(forAlice["$f"]);
        Assert.Null(Receipts.Content([receipts[0]], Bob));
    }

    [Fact]
    public void Content_ThreadedAndUnthreadedOnOneEvent_UnthreadedKept()
    {
        var unthreaded = new Receipt(Receipts.Read, Alice, "$e", null, """{"ts":1}""");
        var threaded = new Receipt(Receipts.Read, Alice, "$e", "main", """{"ts":2}""");

        foreach (var order in new[] { new[] { unthreaded, threaded }, new[] { threaded, unthreaded } })
        {
            var data = Receipts.Content(order, Alice)!["$e"]!["m.read"]![Alice]!;
            Assert.Equal(1, data["ts"]!.GetValue<long>());
            Assert.Null(data["thread_id"]);
        }
    }

    [Fact]
    public void Content_Nothing_IsNull() => Assert.Null(Receipts.Content([], Alice));

    static EventRelation Rel(string id, string? relType = null, string? to = null) => new(id, relType, to);

    [Fact]
    public void IsInThread_SpecDag_ThreadAndMainAsSynapse()
    {
        // A <-[m.thread]- B <-[m.annotation]- C ; A <-[m.reference]- D ; F unrelated
        IReadOnlyList<EventRelation> a = [Rel("$A")];
        IReadOnlyList<EventRelation> b = [Rel("$B", "m.thread", "$A"), Rel("$A")];
        IReadOnlyList<EventRelation> c = [Rel("$C", "m.annotation", "$B"), Rel("$B", "m.thread", "$A"), Rel("$A")];
        IReadOnlyList<EventRelation> d = [Rel("$D", "m.reference", "$A"), Rel("$A")];
        IReadOnlyList<EventRelation> f = [Rel("$F")];

        Assert.All(new[] { a, b, c, d }, chain => Assert.True(Receipts.IsInThread(chain, "$A")));
        Assert.All(new[] { a, d, f }, chain => Assert.True(Receipts.IsInThread(chain, Receipts.MainThread)));
        Assert.All(new[] { b, c }, chain => Assert.False(Receipts.IsInThread(chain, Receipts.MainThread)));
        Assert.False(Receipts.IsInThread(f, "$A"));
        Assert.False(Receipts.IsInThread(b, "$B"));
    }

    [Fact]
    public void RelationOf_Content_ReadsRelTypeAndTarget()
    {
        using var doc = JsonDocument.Parse("""{"m.relates_to":{"rel_type":"m.thread","event_id":"$root"},"body":"x"}""");
        Assert.Equal(Rel("$e", "m.thread", "$root"), Receipts.RelationOf("$e", doc.RootElement));
        using var none = JsonDocument.Parse("""{"m.relates_to":{"rel_type":"m.thread"}}""");
        Assert.Equal(Rel("$e"), Receipts.RelationOf("$e", none.RootElement));
    }
}
