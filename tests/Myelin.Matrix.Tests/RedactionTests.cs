using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class RedactionTests
{
    private static JsonObject Event(string type, JsonObject content, string? stateKey = "")
    {
        var ev = new JsonObject
        {
            ["event_id"] = "$ev",
            ["type"] = type,
            ["room_id"] = "!r:example.org",
            ["sender"] = "@u:example.org",
            ["content"] = content,
            ["hashes"] = new JsonObject { ["sha256"] = "h" },
            ["signatures"] = new JsonObject { ["example.org"] = new JsonObject { ["ed25519:1"] = "s" } },
            ["depth"] = 4,
            ["prev_events"] = new JsonArray("$p"),
            ["prev_state"] = new JsonArray(),
            ["auth_events"] = new JsonArray("$a"),
            ["origin"] = "example.org",
            ["origin_server_ts"] = 1234,
            ["membership"] = "join",
            ["unsigned"] = new JsonObject { ["age"] = 5 },
            ["redacts"] = "$target",
            ["custom"] = "x",
        };
        if (stateKey is not null)
        {
            ev["state_key"] = stateKey;
        }

        return ev;
    }

    private static string[] Keys(JsonObject obj) => obj.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Redact_V10TopLevel_KeepsV9ListIncludingOriginMembershipPrevState()
    {
        var redacted = Redaction.Redact(Event("m.room.message", new JsonObject()), RoomVersions.V10);

        Assert.Equal(
            ["auth_events", "content", "depth", "event_id", "hashes", "membership", "origin", "origin_server_ts",
             "prev_events", "prev_state", "room_id", "sender", "signatures", "state_key", "type"],
            Keys(redacted));
    }

    [Fact]
    public void Redact_V11TopLevel_DropsOriginMembershipPrevState()
    {
        var redacted = Redaction.Redact(Event("m.room.message", new JsonObject()), RoomVersions.V11);

        Assert.Equal(
            ["auth_events", "content", "depth", "event_id", "hashes", "origin_server_ts",
             "prev_events", "room_id", "sender", "signatures", "state_key", "type"],
            Keys(redacted));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Redact_MessageContent_IsEmptied(string version)
    {
        var redacted = Redaction.Redact(
            Event("m.room.message", new JsonObject { ["body"] = "hi", ["msgtype"] = "m.text" }, stateKey: null),
            RoomVersions.Get(version)!);

        Assert.Empty(redacted["content"]!.AsObject());
        Assert.False(redacted.ContainsKey("unsigned"));
        Assert.False(redacted.ContainsKey("redacts"));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Redact_MemberContent_KeepsMembershipAndAuthorisingServer(string version)
    {
        var content = new JsonObject
        {
            ["membership"] = "join",
            ["join_authorised_via_users_server"] = "@admin:example.org",
            ["displayname"] = "Alice",
            ["avatar_url"] = "mxc://x/y",
        };

        var redacted = Redaction.Redact(Event("m.room.member", content, "@u:example.org"), RoomVersions.Get(version)!);

        Assert.Equal(["join_authorised_via_users_server", "membership"], Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_MemberThirdPartyInviteV10_DropsIt()
    {
        var content = ThirdPartyInviteMemberContent();

        var redacted = Redaction.Redact(Event("m.room.member", content, "@u:example.org"), RoomVersions.V10);

        Assert.False(redacted["content"]!.AsObject().ContainsKey("third_party_invite"));
    }

    [Fact]
    public void Redact_MemberThirdPartyInviteV11_KeepsOnlySigned()
    {
        var content = ThirdPartyInviteMemberContent();

        var redacted = Redaction.Redact(Event("m.room.member", content, "@u:example.org"), RoomVersions.V11);

        var tpi = redacted["content"]!["third_party_invite"]!.AsObject();
        Assert.Equal(["signed"], Keys(tpi));
        Assert.Equal("tok", (string?)tpi["signed"]!["token"]);
    }

    [Fact]
    public void Redact_CreateV10_KeepsOnlyCreator()
    {
        var content = new JsonObject { ["creator"] = "@u:example.org", ["room_version"] = "10", ["m.federate"] = false };

        var redacted = Redaction.Redact(Event("m.room.create", content), RoomVersions.V10);

        Assert.Equal(["creator"], Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_CreateV11_KeepsAllContent()
    {
        var content = new JsonObject { ["room_version"] = "11", ["m.federate"] = false, ["predecessor"] = new JsonObject { ["room_id"] = "!old:x" } };

        var redacted = Redaction.Redact(Event("m.room.create", content), RoomVersions.V11);

        Assert.True(JsonNode.DeepEquals(content, redacted["content"]));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Redact_JoinRules_KeepsJoinRuleAndAllow(string version)
    {
        var content = new JsonObject
        {
            ["join_rule"] = "restricted",
            ["allow"] = new JsonArray(new JsonObject { ["type"] = "m.room_membership", ["room_id"] = "!s:x" }),
            ["other"] = 1,
        };

        var redacted = Redaction.Redact(Event("m.room.join_rules", content), RoomVersions.Get(version)!);

        Assert.Equal(["allow", "join_rule"], Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_PowerLevelsV10_DropsInvite()
    {
        var redacted = Redaction.Redact(Event("m.room.power_levels", FullPowerLevels()), RoomVersions.V10);

        Assert.Equal(
            ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"],
            Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_PowerLevelsV11_KeepsInvite()
    {
        var redacted = Redaction.Redact(Event("m.room.power_levels", FullPowerLevels()), RoomVersions.V11);

        Assert.Equal(
            ["ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users", "users_default"],
            Keys(redacted["content"]!.AsObject()));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Redact_HistoryVisibility_KeepsHistoryVisibility(string version)
    {
        var content = new JsonObject { ["history_visibility"] = "shared", ["x"] = 1 };

        var redacted = Redaction.Redact(Event("m.room.history_visibility", content), RoomVersions.Get(version)!);

        Assert.Equal(["history_visibility"], Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_RedactionV10_DropsContentRedacts()
    {
        var redacted = Redaction.Redact(
            Event("m.room.redaction", new JsonObject { ["redacts"] = "$t", ["reason"] = "spam" }, stateKey: null),
            RoomVersions.V10);

        Assert.Empty(redacted["content"]!.AsObject());
    }

    [Fact]
    public void Redact_RedactionV11_KeepsContentRedacts()
    {
        var redacted = Redaction.Redact(
            Event("m.room.redaction", new JsonObject { ["redacts"] = "$t", ["reason"] = "spam" }, stateKey: null),
            RoomVersions.V11);

        Assert.Equal(["redacts"], Keys(redacted["content"]!.AsObject()));
    }

    [Fact]
    public void Redact_Input_IsNotMutated()
    {
        var ev = Event("m.room.member", ThirdPartyInviteMemberContent(), "@u:example.org");
        var before = ev.DeepClone();

        var redacted = Redaction.Redact(ev, RoomVersions.V11);
        redacted["content"]!["third_party_invite"]!["signed"]!["token"] = "changed";
        redacted["signatures"]!["example.org"]!["ed25519:1"] = "changed";

        Assert.True(JsonNode.DeepEquals(before, ev));
    }

    private static JsonObject ThirdPartyInviteMemberContent() => new()
    {
        ["membership"] = "invite",
        ["third_party_invite"] = new JsonObject
        {
            ["display_name"] = "alice@example.com",
            ["signed"] = new JsonObject { ["mxid"] = "@u:example.org", ["token"] = "tok", ["signatures"] = new JsonObject() },
        },
    };

    private static JsonObject FullPowerLevels() => new()
    {
        ["ban"] = 50,
        ["events"] = new JsonObject { ["m.room.name"] = 50 },
        ["events_default"] = 0,
        ["invite"] = 0,
        ["kick"] = 50,
        ["notifications"] = new JsonObject { ["room"] = 20 },
        ["redact"] = 50,
        ["state_default"] = 50,
        ["users"] = new JsonObject { ["@u:example.org"] = 100 },
        ["users_default"] = 0,
    };
}

public class RedactionApplicationTests
{
    private static PowerLevels Levels() => PowerLevels.FromContent(new System.Text.Json.Nodes.JsonObject
    {
        ["redact"] = 50,
        ["users"] = new System.Text.Json.Nodes.JsonObject { ["@mod:a.org"] = 50, ["@weak:a.org"] = 49 },
    }, null);

    [Fact]
    public void ShouldApply_SenderAtRedactLevel_True()
    {
        Assert.True(Redaction.ShouldApply(Levels(), "@mod:a.org", "@victim:b.org"));
    }

    [Fact]
    public void ShouldApply_SameServerAsOriginalSender_TrueEvenWithoutLevel()
    {
        Assert.True(Redaction.ShouldApply(Levels(), "@weak:a.org", "@someone:a.org"));
    }

    [Fact]
    public void ShouldApply_OtherServerBelowRedactLevel_False()
    {
        Assert.False(Redaction.ShouldApply(Levels(), "@weak:a.org", "@someone:b.org"));
    }
}
