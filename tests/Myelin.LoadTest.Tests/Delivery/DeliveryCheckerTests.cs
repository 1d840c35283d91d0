using Myelin.LoadTest.Delivery;

namespace Myelin.LoadTest.Tests.Delivery;

public class DeliveryCheckerTests
{
    private const string Room = "!r:hs";
    private static readonly string[] Members = ["@a:hs", "@b:hs", "@c:hs"];

    private static DeliveryChecker NewChecker()
    {
        var c = new DeliveryChecker();
        c.SetRoomMembers(Room, Members);
        return c;
    }

    /// <summary>Sends m at [start, ack] microseconds.</summary>
    private static void Send(DeliveryChecker c, string id, long start, long ack, string sender = "@a:hs")
    {
        c.SendStarted(id, Room, sender, start);
        c.Acknowledged(id, ack);
    }

    private static void SeeAll(DeliveryChecker c, string id, long at)
    {
        foreach (var m in Members)
            c.Observed(m, Room, id, at);
    }

    [Fact]
    public void Report_EveryMemberSeesEveryMessageOnceInOrder_IsClean()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 10);
        Send(c, "m2", 20, 30);
        SeeAll(c, "m1", 15);
        SeeAll(c, "m2", 35);

        var r = c.Report();

        Assert.Equal(new DeliveryReport(2, 6, 6, 0, 0, 0, 0), r);
        Assert.Equal(0, c.Outstanding);
    }

    [Fact]
    public void Report_OneMemberMissesAMessage_CountsOneLostDelivery()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 10);
        c.Observed("@a:hs", Room, "m1", 12);
        c.Observed("@b:hs", Room, "m1", 12);

        var r = c.Report();

        Assert.Equal(1, r.Lost);
        Assert.Equal(1, r.LostMessages);
        Assert.Equal(2, r.Delivered);
        Assert.Equal(1, c.Outstanding);
    }

    [Fact]
    public void Report_MessageSeenTwiceByOneMember_CountsOneDuplicate()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 10);
        SeeAll(c, "m1", 12);
        c.Observed("@b:hs", Room, "m1", 13);

        var r = c.Report();

        Assert.Equal(1, r.Duplicated);
        Assert.Equal(0, r.Lost);
        Assert.Equal(0, r.Reordered);
    }

    [Fact]
    public void Report_LaterMessageBeforeEarlierAcknowledgedOne_CountsReordered()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 10);
        Send(c, "m2", 20, 30, sender: "@b:hs"); // started after m1 was acknowledged: must follow it
        c.Observed("@c:hs", Room, "m2", 31);
        c.Observed("@c:hs", Room, "m1", 32);

        Assert.Equal(1, c.Report().Reordered);
    }

    [Fact]
    public void Report_ConcurrentSendsInEitherOrder_AreNotReordered()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 20);
        Send(c, "m2", 5, 25, sender: "@b:hs"); // overlaps m1: the server may order them either way
        c.Observed("@a:hs", Room, "m2", 30);
        c.Observed("@a:hs", Room, "m1", 31);
        c.Observed("@b:hs", Room, "m1", 30);
        c.Observed("@b:hs", Room, "m2", 31);

        Assert.Equal(0, c.Report().Reordered);
    }

    [Fact]
    public void Report_SendNeverAcknowledged_IsNotExpected()
    {
        var c = NewChecker();
        c.SendStarted("m1", Room, "@a:hs", 0); // e.g. timed out; the server may or may not have stored it
        c.Observed("@b:hs", Room, "m1", 5);

        var r = c.Report();

        Assert.Equal(0, r.Acknowledged);
        Assert.Equal(0, r.ExpectedDeliveries);
        Assert.Equal(0, r.Lost);
        Assert.Equal(0, c.Outstanding);
    }

    [Fact]
    public void Observed_BeforeAcknowledgement_StillCountsAsDelivered()
    {
        var c = NewChecker();
        c.SendStarted("m1", Room, "@a:hs", 0);
        SeeAll(c, "m1", 5); // /sync often beats the send response
        c.Acknowledged("m1", 8);

        Assert.Equal(0, c.Outstanding);
        Assert.Equal(3, c.Report().Delivered);
    }

    [Fact]
    public void Observed_FirstTime_ReturnsLatencyFromSendStart()
    {
        var c = NewChecker();
        Send(c, "m1", 100, 150);

        Assert.Equal(400, c.Observed("@b:hs", Room, "m1", 500));
        Assert.Null(c.Observed("@b:hs", Room, "m1", 600));
    }

    [Fact]
    public void Observed_UnknownMessage_ReturnsNullAndIsIgnored()
    {
        var c = NewChecker();
        Assert.Null(c.Observed("@b:hs", Room, "from-another-run", 5));
        Assert.Equal(new DeliveryReport(0, 0, 0, 0, 0, 0, 0), c.Report());
    }

    [Fact]
    public void Observed_MessageInAnotherRoom_DoesNotCountForItsRoom()
    {
        var c = NewChecker();
        c.SetRoomMembers("!other:hs", Members);
        Send(c, "m1", 0, 10);
        foreach (var m in Members)
            c.Observed(m, "!other:hs", "m1", 12);

        Assert.Equal(3, c.Report().Lost);
    }

    [Fact]
    public void Outstanding_DecreasesAsMembersSeeAcknowledgedMessages()
    {
        var c = NewChecker();
        Send(c, "m1", 0, 10);
        Assert.Equal(3, c.Outstanding);
        c.Observed("@a:hs", Room, "m1", 11);
        Assert.Equal(2, c.Outstanding);
        c.Observed("@a:hs", Room, "m1", 12);
        Assert.Equal(2, c.Outstanding);
    }

    [Fact]
    public void SendStarted_UndeclaredRoom_Throws()
    {
        var c = new DeliveryChecker();
        Assert.Throws<InvalidOperationException>(() => c.SendStarted("m1", "!nowhere:hs", "@a:hs", 0));
    }
}
