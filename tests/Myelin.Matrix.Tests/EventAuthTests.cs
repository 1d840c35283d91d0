using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

/// <summary>spec: rooms v10 / v11 "Authorisation rules", one group per rule.</summary>
public class EventAuthTests
{
    private static void Allowed(AuthResult r) => Assert.True(r.Allowed, r.Reason);

    private static void Denied(AuthResult r)
    {
        Assert.False(r.Allowed);
        Assert.False(string.IsNullOrEmpty(r.Reason));
    }

    private static AuthEvent CreateEvent(string version, string roomId, string sender, JsonObject content, IReadOnlyList<string>? prev = null) =>
        new("$create", "m.room.create", "", sender, content, prev ?? [], roomId);

    private static readonly IReadOnlyDictionary<(string Type, string StateKey), AuthEvent> NoState =
        new Dictionary<(string Type, string StateKey), AuthEvent>();

    // ---- Rule 1: m.room.create ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_CreateWellFormed_Allowed(string version)
    {
        var content = new JsonObject { ["room_version"] = version, ["creator"] = "@a:example.org" };

        Allowed(EventAuth.Check(TestRoom.V(version), CreateEvent(version, "!r:example.org", "@a:example.org", content), NoState));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_CreateWithPrevEvents_Denied(string version) // rule 1.1
    {
        var content = new JsonObject { ["creator"] = "@a:example.org" };

        Denied(EventAuth.Check(TestRoom.V(version), CreateEvent(version, "!r:example.org", "@a:example.org", content, ["$x"]), NoState));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_CreateRoomDomainDiffersFromSender_Denied(string version) // rule 1.2
    {
        var content = new JsonObject { ["creator"] = "@a:other.org" };

        Denied(EventAuth.Check(TestRoom.V(version), CreateEvent(version, "!r:example.org", "@a:other.org", content), NoState));
    }

    [Theory]
    [InlineData("10", "999")]
    [InlineData("11", "999")]
    [InlineData("10", "")]
    public void Check_CreateUnrecognisedRoomVersion_Denied(string version, string claimed) // rule 1.3
    {
        var content = new JsonObject { ["creator"] = "@a:example.org", ["room_version"] = claimed };

        Denied(EventAuth.Check(TestRoom.V(version), CreateEvent(version, "!r:example.org", "@a:example.org", content), NoState));
    }

    [Fact]
    public void Check_CreateRoomVersionNotAString_Denied() // rule 1.3
    {
        var content = new JsonObject { ["creator"] = "@a:example.org", ["room_version"] = 10 };

        Denied(EventAuth.Check(RoomVersions.V10, CreateEvent("10", "!r:example.org", "@a:example.org", content), NoState));
    }

    [Fact]
    public void Check_CreateV10WithoutCreator_Denied() // v10 rule 1.4
    {
        var content = new JsonObject { ["room_version"] = "10" };

        Denied(EventAuth.Check(RoomVersions.V10, CreateEvent("10", "!r:example.org", "@a:example.org", content), NoState));
    }

    [Fact]
    public void Check_CreateV11WithoutCreator_Allowed() // v11 dropped rule 1.4
    {
        var content = new JsonObject { ["room_version"] = "11" };

        Allowed(EventAuth.Check(RoomVersions.V11, CreateEvent("11", "!r:example.org", "@a:example.org", content), NoState));
    }

    // ---- Rule 2: auth events ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_NoCreateEventInState_Denied(string version) // rule 2.4
    {
        var room = TestRoom.New(version);
        var state = room.State.Where(kv => kv.Key.Type != "m.room.create").ToDictionary();

        Denied(EventAuth.Check(room.Version, room.Event("m.room.message", null, room.Creator, new JsonObject()), state));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_AuthEventFromAnotherRoom_Denied(string version) // rule 2.5
    {
        var room = TestRoom.New(version);
        var pl = room.State[("m.room.power_levels", "")];
        room.Set(pl with { RoomId = "!elsewhere:example.org" });

        Denied(room.Check(room.Event("m.room.message", null, room.Creator, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void CheckAuthEvents_ExactSelection_Allowed(string version)
    {
        var room = TestRoom.New(version);
        var ev = room.Event("m.room.message", null, room.Creator, new JsonObject());
        var authEvents = new[] { room.CreateEvent, room.State[("m.room.power_levels", "")], room.State[("m.room.member", room.Creator)] };

        Allowed(EventAuth.CheckAuthEvents(room.Version, ev, authEvents));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void CheckAuthEvents_DuplicateTypeAndStateKey_Denied(string version) // rule 2.1
    {
        var room = TestRoom.New(version);
        var ev = room.Event("m.room.message", null, room.Creator, new JsonObject());
        var pl = room.State[("m.room.power_levels", "")];
        var authEvents = new[] { room.CreateEvent, pl, pl with { EventId = "$other" } };

        Denied(EventAuth.CheckAuthEvents(room.Version, ev, authEvents));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void CheckAuthEvents_EntryOutsideSelection_Denied(string version) // rule 2.2
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("public");
        var ev = room.Event("m.room.message", null, room.Creator, new JsonObject());
        var authEvents = new[] { room.CreateEvent, room.State[("m.room.join_rules", "")] };

        Denied(EventAuth.CheckAuthEvents(room.Version, ev, authEvents));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void CheckAuthEvents_NoCreateEvent_Denied(string version) // rule 2.4 (v10/v11 select the create event)
    {
        var room = TestRoom.New(version);
        var ev = room.Event("m.room.message", null, room.Creator, new JsonObject());

        Denied(EventAuth.CheckAuthEvents(room.Version, ev, [room.State[("m.room.power_levels", "")]]));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void CheckAuthEvents_EntryFromAnotherRoom_Denied(string version) // rule 2.5
    {
        var room = TestRoom.New(version);
        var ev = room.Event("m.room.message", null, room.Creator, new JsonObject());
        var pl = room.State[("m.room.power_levels", "")] with { RoomId = "!elsewhere:example.org" };

        Denied(EventAuth.CheckAuthEvents(room.Version, ev, [room.CreateEvent, pl]));
    }

    // ---- Rule 3: m.federate ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_UnfederatedRoomRemoteSender_Denied(string version)
    {
        var room = TestRoom.New(version, extraCreateContent: new JsonObject { ["m.federate"] = false });
        room.SetJoinRule("public");
        var remote = room.NewUser("remote.org");

        Denied(room.Check(room.Member(remote, remote, "join")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_UnfederatedRoomLocalSender_Allowed(string version)
    {
        var room = TestRoom.New(version, extraCreateContent: new JsonObject { ["m.federate"] = false });
        room.SetJoinRule("public");
        var local = room.NewUser();

        Allowed(room.Check(room.Member(local, local, "join")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_FederatedRoomRemoteSender_Allowed(string version)
    {
        var room = TestRoom.New(version, extraCreateContent: new JsonObject { ["m.federate"] = true });
        room.SetJoinRule("public");
        var remote = room.NewUser("remote.org");

        Allowed(room.Check(room.Member(remote, remote, "join")));
    }

    // ---- Rule 4.1: member shape ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MemberWithoutStateKey_Denied(string version)
    {
        var room = TestRoom.New(version);

        Denied(room.Check(room.Event("m.room.member", null, room.Creator, new JsonObject { ["membership"] = "join" })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MemberWithoutMembership_Denied(string version)
    {
        var room = TestRoom.New(version);

        Denied(room.Check(room.Event("m.room.member", room.Creator, room.Creator, new JsonObject { ["displayname"] = "x" })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MemberUnknownMembership_Denied(string version) // rule 4.8
    {
        var room = TestRoom.New(version);

        Denied(room.Check(room.Member(room.Creator, room.Creator, "dance")));
    }

    // ---- Rule 4.3: join ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_CreatorJoinRightAfterCreate_Allowed(string version) // rule 4.3.1
    {
        var room = TestRoom.New(version, withPowerLevels: false);
        var state = new Dictionary<(string Type, string StateKey), AuthEvent> { [("m.room.create", "")] = room.CreateEvent };
        var join = room.Event("m.room.member", room.Creator, room.Creator, new JsonObject { ["membership"] = "join" }, [room.CreateEvent.EventId]);

        Allowed(EventAuth.Check(room.Version, join, state));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_CreatorJoinNotDirectlyAfterCreate_FallsThroughAndIsDenied(string version) // rule 4.3.1 needs create as only prev
    {
        var room = TestRoom.New(version, withPowerLevels: false);
        var state = new Dictionary<(string Type, string StateKey), AuthEvent> { [("m.room.create", "")] = room.CreateEvent };
        var join = room.Event("m.room.member", room.Creator, room.Creator, new JsonObject { ["membership"] = "join" }, [room.CreateEvent.EventId, "$other"]);

        Denied(EventAuth.Check(room.Version, join, state));
    }

    [Fact]
    public void Check_V10CreatorJoinUsesContentCreator_Allowed() // v10 rule 4.3.1: creator from content.creator
    {
        var createContent = new JsonObject { ["room_version"] = "10", ["creator"] = "@boss:example.org" };
        var create = CreateEvent("10", "!r:example.org", "@someone:example.org", createContent);
        var state = new Dictionary<(string Type, string StateKey), AuthEvent> { [("m.room.create", "")] = create };
        var join = new AuthEvent("$j", "m.room.member", "@boss:example.org", "@boss:example.org",
            new JsonObject { ["membership"] = "join" }, ["$create"], "!r:example.org");

        Allowed(EventAuth.Check(RoomVersions.V10, join, state));
    }

    [Fact]
    public void Check_V11CreatorJoinIgnoresContentCreator_Denied() // v11 rule 4.3.1: creator is the create sender
    {
        var createContent = new JsonObject { ["room_version"] = "11", ["creator"] = "@boss:example.org" };
        var create = CreateEvent("11", "!r:example.org", "@someone:example.org", createContent);
        var state = new Dictionary<(string Type, string StateKey), AuthEvent> { [("m.room.create", "")] = create };
        var join = new AuthEvent("$j", "m.room.member", "@boss:example.org", "@boss:example.org",
            new JsonObject { ["membership"] = "join" }, ["$create"], "!r:example.org");

        Denied(EventAuth.Check(RoomVersions.V11, join, state));
    }

    [Fact]
    public void Check_V11CreateSenderJoinsFirst_Allowed() // v11 rule 4.3.1
    {
        var create = CreateEvent("11", "!r:example.org", "@someone:example.org", new JsonObject { ["room_version"] = "11" });
        var state = new Dictionary<(string Type, string StateKey), AuthEvent> { [("m.room.create", "")] = create };
        var join = new AuthEvent("$j", "m.room.member", "@someone:example.org", "@someone:example.org",
            new JsonObject { ["membership"] = "join" }, ["$create"], "!r:example.org");

        Allowed(EventAuth.Check(RoomVersions.V11, join, state));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_JoinOnBehalfOfAnother_Denied(string version) // rule 4.3.2
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("public");

        Denied(room.Check(room.Member(room.Creator, room.NewUser(), "join")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_JoinWhileBanned_DeniedEvenInPublicRoom(string version) // rule 4.3.3
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("public");
        var user = room.NewUser();
        room.SetMember(user, "ban");

        Denied(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10", "invite", "invite")]
    [InlineData("11", "invite", "invite")]
    [InlineData("10", "knock", "invite")]
    [InlineData("11", "knock", "invite")]
    [InlineData("10", "invite", "join")]
    [InlineData("11", "knock", "join")]
    public void Check_JoinInviteOrKnockRuleWithInviteOrJoin_Allowed(string version, string rule, string current) // rule 4.3.4
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();
        room.SetMember(user, current);

        Allowed(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10", "invite")]
    [InlineData("11", "invite")]
    [InlineData("10", "knock")]
    [InlineData("11", "knock")]
    public void Check_JoinInviteOrKnockRuleUninvited_Denied(string version, string rule) // rule 4.3.4
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_JoinKnockedUserUnderKnockRule_Denied(string version) // rule 4.3.4: a knock is not an invite
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("knock");
        var user = room.NewUser();
        room.SetMember(user, "knock");

        Denied(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_JoinWithoutJoinRulesEvent_TreatedAsInvite(string version)
    {
        var room = TestRoom.New(version);
        var stranger = room.NewUser();
        var invited = room.NewUser();
        room.SetMember(invited, "invite");

        Denied(room.Check(room.Member(stranger, stranger, "join")));
        Allowed(room.Check(room.Member(invited, invited, "join")));
    }

    [Theory]
    [InlineData("10", "restricted")]
    [InlineData("11", "restricted")]
    [InlineData("10", "knock_restricted")]
    [InlineData("11", "knock_restricted")]
    public void Check_RestrictedJoinAlreadyInvited_Allowed(string version, string rule) // rule 4.3.5.1
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();
        room.SetMember(user, "invite");

        Allowed(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10", "restricted")]
    [InlineData("11", "restricted")]
    [InlineData("10", "knock_restricted")]
    [InlineData("11", "knock_restricted")]
    public void Check_RestrictedJoinWithoutAuthoriser_Denied(string version, string rule) // rule 4.3.5.2
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10", "restricted")]
    [InlineData("11", "restricted")]
    [InlineData("10", "knock_restricted")]
    [InlineData("11", "knock_restricted")]
    public void Check_RestrictedJoinAuthorisedByJoinedInviter_Allowed(string version, string rule) // rule 4.3.5.3
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Allowed(room.Check(room.Member(user, user, "join", new JsonObject { ["join_authorised_via_users_server"] = room.Creator })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_RestrictedJoinAuthoriserNotJoined_Denied(string version) // rule 4.3.5.2
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("restricted");
        var authoriser = room.NewUser();
        room.SetMember(authoriser, "leave");
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "join", new JsonObject { ["join_authorised_via_users_server"] = authoriser })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_RestrictedJoinAuthoriserBelowInviteLevel_Denied(string version) // rule 4.3.5.2
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject { ["invite"] = 50, ["users"] = new JsonObject { [room.Creator] = 100 } });
        room.SetJoinRule("restricted");
        var authoriser = room.JoinedUser(level: 10);
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "join", new JsonObject { ["join_authorised_via_users_server"] = authoriser })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_JoinPublicRoom_Allowed(string version) // rule 4.3.6
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("public");
        var user = room.NewUser();

        Allowed(room.Check(room.Member(user, user, "join")));
    }

    [Theory]
    [InlineData("10", "private")]
    [InlineData("11", "private")]
    [InlineData("10", "nonsense")]
    public void Check_JoinOtherJoinRule_Denied(string version, string rule) // rule 4.3.7
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "join")));
    }

    // ---- Rule 4.4: invite ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_InviteByJoinedMemberWithInviteLevel_Allowed(string version) // rule 4.4.4
    {
        var room = TestRoom.New(version);
        var inviter = room.JoinedUser();

        Allowed(room.Check(room.Member(inviter, room.NewUser(), "invite")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_InviteBySenderNotJoined_Denied(string version) // rule 4.4.2
    {
        var room = TestRoom.New(version);
        var inviter = room.NewUser();
        room.SetMember(inviter, "invite");

        Denied(room.Check(room.Member(inviter, room.NewUser(), "invite")));
    }

    [Theory]
    [InlineData("10", "join")]
    [InlineData("11", "join")]
    [InlineData("10", "ban")]
    [InlineData("11", "ban")]
    public void Check_InviteTargetJoinedOrBanned_Denied(string version, string targetMembership) // rule 4.4.3
    {
        var room = TestRoom.New(version);
        var target = room.NewUser();
        room.SetMember(target, targetMembership);

        Denied(room.Check(room.Member(room.Creator, target, "invite")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_InviteBelowInviteLevel_Denied(string version) // rule 4.4.5
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject { ["invite"] = 50, ["users"] = new JsonObject { [room.Creator] = 100 } });
        var inviter = room.JoinedUser(level: 49);

        Denied(room.Check(room.Member(inviter, room.NewUser(), "invite")));
    }

    // ---- Rule 4.4.1: third-party invites ----

    private sealed record ThirdPartySetup(TestRoom Room, string Inviter, string Target, SigningKey Key, JsonObject Signed);

    private static ThirdPartySetup ThirdParty(string version, bool keyInPublicKeysList = false)
    {
        var room = TestRoom.New(version);
        var inviter = room.JoinedUser();
        var target = room.NewUser();
        var key = SigningKey.Generate();
        var inviteContent = new JsonObject { ["display_name"] = "a...@example.com", ["key_validity_url"] = "https://id.example.org/check" };
        if (keyInPublicKeysList)
        {
            inviteContent["public_key"] = UnpaddedBase64.Encode(new byte[32]);
            inviteContent["public_keys"] = new JsonArray(new JsonObject { ["public_key"] = key.PublicKeyBase64 });
        }
        else
        {
            inviteContent["public_key"] = key.PublicKeyBase64;
        }

        room.Set(room.Event("m.room.third_party_invite", "tok123", inviter, inviteContent));
        var signed = new JsonObject { ["mxid"] = target, ["token"] = "tok123" };
        JsonSigning.SignJson(signed, "id.example.org", key);
        return new ThirdPartySetup(room, inviter, target, key, signed);
    }

    private static AuthEvent ThirdPartyInvite(ThirdPartySetup s, JsonNode? signed, string? sender = null, string? target = null) =>
        s.Room.Member(sender ?? s.Inviter, target ?? s.Target, "invite", new JsonObject
        {
            ["third_party_invite"] = new JsonObject { ["display_name"] = "a...@example.com", ["signed"] = signed?.DeepClone() },
        });

    [Theory]
    [InlineData("10", false)]
    [InlineData("11", false)]
    [InlineData("10", true)]
    [InlineData("11", true)]
    public void Check_ThirdPartyInviteValidSignature_Allowed(string version, bool keyInList) // rule 4.4.1.7
    {
        var s = ThirdParty(version, keyInList);
        using var _ = s.Key;

        Allowed(s.Room.Check(ThirdPartyInvite(s, s.Signed)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteTargetBanned_Denied(string version) // rule 4.4.1.1
    {
        var s = ThirdParty(version);
        using var _ = s.Key;
        s.Room.SetMember(s.Target, "ban");

        Denied(s.Room.Check(ThirdPartyInvite(s, s.Signed)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteWithoutSigned_Denied(string version) // rule 4.4.1.2
    {
        var s = ThirdParty(version);
        using var _ = s.Key;

        Denied(s.Room.Check(ThirdPartyInvite(s, signed: null)));
    }

    [Theory]
    [InlineData("10", "mxid")]
    [InlineData("11", "token")]
    public void Check_ThirdPartyInviteSignedMissingField_Denied(string version, string field) // rule 4.4.1.3
    {
        var s = ThirdParty(version);
        using var _ = s.Key;
        var signed = s.Signed.DeepClone().AsObject();
        signed.Remove(field);

        Denied(s.Room.Check(ThirdPartyInvite(s, signed)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteMxidNotStateKey_Denied(string version) // rule 4.4.1.4
    {
        var s = ThirdParty(version);
        using var _ = s.Key;

        Denied(s.Room.Check(ThirdPartyInvite(s, s.Signed, target: s.Room.NewUser())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteNoMatchingInviteEvent_Denied(string version) // rule 4.4.1.5
    {
        var s = ThirdParty(version);
        using var _ = s.Key;
        var signed = new JsonObject { ["mxid"] = s.Target, ["token"] = "other-token" };
        JsonSigning.SignJson(signed, "id.example.org", s.Key);

        Denied(s.Room.Check(ThirdPartyInvite(s, signed)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteSenderDiffersFromInviteEventSender_Denied(string version) // rule 4.4.1.6
    {
        var s = ThirdParty(version);
        using var _ = s.Key;

        Denied(s.Room.Check(ThirdPartyInvite(s, s.Signed, sender: s.Room.Creator)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteBadSignature_Denied(string version) // rule 4.4.1.8
    {
        var s = ThirdParty(version);
        using var _ = s.Key;
        using var otherKey = SigningKey.Generate();
        var signed = new JsonObject { ["mxid"] = s.Target, ["token"] = "tok123" };
        JsonSigning.SignJson(signed, "id.example.org", otherKey);

        Denied(s.Room.Check(ThirdPartyInvite(s, signed)));
    }

    // ---- Rule 4.5: leave ----

    [Theory]
    [InlineData("10", "join")]
    [InlineData("11", "join")]
    [InlineData("10", "invite")]
    [InlineData("11", "invite")]
    [InlineData("10", "knock")]
    [InlineData("11", "knock")]
    public void Check_LeaveSelfFromJoinInviteOrKnock_Allowed(string version, string current) // rule 4.5.1
    {
        var room = TestRoom.New(version);
        var user = room.NewUser();
        room.SetMember(user, current);

        Allowed(room.Check(room.Member(user, user, "leave")));
    }

    [Theory]
    [InlineData("10", "ban")]
    [InlineData("11", "ban")]
    [InlineData("10", "leave")]
    [InlineData("11", null)]
    public void Check_LeaveSelfFromBanOrLeave_Denied(string version, string? current) // rule 4.5.1
    {
        var room = TestRoom.New(version);
        var user = room.NewUser();
        if (current is not null)
        {
            room.SetMember(user, current);
        }

        Denied(room.Check(room.Member(user, user, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_KickBySenderNotJoined_Denied(string version) // rule 4.5.2
    {
        var room = TestRoom.New(version);
        var target = room.JoinedUser();
        room.SetMember(room.Creator, "leave");

        Denied(room.Check(room.Member(room.Creator, target, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_UnbanBelowBanLevel_Denied(string version) // rule 4.5.3
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject { ["kick"] = 10, ["ban"] = 60, ["users"] = new JsonObject { [room.Creator] = 100 } });
        var moderator = room.JoinedUser(level: 50);
        var target = room.NewUser();
        room.SetMember(target, "ban");

        Denied(room.Check(room.Member(moderator, target, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_UnbanWithBanAndKickLevel_Allowed(string version) // rules 4.5.3 - 4.5.4
    {
        var room = TestRoom.New(version);
        var target = room.NewUser();
        room.SetMember(target, "ban");

        Allowed(room.Check(room.Member(room.Creator, target, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_KickLowerUserWithKickLevel_Allowed(string version) // rule 4.5.4
    {
        var room = TestRoom.New(version);
        var moderator = room.JoinedUser(level: 50);
        var target = room.JoinedUser(level: 49);

        Allowed(room.Check(room.Member(moderator, target, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_KickEqualLevelUser_Denied(string version) // rule 4.5.5
    {
        var room = TestRoom.New(version);
        var moderator = room.JoinedUser(level: 50);
        var target = room.JoinedUser(level: 50);

        Denied(room.Check(room.Member(moderator, target, "leave")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_KickBelowKickLevel_Denied(string version) // rule 4.5.5
    {
        var room = TestRoom.New(version);
        var weak = room.JoinedUser(level: 49);
        var target = room.JoinedUser();

        Denied(room.Check(room.Member(weak, target, "leave")));
    }

    // ---- Rule 4.6: ban ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_BanLowerUserWithBanLevel_Allowed(string version) // rule 4.6.2
    {
        var room = TestRoom.New(version);
        var moderator = room.JoinedUser(level: 50);

        Allowed(room.Check(room.Member(moderator, room.NewUser(), "ban")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_BanBySenderNotJoined_Denied(string version) // rule 4.6.1
    {
        var room = TestRoom.New(version);
        room.SetMember(room.Creator, "leave");

        Denied(room.Check(room.Member(room.Creator, room.NewUser(), "ban")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_BanBelowBanLevel_Denied(string version) // rule 4.6.3
    {
        var room = TestRoom.New(version);
        var weak = room.JoinedUser(level: 49);

        Denied(room.Check(room.Member(weak, room.NewUser(), "ban")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_BanEqualLevelUser_Denied(string version) // rule 4.6.3
    {
        var room = TestRoom.New(version);
        var a = room.JoinedUser(level: 60);
        var b = room.JoinedUser(level: 60);

        Denied(room.Check(room.Member(a, b, "ban")));
    }

    // ---- Rule 4.7: knock ----

    [Theory]
    [InlineData("10", "knock")]
    [InlineData("11", "knock")]
    [InlineData("10", "knock_restricted")]
    [InlineData("11", "knock_restricted")]
    public void Check_KnockUnderKnockRules_Allowed(string version, string rule) // rules 4.7.1, 4.7.3
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Allowed(room.Check(room.Member(user, user, "knock")));
    }

    [Theory]
    [InlineData("10", "invite")]
    [InlineData("11", "public")]
    [InlineData("10", "restricted")]
    public void Check_KnockUnderOtherRule_Denied(string version, string rule) // rule 4.7.1
    {
        var room = TestRoom.New(version);
        room.SetJoinRule(rule);
        var user = room.NewUser();

        Denied(room.Check(room.Member(user, user, "knock")));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_KnockOnBehalfOfAnother_Denied(string version) // rule 4.7.2
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("knock");
        var stranger = room.NewUser();

        // The sender is not in the room, so only rule 4.7.2 stands between this and rule 4.7.3's allow.
        Denied(room.Check(room.Member(stranger, room.NewUser(), "knock")));
    }

    [Theory]
    [InlineData("10", "ban")]
    [InlineData("11", "invite")]
    [InlineData("10", "join")]
    public void Check_KnockWhenBannedInvitedOrJoined_Denied(string version, string current) // rule 4.7.4
    {
        var room = TestRoom.New(version);
        room.SetJoinRule("knock");
        var user = room.NewUser();
        room.SetMember(user, current);

        Denied(room.Check(room.Member(user, user, "knock")));
    }

    // ---- Rules 5 - 8: non-membership events ----

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MessageFromNonMember_Denied(string version) // rule 5
    {
        var room = TestRoom.New(version);
        var stranger = room.NewUser();
        room.SetMember(stranger, "invite");

        Denied(room.Check(room.Event("m.room.message", null, stranger, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MessageFromMember_Allowed(string version) // rule 10
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser();

        Allowed(room.Check(room.Event("m.room.message", null, user, new JsonObject { ["body"] = "hi" })));
    }

    [Theory]
    [InlineData("10", 0, true)]
    [InlineData("11", 0, true)]
    [InlineData("10", 49, false)]
    [InlineData("11", 49, false)]
    public void Check_ThirdPartyInviteEvent_NeedsInviteLevel(string version, long level, bool allowed) // rule 6
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject
        {
            ["invite"] = level == 0 ? 0 : 50,
            ["state_default"] = 0,
            ["users"] = new JsonObject { [room.Creator] = 100 },
        });
        var user = room.JoinedUser(level);

        var result = room.Check(room.Event("m.room.third_party_invite", "token", user, new JsonObject { ["public_key"] = "x" }));

        Assert.Equal(allowed, result.Allowed);
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_ThirdPartyInviteEventBelowStateDefaultButAtInviteLevel_Allowed(string version) // rule 6 precedes rule 7
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser();

        Allowed(room.Check(room.Event("m.room.third_party_invite", "token", user, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_StateEventBelowStateDefault_Denied(string version) // rule 7
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser(level: 49);

        Denied(room.Check(room.Event("m.room.topic", "", user, new JsonObject { ["topic"] = "x" })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_StateEventAtStateDefault_Allowed(string version) // rule 7
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser(level: 50);

        Allowed(room.Check(room.Event("m.room.topic", "", user, new JsonObject { ["topic"] = "x" })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_MessageBelowEventsOverride_Denied(string version) // rule 7 with "events"
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject
        {
            ["events"] = new JsonObject { ["m.room.message"] = 10 },
            ["users"] = new JsonObject { [room.Creator] = 100 },
        });
        var user = room.JoinedUser(level: 9);

        Denied(room.Check(room.Event("m.room.message", null, user, new JsonObject())));
        Allowed(room.Check(room.Event("m.reaction", null, user, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_StateEventEventsOverrideBelowDefault_Allowed(string version) // rule 7: events beats state_default
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject
        {
            ["events"] = new JsonObject { ["m.room.topic"] = 0 },
            ["users"] = new JsonObject { [room.Creator] = 100 },
        });
        var user = room.JoinedUser();

        Allowed(room.Check(room.Event("m.room.topic", "", user, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_NoPowerLevelsEventNonCreatorState_DeniedAtDefault50(string version) // rule 7, schema defaults
    {
        var room = TestRoom.New(version, withPowerLevels: false);
        var user = room.JoinedUser();

        Denied(room.Check(room.Event("m.room.topic", "", user, new JsonObject())));
        Allowed(room.Check(room.Event("m.room.message", null, user, new JsonObject())));
        Allowed(room.Check(room.Event("m.room.topic", "", room.Creator, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_StateKeyIsAnotherUsersId_Denied(string version) // rule 8
    {
        var room = TestRoom.New(version);

        Denied(room.Check(room.Event("m.custom.state", room.NewUser(), room.Creator, new JsonObject())));
        Allowed(room.Check(room.Event("m.custom.state", room.Creator, room.Creator, new JsonObject())));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_RedactionBelowRedactLevel_AllowedBecauseRedactLevelIsNotAnAuthRule(string version)
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser();

        Allowed(room.Check(room.Event("m.room.redaction", null, user, new JsonObject { ["redacts"] = "$x" })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_RedactionBelowEventsLevelForRedaction_Denied(string version) // rule 7 for m.room.redaction
    {
        var room = TestRoom.New(version);
        room.SetPowerLevels(new JsonObject
        {
            ["events"] = new JsonObject { ["m.room.redaction"] = 50 },
            ["users"] = new JsonObject { [room.Creator] = 100 },
        });
        var user = room.JoinedUser();

        Denied(room.Check(room.Event("m.room.redaction", null, user, new JsonObject { ["redacts"] = "$x" })));
    }

    // ---- Rule 9: m.room.power_levels ----

    private static AuthEvent PowerLevelsEvent(TestRoom room, string sender, JsonObject content) =>
        room.Event("m.room.power_levels", "", sender, content);

    [Theory]
    [InlineData("10", "ban")]
    [InlineData("11", "users_default")]
    [InlineData("10", "events_default")]
    [InlineData("11", "state_default")]
    [InlineData("10", "redact")]
    [InlineData("11", "kick")]
    [InlineData("10", "invite")]
    public void Check_PowerLevelsStringValue_Denied(string version, string key) // rule 9.1 (v10 integer-only)
    {
        var room = TestRoom.New(version);
        var content = new JsonObject { [key] = "50", ["users"] = new JsonObject { [room.Creator] = 100 } };

        Denied(room.Check(PowerLevelsEvent(room, room.Creator, content)));
    }

    [Theory]
    [InlineData("10", "50.5")]
    [InlineData("11", "true")]
    [InlineData("10", "null")]
    [InlineData("11", "[50]")]
    public void Check_PowerLevelsNonIntegerValue_Denied(string version, string json) // rule 9.1
    {
        var room = TestRoom.New(version);
        var content = new JsonObject { ["ban"] = JsonNode.Parse(json), ["users"] = new JsonObject { [room.Creator] = 100 } };

        Denied(room.Check(PowerLevelsEvent(room, room.Creator, content)));
    }

    [Theory]
    [InlineData("10", "events", "{\"m.room.name\":\"50\"}")]
    [InlineData("11", "events", "[]")]
    [InlineData("10", "notifications", "{\"room\":\"50\"}")]
    [InlineData("11", "notifications", "5")]
    public void Check_PowerLevelsEventsOrNotificationsNotIntegerMap_Denied(string version, string key, string json) // rule 9.2
    {
        var room = TestRoom.New(version);
        var content = new JsonObject { [key] = JsonNode.Parse(json), ["users"] = new JsonObject { [room.Creator] = 100 } };

        Denied(room.Check(PowerLevelsEvent(room, room.Creator, content)));
    }

    [Theory]
    [InlineData("10", "{\"not-a-user\":10}")]
    [InlineData("11", "{\"@u:example.org\":\"10\"}")]
    [InlineData("10", "[]")]
    public void Check_PowerLevelsUsersMalformed_Denied(string version, string usersJson) // rule 9.3
    {
        var room = TestRoom.New(version);
        var users = JsonNode.Parse(usersJson)!;
        if (users is JsonObject u)
        {
            u[room.Creator] = 100;
        }

        Denied(room.Check(PowerLevelsEvent(room, room.Creator, new JsonObject { ["users"] = users })));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_FirstPowerLevelsEvent_Allowed(string version) // rule 9.4
    {
        var room = TestRoom.New(version, withPowerLevels: false);
        var content = new JsonObject
        {
            ["ban"] = 50, ["events_default"] = 0, ["state_default"] = 50, ["invite"] = 0, ["kick"] = 50, ["redact"] = 50,
            ["users_default"] = 0, ["events"] = new JsonObject { ["m.room.name"] = 50 },
            ["notifications"] = new JsonObject { ["room"] = 50 },
            ["users"] = new JsonObject { [room.Creator] = 100, ["@other:example.org"] = 100 },
        };

        Allowed(room.Check(PowerLevelsEvent(room, room.Creator, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsRaiseScalarAboveOwnLevel_Denied(string version) // rule 9.5.2
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["kick"] = 61;

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsChangeScalarCurrentlyAboveOwnLevel_Denied(string version) // rule 9.5.1
    {
        var room = TestRoom.New(version);
        var pl = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        pl["ban"] = 80;
        room.SetPowerLevels(pl);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["ban"] = 10;

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsRemoveScalarCurrentlyAboveOwnLevel_Denied(string version) // rule 9.5.1 (removal)
    {
        var room = TestRoom.New(version);
        var pl = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        pl["redact"] = 80;
        room.SetPowerLevels(pl);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content.Remove("redact");

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsChangeScalarWithinOwnLevel_Allowed(string version) // rule 9.5
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["kick"] = 60;
        content["invite"] = 10;

        Allowed(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10", "events")]
    [InlineData("11", "notifications")]
    public void Check_PowerLevelsChangeMapEntryCurrentlyAboveOwnLevel_Denied(string version, string map) // rule 9.6
    {
        var room = TestRoom.New(version);
        var pl = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        pl[map] = new JsonObject { ["x"] = 90 };
        room.SetPowerLevels(pl);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content[map] = new JsonObject();

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10", "events")]
    [InlineData("11", "notifications")]
    public void Check_PowerLevelsAddMapEntryAboveOwnLevel_Denied(string version, string map) // rule 9.7
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content[map] = new JsonObject { ["x"] = 61 };

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10", "events")]
    [InlineData("11", "notifications")]
    public void Check_PowerLevelsMapEntriesWithinOwnLevel_Allowed(string version, string map) // rules 9.6 - 9.7
    {
        var room = TestRoom.New(version);
        var pl = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        pl[map] = new JsonObject { ["old"] = 60, ["kept"] = 100 };
        room.SetPowerLevels(pl);
        var mod = room.JoinedUser(level: 60);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content[map] = new JsonObject { ["new"] = 60, ["kept"] = 100 };

        Allowed(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsDemotePeerAtOwnLevel_Denied(string version) // rule 9.8
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 50);
        var peer = room.JoinedUser(level: 50);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["users"]![peer] = 0;

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsRemoveLowerUser_Allowed(string version) // rule 9.8
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 50);
        var lower = room.JoinedUser(level: 49);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["users"]!.AsObject().Remove(lower);

        Allowed(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsDemoteSelf_Allowed(string version) // rule 9.8 excludes the sender's own entry
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 50);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["users"]![mod] = 10;

        Allowed(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsPromoteAboveOwnLevel_Denied(string version) // rule 9.9
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 50);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["users"]![room.NewUser()] = 51;

        Denied(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsPromoteToOwnLevel_Allowed(string version) // rule 9.9
    {
        var room = TestRoom.New(version);
        var mod = room.JoinedUser(level: 50);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();
        content["users"]![room.NewUser()] = 50;

        Allowed(room.Check(PowerLevelsEvent(room, mod, content)));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void Check_PowerLevelsByUserBelowStateDefault_Denied(string version) // rule 7 applies before rule 9
    {
        var room = TestRoom.New(version);
        var user = room.JoinedUser(level: 10);
        var content = room.State[("m.room.power_levels", "")].Content.DeepClone().AsObject();

        Denied(room.Check(PowerLevelsEvent(room, user, content)));
    }

    // ---- Auth events selection ----

    [Fact]
    public void SelectAuthStateKeys_Create_IsEmpty()
    {
        Assert.Empty(EventAuth.SelectAuthStateKeys("m.room.create", "", "@a:x", new JsonObject(), RoomVersions.V10));
    }

    [Theory]
    [InlineData("10")]
    [InlineData("11")]
    public void SelectAuthStateKeys_Message_CreatePowerLevelsSenderMember(string version)
    {
        var keys = EventAuth.SelectAuthStateKeys("m.room.message", null, "@a:x", new JsonObject(), TestRoom.V(version));

        Assert.Equal([("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.member", "@a:x")], keys);
    }

    [Fact]
    public void SelectAuthStateKeys_InviteWithThirdPartyInvite_AddsTargetJoinRulesAndToken()
    {
        var content = new JsonObject
        {
            ["membership"] = "invite",
            ["third_party_invite"] = new JsonObject { ["signed"] = new JsonObject { ["token"] = "tok" } },
        };

        var keys = EventAuth.SelectAuthStateKeys("m.room.member", "@b:x", "@a:x", content, RoomVersions.V10);

        Assert.Equal(
            [("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.member", "@a:x"), ("m.room.member", "@b:x"),
             ("m.room.join_rules", ""), ("m.room.third_party_invite", "tok")],
            keys);
    }

    [Fact]
    public void SelectAuthStateKeys_RestrictedJoin_AddsAuthoriserMemberOnce()
    {
        var content = new JsonObject { ["membership"] = "join", ["join_authorised_via_users_server"] = "@c:x" };

        var keys = EventAuth.SelectAuthStateKeys("m.room.member", "@a:x", "@a:x", content, RoomVersions.V11);

        Assert.Equal(
            [("m.room.create", ""), ("m.room.power_levels", ""), ("m.room.member", "@a:x"), ("m.room.join_rules", ""), ("m.room.member", "@c:x")],
            keys);
    }

    [Theory]
    [InlineData("leave")]
    [InlineData("ban")]
    public void SelectAuthStateKeys_LeaveOrBan_HasNoJoinRules(string membership)
    {
        var keys = EventAuth.SelectAuthStateKeys("m.room.member", "@b:x", "@a:x", new JsonObject { ["membership"] = membership }, RoomVersions.V10);

        Assert.DoesNotContain(("m.room.join_rules", ""), keys);
        Assert.Contains(("m.room.member", "@b:x"), keys);
    }

    [Fact]
    public void CreatorOf_V10AndV11_ReadContentOrSender()
    {
        var create = new AuthEvent("$c", "m.room.create", "", "@sender:x", new JsonObject { ["creator"] = "@content:x" }, [], "!r:x");

        Assert.Equal("@content:x", EventAuth.CreatorOf(create, RoomVersions.V10));
        Assert.Equal("@sender:x", EventAuth.CreatorOf(create, RoomVersions.V11));
    }
}
