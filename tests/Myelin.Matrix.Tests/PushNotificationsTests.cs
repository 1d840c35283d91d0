using System.Text.Json.Nodes;
using Myelin.Matrix;

namespace Myelin.Matrix.Tests;

public sealed class PushNotificationsTests
{
    static readonly PushDevice Device = new("org.example.app", "PK", 1_700_000_123_456,
        new JsonObject { ["url"] = "https://push.example/_matrix/push/v1/notify", ["format"] = "full", ["brand"] = "x" });

    static JsonObject Message(string body = "hi") => new()
    {
        ["type"] = "m.room.message", ["room_id"] = "!r:test", ["sender"] = "@alice:test",
        ["content"] = new JsonObject { ["msgtype"] = "m.text", ["body"] = body },
    };

    static PushStateEvent Member(string user, string membership, long ts, string? name = null, string? sender = null) =>
        new("m.room.member", user, sender ?? user, ts, name is null
            ? new JsonObject { ["membership"] = membership }
            : new JsonObject { ["membership"] = membership, ["displayname"] = name });

    [Fact]
    public void Tweaks_SetTweakActions_AbsentValueIsTrue()
    {
        var actions = JsonNode.Parse("""["notify",{"set_tweak":"sound","value":"default"},{"set_tweak":"highlight"},{"set_tweak":"x","value":false}]""")!.AsArray();
        Assert.Equal("""{"sound":"default","highlight":true,"x":false}""", PushNotifications.Tweaks(actions).ToJsonString());
        Assert.Empty(PushNotifications.Tweaks(["notify"]));
    }

    [Theory]
    [InlineData("m.room.message", """{}""", "low")]
    [InlineData("m.room.message", """{"highlight":false}""", "low")]
    [InlineData("m.room.message", """{"highlight":true}""", "high")]
    [InlineData("m.room.message", """{"sound":"default"}""", "high")]
    [InlineData("m.room.encrypted", """{}""", "high")]
    public void Priority_HighOnlyForSoundHighlightOrEncrypted(string type, string tweaks, string expected) =>
        Assert.Equal(expected, PushNotifications.Priority(type, JsonNode.Parse(tweaks)!.AsObject()));

    [Fact]
    public void ForEvent_Full_EveryEventFieldAndTheDeviceWithoutUrl()
    {
        var tweaks = new JsonObject { ["sound"] = "default" };
        var body = PushNotifications.ForEvent(Message(), "$e", "@bob:test", tweaks, 3, Device, eventIdOnly: false,
            includeContent: true, senderDisplayName: "Alice", roomName: "Team");
        Assert.Equal("""
            {"notification":{"id":"$e","event_id":"$e","room_id":"!r:test","type":"m.room.message","sender":"@alice:test","prio":"high","counts":{"unread":3},"content":{"msgtype":"m.text","body":"hi"},"sender_display_name":"Alice","room_name":"Team","devices":[{"app_id":"org.example.app","pushkey":"PK","pushkey_ts":1700000123,"data":{"format":"full","brand":"x"},"tweaks":{"sound":"default"}}]}}
            """.Trim(), body.ToJsonString());
        // The pusher's own data is not changed by building the body.
        Assert.NotNull(Device.Data["url"]);
    }

    [Fact]
    public void ForEvent_WithoutContentNamesOrTweaks_LeavesThemOut()
    {
        var n = PushNotifications.ForEvent(Message(), "$e", "@bob:test", [], 0, Device, false, includeContent: false, null, "")["notification"]!;
        Assert.Null(n["content"]);
        Assert.Null(n["sender_display_name"]);
        Assert.Null(n["room_name"]);
        Assert.Null(n["devices"]![0]!["tweaks"]);
        Assert.Equal("low", (string)n["prio"]!);
    }

    [Fact]
    public void ForEvent_EventIdOnly_IdsPriorityCountsAndNoTweaks()
    {
        var body = PushNotifications.ForEvent(Message(), "$e", "@bob:test", new JsonObject { ["highlight"] = true }, 1, Device,
            eventIdOnly: true, includeContent: true, "Alice", "Team");
        Assert.Equal("""
            {"notification":{"event_id":"$e","room_id":"!r:test","prio":"high","counts":{"unread":1},"devices":[{"app_id":"org.example.app","pushkey":"PK","pushkey_ts":1700000123,"data":{"format":"full","brand":"x"}}]}}
            """.Trim(), body.ToJsonString());
    }

    [Fact]
    public void ForEvent_MemberEvent_MembershipAndWhetherTheUserIsTheTarget()
    {
        var invite = new JsonObject
        {
            ["type"] = "m.room.member", ["room_id"] = "!r:test", ["sender"] = "@alice:test", ["state_key"] = "@bob:test",
            ["content"] = new JsonObject { ["membership"] = "invite" },
        };
        var n = PushNotifications.ForEvent(invite, "$i", "@bob:test", [], 1, Device, false, true, null, null)["notification"]!;
        Assert.Equal("invite", (string)n["membership"]!);
        Assert.True((bool)n["user_is_target"]!);
        n = PushNotifications.ForEvent(invite, "$i", "@carol:test", [], 1, Device, false, true, null, null)["notification"]!;
        Assert.False((bool)n["user_is_target"]!);
    }

