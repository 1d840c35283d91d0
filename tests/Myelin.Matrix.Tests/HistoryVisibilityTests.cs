using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class HistoryVisibilityTests
{
    private const string Alice = "@alice:example.com";
    private const string Bob = "@bob:example.com";

    private static VisibilityEvent Message(long pos) => new(pos, "m.room.message", null);

    private static VisibilityEvent Member(long pos, string user, string membership) => new(pos, "m.room.member", user, Membership: membership);

    private static VisibilityEvent Visibility(long pos, string visibility) => new(pos, "m.room.history_visibility", "", Visibility: visibility);

    [Theory]
    [InlineData("{\"history_visibility\":\"world_readable\"}", "world_readable")]
    [InlineData("{\"history_visibility\":\"joined\"}", "joined")]
    [InlineData("{\"history_visibility\":\"invited\"}", "invited")]
    [InlineData("{\"history_visibility\":\"shared\"}", "shared")]
    [InlineData("{\"history_visibility\":\"everyone\"}", "shared")]
    [InlineData("{\"history_visibility\":3}", "shared")]
    [InlineData("{}", "shared")]
    public void FromContent_Value_MapsUnknownToShared(string json, string expected) =>
        Assert.Equal(expected, HistoryVisibility.FromContent(JsonNode.Parse(json)));

    [Fact]
    public void FromContent_NoContent_IsShared() => Assert.Equal("shared", HistoryVisibility.FromContent(null));

    [Theory]
    // rule 1: world_readable allows anyone
    [InlineData("world_readable", null, false, true)]
    [InlineData("world_readable", "leave", false, true)]
    // rule 2: joined at the event
    [InlineData("joined", "join", false, true)]
    [InlineData("invited", "join", false, true)]
    [InlineData("shared", "join", false, true)]
    // rule 3: shared, joined afterwards
    [InlineData("shared", null, true, true)]
    [InlineData("shared", "invite", true, true)]
    [InlineData("shared", null, false, false)]
    [InlineData("joined", null, true, false)]
    [InlineData("invited", null, true, false)]
    // rule 4: invited visibility and invited at the event
    [InlineData("invited", "invite", false, true)]
    [InlineData("joined", "invite", true, false)]
    // rule 5: otherwise deny
    [InlineData("joined", "leave", false, false)]
    [InlineData("shared", "ban", false, false)]
    public void MaySee_Rules_FollowSpec(string visibility, string? membership, bool joinedAfterwards, bool expected) =>
        Assert.Equal(expected, HistoryVisibility.MaySee(visibility, membership, joinedAfterwards));

    [Fact]
    public void Walker_JoinedVisibility_SeesFromOwnJoinOn()
    {
        var w = new HistoryVisibilityWalker(Bob, "joined", null, long.MaxValue);
        Assert.False(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "join")));
        Assert.True(w.MaySee(Message(12)));
    }

    [Fact]
    public void Walker_InvitedVisibility_SeesFromInviteOn()
    {
        var w = new HistoryVisibilityWalker(Bob, "invited", null, long.MaxValue);
        Assert.False(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "invite")));
        Assert.True(w.MaySee(Message(12)));
        Assert.True(w.MaySee(Member(13, Bob, "join")));
    }

    [Fact]
    public void Walker_SharedCurrentlyJoined_SeesEarlierHistory()
    {
        var w = new HistoryVisibilityWalker(Bob, "shared", null, long.MaxValue);
        Assert.True(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "join")));
    }

    [Fact]
    public void Walker_LeftUser_SeesUpToAndIncludingLeaveOnly()
    {
        // Bob joined at 11 and left at 13 from a join: history shared up to his leave.
        var w = new HistoryVisibilityWalker(Bob, "shared", null, lastJoinedPosition: 13);
        Assert.True(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "join")));
        Assert.True(w.MaySee(Message(12)));
        Assert.True(w.MaySee(Member(13, Bob, "leave")));
        Assert.False(w.MaySee(Message(14)));
    }

    [Fact]
    public void Walker_LeftUserJoinedVisibility_SeesOnlyWhileJoined()
    {
        var w = new HistoryVisibilityWalker(Bob, "joined", null, lastJoinedPosition: 13);
        Assert.False(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "join")));
        Assert.True(w.MaySee(Message(12)));
        Assert.True(w.MaySee(Member(13, Bob, "leave"))); // own membership: allowed before or after
        Assert.False(w.MaySee(Message(14)));
    }

    [Fact]
    public void Walker_NeverJoinedNonMember_SeesOnlyWorldReadable()
    {
        var w = new HistoryVisibilityWalker(Bob, "shared", null, null);
        Assert.False(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Visibility(11, "world_readable")));
        Assert.True(w.MaySee(Message(12)));
        Assert.True(w.MaySee(Visibility(13, "joined"))); // before the change it was world_readable
        Assert.False(w.MaySee(Message(14)));
    }

    [Fact]
    public void Walker_OtherUsersMemberEvent_DoesNotChangeViewerMembership()
    {
        var w = new HistoryVisibilityWalker(Bob, "joined", null, long.MaxValue);
        Assert.False(w.MaySee(Member(10, Alice, "join")));
        Assert.False(w.MaySee(Message(11)));
    }

    [Fact]
    public void Walker_NoVisibilityEvent_DefaultsToShared()
    {
        var w = new HistoryVisibilityWalker(Bob, null, null, long.MaxValue);
        Assert.True(w.MaySee(Message(10)));
    }

    [Fact]
    public void Walker_KickedFromJoinedVisibility_SeesKickButNotAfter()
    {
        var w = new HistoryVisibilityWalker(Bob, "joined", "join", lastJoinedPosition: 11);
        Assert.True(w.MaySee(Message(10)));
        Assert.True(w.MaySee(Member(11, Bob, "leave")));
        Assert.False(w.MaySee(Message(12)));
    }
}
