using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class PowerLevelsTests
{
    [Fact]
    public void FromContent_NoEvent_UsesSpecDefaults()
    {
        var pl = PowerLevels.FromContent(null, "@creator:example.org");

        Assert.Equal(100, pl.UserLevel("@creator:example.org"));
        Assert.Equal(0, pl.UserLevel("@other:example.org"));
        Assert.Equal(50, pl.Ban);
        Assert.Equal(50, pl.Kick);
        Assert.Equal(0, pl.Invite);
        Assert.Equal(50, pl.Redact);
        Assert.Equal(50, pl.StateDefault);
        Assert.Equal(0, pl.EventsDefault);
        Assert.Equal(0, pl.UsersDefault);
        Assert.Equal(50, pl.EventLevel("m.room.name", isState: true));
        Assert.Equal(0, pl.EventLevel("m.room.message", isState: false));
        Assert.Equal(50, pl.NotificationLevel("room"));
    }

    [Fact]
    public void FromContent_NoEventNoCreator_EveryoneAtZero()
    {
        var pl = PowerLevels.FromContent(null, null);

        Assert.Equal(0, pl.UserLevel("@anyone:example.org"));
    }

    [Fact]
    public void FromContent_EmptyContent_CreatorGetsNoSpecialLevel()
    {
        var pl = PowerLevels.FromContent(new JsonObject(), "@creator:example.org");

        Assert.Equal(0, pl.UserLevel("@creator:example.org"));
        Assert.Equal(50, pl.StateDefault);
        Assert.Equal(50, pl.Kick);
    }

    [Fact]
    public void FromContent_ExplicitValues_AreUsed()
    {
        var pl = PowerLevels.FromContent(JsonNode.Parse("""
            {
              "ban": 70, "kick": 60, "invite": 10, "redact": 40,
              "state_default": 30, "events_default": 5, "users_default": 3,
              "events": { "m.room.name": 80, "m.reaction": 1 },
              "notifications": { "room": 20 },
              "users": { "@mod:example.org": 50 }
            }
            """)!.AsObject(), "@creator:example.org");

        Assert.Equal((70L, 60L, 10L, 40L), (pl.Ban, pl.Kick, pl.Invite, pl.Redact));
        Assert.Equal((30L, 5L, 3L), (pl.StateDefault, pl.EventsDefault, pl.UsersDefault));
        Assert.Equal(50, pl.UserLevel("@mod:example.org"));
        Assert.Equal(3, pl.UserLevel("@creator:example.org"));
        Assert.Equal(80, pl.EventLevel("m.room.name", isState: true));
        Assert.Equal(1, pl.EventLevel("m.reaction", isState: false));
        Assert.Equal(30, pl.EventLevel("m.room.topic", isState: true));
        Assert.Equal(5, pl.EventLevel("m.room.message", isState: false));
        Assert.Equal(20, pl.NotificationLevel("room"));
    }

    [Fact]
    public void FromContent_NegativeAndLargeValues_AreKept()
    {
        var pl = PowerLevels.FromContent(new JsonObject
        {
            ["users_default"] = -5,
            ["users"] = new JsonObject { ["@big:x"] = 9007199254740991L },
        }, null);

        Assert.Equal(-5, pl.UserLevel("@nobody:x"));
        Assert.Equal(9007199254740991L, pl.UserLevel("@big:x"));
    }

    [Fact]
    public void FromContent_NonIntegerValues_FallBackToDefaults()
    {
        var pl = PowerLevels.FromContent(JsonNode.Parse("""{"ban":"10","kick":1.5,"users":{"@a:x":"100"}}""")!.AsObject(), null);

        Assert.Equal(50, pl.Ban);
        Assert.Equal(50, pl.Kick);
        Assert.Equal(0, pl.UserLevel("@a:x"));
    }
}