    [Fact]
    public void BadgeUpdate_OnlyTheCounts()
    {
        Assert.Equal("""
            {"notification":{"id":"","type":null,"sender":"","counts":{"unread":2},"devices":[{"app_id":"org.example.app","pushkey":"PK","pushkey_ts":1700000123,"data":{"format":"full","brand":"x"}}]}}
            """.Trim(), PushNotifications.BadgeUpdate(2, Device).ToJsonString());
    }

    [Fact]
    public void Badge_InvitesPlusRoomsWithUnread()
    {
        Assert.Equal(3, PushNotifications.Badge(1, [0, 4, 1, 0]));
        Assert.Equal(0, PushNotifications.Badge(0, []));
    }

    [Fact]
    public void Rejected_ThePushkeysListed()
    {
        Assert.Equal(["a", "b"], PushNotifications.Rejected(JsonNode.Parse("""{"rejected":["a","b",3]}""")));
        Assert.Empty(PushNotifications.Rejected(JsonNode.Parse("{}")));
        Assert.Empty(PushNotifications.Rejected(JsonNode.Parse("[]")));
    }

    [Fact]
    public void RoomName_NameThenAliasThenMembers()
    {
        var members = new List<PushStateEvent>
        {
            Member("@alice:test", "join", 1, "Alice"), Member("@bob:test", "join", 2), Member("@carol:test", "join", 3, "Carol"),
        };
        Assert.Equal("@bob:test and Carol", PushNotifications.RoomName(members, "@alice:test"));
        Assert.Equal("Alice and Carol", PushNotifications.RoomName(members, "@bob:test"));

        var withAlias = members.Append(new PushStateEvent("m.room.canonical_alias", "", "@alice:test", 4,
            new JsonObject { ["alias"] = "#team:test" })).ToList();
        Assert.Equal("#team:test", PushNotifications.RoomName(withAlias, "@bob:test"));
        var badAlias = members.Append(new PushStateEvent("m.room.canonical_alias", "", "@alice:test", 4,
            new JsonObject { ["alias"] = "team" })).ToList();
        Assert.Equal("Alice and Carol", PushNotifications.RoomName(badAlias, "@bob:test"));

        var named = withAlias.Append(new PushStateEvent("m.room.name", "", "@alice:test", 5, new JsonObject { ["name"] = "Team" })).ToList();
        Assert.Equal("Team", PushNotifications.RoomName(named, "@bob:test"));
        var emptyName = withAlias.Append(new PushStateEvent("m.room.name", "", "@alice:test", 5, new JsonObject { ["name"] = "" })).ToList();
        Assert.Equal("#team:test", PushNotifications.RoomName(emptyName, "@bob:test"));
    }

    [Fact]
    public void RoomName_OneOtherMemberIsNull_ManyIsFirstAndOthers_LeftMembersDoNotCount()
    {
        List<PushStateEvent> oneToOne = [Member("@alice:test", "join", 1), Member("@bob:test", "join", 2)];
        Assert.Null(PushNotifications.RoomName(oneToOne, "@bob:test"));

        List<PushStateEvent> big = [Member("@bob:test", "join", 0), Member("@a:test", "join", 1, "A"), Member("@b:test", "invite", 2),
            Member("@c:test", "join", 3), Member("@gone:test", "leave", 4)];
        Assert.Equal("A and 2 others", PushNotifications.RoomName(big, "@bob:test"));
    }

    [Fact]
    public void RoomName_InvitesAndEmptyRooms()
    {
        List<PushStateEvent> invited = [Member("@alice:test", "join", 1), Member("@bob:test", "invite", 2, sender: "@alice:test")];
        Assert.Null(PushNotifications.RoomName(invited, "@bob:test"));
        List<PushStateEvent> unknownInviter = [Member("@bob:test", "invite", 2, sender: "@alice:test")];
        Assert.Equal("Room Invite", PushNotifications.RoomName(unknownInviter, "@bob:test"));

        Assert.Equal(PushNotifications.EmptyRoom, PushNotifications.RoomName([Member("@bob:test", "join", 1)], "@bob:test"));
        Assert.Equal(PushNotifications.EmptyRoom, PushNotifications.RoomName([], "@bob:test"));
        // Synapse: a lone member whose membership someone else made is named after that member event.
        Assert.Equal("Bob", PushNotifications.RoomName([Member("@bob:test", "join", 1, "Bob", sender: "@alice:test")], "@bob:test"));
        // One other member and nobody else: no name, as in a 1:1 room.
        Assert.Null(PushNotifications.RoomName([Member("@alice:test", "join", 1, "Alice")], "@bob:test"));
    }
}
