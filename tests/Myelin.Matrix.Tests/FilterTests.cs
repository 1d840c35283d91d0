using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class FilterTests
{
    private static JsonObject Json(string s) => JsonNode.Parse(s)!.AsObject();

    [Fact]
    public void Parse_SpecExampleFilter_ReadsEveryField()
    {
        // spec: client-server API, POST /user/{userId}/filter request example.
        var filter = SyncFilter.Parse(Json("""
            {
              "room": {
                "state": { "types": ["m.room.*"], "not_rooms": ["!726s6s6q:example.com"] },
                "timeline": { "limit": 10, "types": ["m.room.message"], "not_rooms": ["!726s6s6q:example.com"], "not_senders": ["@spam:example.com"] },
                "ephemeral": { "types": ["m.receipt", "m.typing"], "not_rooms": ["!726s6s6q:example.com"], "not_senders": ["@spam:example.com"] }
              },
              "presence": { "types": ["m.presence"], "not_senders": ["@alice:example.com"] },
              "event_format": "client",
              "event_fields": ["type", "content", "sender"]
            }
            """));

        Assert.Equal(["m.room.*"], filter.State.Types!);
        Assert.Equal(["!726s6s6q:example.com"], filter.State.NotRooms!);
        Assert.Equal(10, filter.Timeline.Limit);
        Assert.Equal(["@spam:example.com"], filter.Timeline.NotSenders!);
        Assert.Equal(["m.receipt", "m.typing"], filter.Ephemeral.Types!);
        Assert.Equal(["@alice:example.com"], filter.Presence.NotSenders!);
        Assert.Equal("client", filter.EventFormat);
        Assert.Equal(["type", "content", "sender"], filter.EventFields!);
        Assert.Null(filter.AccountData.Types);
    }

    [Fact]
    public void Parse_RoomLevelFields_Read()
    {
        var filter = SyncFilter.Parse(Json("""
            {
              "room": {
                "rooms": ["!a:x", "!b:x"], "not_rooms": ["!b:x"], "include_leave": true,
                "account_data": { "types": ["m.tag"] },
                "state": { "lazy_load_members": true, "include_redundant_members": true, "contains_url": false },
                "timeline": { "unread_thread_notifications": true }
              },
              "account_data": { "not_types": ["m.push_rules"] },
              "event_format": "federation"
            }
            """));

        Assert.Equal(["!a:x", "!b:x"], filter.Rooms!);
        Assert.True(filter.IncludeLeave);
        Assert.Equal(["m.tag"], filter.RoomAccountData.Types!);
        Assert.True(filter.State.LazyLoadMembers);
        Assert.True(filter.State.IncludeRedundantMembers);
        Assert.False(filter.State.ContainsUrl);
        Assert.True(filter.Timeline.UnreadThreadNotifications);
        Assert.Equal(["m.push_rules"], filter.AccountData.NotTypes!);
        Assert.Equal("federation", filter.EventFormat);
        Assert.True(filter.IncludesRoom("!a:x"));
        Assert.False(filter.IncludesRoom("!b:x"));
        Assert.False(filter.IncludesRoom("!c:x"));
    }

    [Fact]
    public void Parse_EmptyObject_GivesDefaults()
    {
        var filter = SyncFilter.Parse(new JsonObject());

        Assert.Equal("client", filter.EventFormat);
        Assert.False(filter.IncludeLeave);
        Assert.Null(filter.Rooms);
        Assert.Null(filter.Timeline.Limit);
        Assert.False(filter.State.LazyLoadMembers);
        Assert.True(filter.IncludesRoom("!any:x"));
    }

    [Theory]
    [InlineData("""{"event_format":"xml"}""", "event_format")]
    [InlineData("""{"event_fields":"type"}""", "event_fields")]
    [InlineData("""{"event_fields":[1]}""", "event_fields")]
    [InlineData("""{"presence":[]}""", "presence")]
    [InlineData("""{"presence":{"senders":["alice"]}}""", "presence.senders")]
    [InlineData("""{"room":{"timeline":{"limit":0}}}""", "room.timeline.limit")]
    [InlineData("""{"room":{"timeline":{"limit":-3}}}""", "room.timeline.limit")]
    [InlineData("""{"room":{"timeline":{"limit":"10"}}}""", "room.timeline.limit")]
    [InlineData("""{"room":{"timeline":{"limit":1.5}}}""", "room.timeline.limit")]
    [InlineData("""{"room":{"state":{"types":"m.room.name"}}}""", "room.state.types")]
    [InlineData("""{"room":{"state":{"not_types":[null]}}}""", "room.state.not_types")]
    [InlineData("""{"room":{"state":{"rooms":["#alias:x"]}}}""", "room.state.rooms")]
    [InlineData("""{"room":{"state":{"lazy_load_members":"yes"}}}""", "room.state.lazy_load_members")]
    [InlineData("""{"room":{"ephemeral":{"contains_url":1}}}""", "room.ephemeral.contains_url")]
    [InlineData("""{"room":{"include_leave":"true"}}""", "room.include_leave")]
    [InlineData("""{"room":{"not_rooms":["x"]}}""", "room.not_rooms")]
    [InlineData("""{"room":[]}""", "room")]
    public void Parse_InvalidField_ThrowsNamingTheField(string json, string field)
    {
        var ex = Assert.Throws<FilterFormatException>(() => SyncFilter.Parse(Json(json)));

        Assert.StartsWith(field + " ", ex.Message);
    }

    [Fact]
    public void Parse_UnknownFields_Ignored()
    {
        var filter = SyncFilter.Parse(Json("""{"org.example.custom":1,"room":{"timeline":{"limit":5,"x":[]}}}"""));

        Assert.Equal(5, filter.Timeline.Limit);
    }

    [Theory]
    [InlineData("m.room.*", "m.room.message", true)]
    [InlineData("m.room.*", "m.room", false)]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", true)]
    [InlineData("m.*.message", "m.room.message", true)]
    [InlineData("m.*.message", "m.room.messages", false)]
    [InlineData("m.room.message", "m.room.message", true)]
    [InlineData("m.room.message", "m.room.messagex", false)]
    [InlineData("m.room.messag", "m.room.message", false)]
    [InlineData("*a*b", "xxaxxbxb", true)]
    [InlineData("m.room.?ame", "m.room.name", false)]
    public void WildcardMatch_Patterns_MatchAsSpecDescribes(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, EventFilter.WildcardMatch(pattern, value));
    }

    [Fact]
    public void Matches_TypesWithWildcard_IncludesOnlyMatching()
    {
        var f = new EventFilter { Types = ["m.room.*"] };

        Assert.True(f.Matches("m.room.name", "@a:x", "!r:x", null));
        Assert.False(f.Matches("m.reaction", "@a:x", "!r:x", null));
    }

    [Fact]
    public void Matches_NotTypesBeatsTypes_Excluded()
    {
        var f = new EventFilter { Types = ["m.room.*"], NotTypes = ["m.room.member"] };

        Assert.False(f.Matches("m.room.member", "@a:x", "!r:x", null));
        Assert.True(f.Matches("m.room.topic", "@a:x", "!r:x", null));
    }

    [Fact]
    public void Matches_SendersAndNotSenders_Applied()
    {
        var f = new EventFilter { Senders = ["@a:x", "@b:x"], NotSenders = ["@b:x"] };

        Assert.True(f.Matches("t", "@a:x", null, null));
        Assert.False(f.Matches("t", "@b:x", null, null));
        Assert.False(f.Matches("t", "@c:x", null, null));
    }

    [Fact]
    public void Matches_RoomsAndNotRooms_AppliedOnlyWhenRoomGiven()
    {
        var f = new EventFilter { Rooms = ["!a:x", "!b:x"], NotRooms = ["!b:x"] };

        Assert.True(f.Matches("t", "@u:x", "!a:x", null));
        Assert.False(f.Matches("t", "@u:x", "!b:x", null));
        Assert.False(f.Matches("t", "@u:x", "!c:x", null));
        Assert.True(f.Matches("t", "@u:x", null, null));
    }

    [Fact]
    public void Matches_ContainsUrl_FiltersOnUrlKey()
    {
        var withUrl = new JsonObject { ["url"] = "mxc://x/y" };
        var without = new JsonObject { ["body"] = "hi" };

        Assert.True(new EventFilter { ContainsUrl = true }.Matches("t", "@u:x", "!r:x", withUrl));
        Assert.False(new EventFilter { ContainsUrl = true }.Matches("t", "@u:x", "!r:x", without));
        Assert.False(new EventFilter { ContainsUrl = false }.Matches("t", "@u:x", "!r:x", withUrl));
        Assert.True(new EventFilter { ContainsUrl = false }.Matches("t", "@u:x", "!r:x", without));
        Assert.True(new EventFilter().Matches("t", "@u:x", "!r:x", withUrl));
    }

    [Fact]
    public void Matches_EmptyTypesList_MatchesNothing()
    {
        Assert.False(new EventFilter { Types = [] }.Matches("m.room.message", "@u:x", "!r:x", null));
    }

    [Fact]
    public void Default_ReturnsFreshPermissiveFilter()
    {
        var a = SyncFilter.Default;
        a.Timeline.Limit = 1;

        Assert.Null(SyncFilter.Default.Timeline.Limit);
        Assert.True(SyncFilter.Default.Timeline.Matches("anything", "@u:x", "!r:x", null));
    }
}
