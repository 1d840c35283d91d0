namespace Myelin.Matrix.Tests;

public sealed class ApplicationServicesTests
{
    static ApplicationService Irc(bool usersExclusive = true, bool aliasesExclusive = true) => new()
    {
        Id = "irc",
        Url = "http://127.0.0.1:9999",
        AsToken = "as-irc",
        HsToken = "hs-irc",
        SenderLocalpart = "ircbot",
        Sender = "@ircbot:hs",
        Users = [AppserviceNamespace.Create(@"@_irc_.*:hs", usersExclusive)],
        Aliases = [AppserviceNamespace.Create(@"#_irc_.*:hs", aliasesExclusive)],
        Rooms = [AppserviceNamespace.Create(@"!irc[a-z]+:hs", false)],
    };

    [Theory]
    [InlineData("@_irc_bob:hs", true)]
    [InlineData("@_irc_:hs", true)]
    [InlineData("@alice:hs", false)]
    [InlineData("@x_irc_bob:hs", false)] // anchored at the start, as Python's re.match
    public void IsUserInNamespace_MatchesFromTheStart(string userId, bool expected) =>
        Assert.Equal(expected, Irc().IsUserInNamespace(userId));

    [Fact]
    public void Namespace_MatchesAPrefix_NotNecessarilyTheWholeId()
    {
        var ns = AppserviceNamespace.Create("@bridge", exclusive: false);
        Assert.True(ns.Matches("@bridge_anything:elsewhere"));
        Assert.False(ns.Matches("x@bridge"));
    }

    [Fact]
    public void IsInterestedInUser_Sender_IsAlwaysOfInterestAndExclusive()
    {
        var s = Irc(usersExclusive: false);
        Assert.True(s.IsInterestedInUser("@ircbot:hs"));
        Assert.True(s.IsExclusiveUser("@ircbot:hs"));
        Assert.False(s.IsExclusiveUser("@_irc_bob:hs"));
        Assert.False(s.IsInterestedInUser("@alice:hs"));
    }

    [Theory]
    [InlineData("@_irc_bob:hs", "m.room.message", null, "!other:hs", true)]      // sender in namespace
    [InlineData("@alice:hs", "m.room.member", "@_irc_bob:hs", "!other:hs", true)] // target of a membership
    [InlineData("@alice:hs", "m.room.message", "@_irc_bob:hs", "!other:hs", false)] // state_key counts only for members
    [InlineData("@alice:hs", "m.room.message", null, "!ircabc:hs", true)]        // room in namespace
    [InlineData("@alice:hs", "m.room.message", null, "!other:hs", false)]
    public void IsInterestedInEventDirectly_FollowsTheSpecRules(string sender, string type, string? stateKey, string roomId, bool expected) =>
        Assert.Equal(expected, Irc().IsInterestedInEventDirectly(sender, type, stateKey, roomId));

    [Fact]
    public void IsInterestedInRoom_ByAliasOrJoinedMember()
    {
        var s = Irc();
        Assert.True(s.IsInterestedInRoom("!r:hs", ["#_irc_chan:hs"], []));
        Assert.True(s.IsInterestedInRoom("!r:hs", [], ["@alice:hs", "@_irc_bob:hs"]));
        Assert.True(s.IsInterestedInRoom("!r:hs", [], ["@ircbot:hs"]));
        Assert.False(s.IsInterestedInRoom("!r:hs", ["#general:hs"], ["@alice:hs"]));
    }

    [Fact]
    public void ExclusiveOwnerOfUser_OnlyExclusiveClaimsCount_AndTheAskingServiceIsExcepted()
    {
        var exclusive = Irc();
        var shared = new ApplicationService
        {
            Id = "shared", AsToken = "as-shared", HsToken = "hs", SenderLocalpart = "sharedbot", Sender = "@sharedbot:hs",
            Users = [AppserviceNamespace.Create("@shared_.*", exclusive: false)],
        };
        var all = new ApplicationServices([exclusive, shared]);
        Assert.Same(exclusive, all.ExclusiveOwnerOfUser("@_irc_bob:hs"));
        Assert.Same(exclusive, all.ExclusiveOwnerOfUser("@ircbot:hs"));
        Assert.Null(all.ExclusiveOwnerOfUser("@_irc_bob:hs", except: exclusive));
        Assert.Null(all.ExclusiveOwnerOfUser("@shared_x:hs"));
        Assert.Null(all.ExclusiveOwnerOfUser("@alice:hs"));
        Assert.Same(exclusive, all.ByToken("as-irc"));
        Assert.Same(shared, all.ById("shared"));
        Assert.Null(all.ByToken("hs-irc"));
    }

    [Fact]
    public void UserMayModifyAlias_NotInAnExclusiveNamespace_UnlessTheServiceItself()
    {
        var all = new ApplicationServices([Irc()]);
        Assert.False(all.UserMayModifyAlias("#_irc_chan:hs", "@alice:hs"));
        Assert.True(all.UserMayModifyAlias("#_irc_chan:hs", "@ircbot:hs"));
        Assert.True(all.UserMayModifyAlias("#general:hs", "@alice:hs"));
        Assert.True(new ApplicationServices([Irc(aliasesExclusive: false)]).UserMayModifyAlias("#_irc_chan:hs", "@alice:hs"));
    }
}
