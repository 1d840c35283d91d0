using System.Text.Json.Nodes;
using Myelin.Matrix;

namespace Myelin.Matrix.Tests;

public sealed class PushEvaluatorTests
{
    const string Alice = "@alice:example.org";
    const string Bob = "@bob:example.org";
    const string Room = "!room:example.org";

    static PushEvent Event(string json) => new(JsonNode.Parse(json)!.AsObject());

    static PushEvent Message(string body, string sender = Bob, string extraContent = "") => Event($$$"""
        {"type":"m.room.message","sender":"{{{sender}}}","room_id":"{{{Room}}}","event_id":"$e",
         "content":{"msgtype":"m.text","body":"{{{body}}}"{{{extraContent}}}}}
        """);

    static PushContext Ctx(int members = 3, string? displayName = "Alice", JsonObject? powerLevels = null) =>
        new(Alice, displayName, members, PowerLevels.FromContent(powerLevels ?? new JsonObject { ["users"] = new JsonObject { [Bob] = 50 } }, null));

    static PushRuleEvaluator Defaults() => new(DefaultPushRules.Ruleset(Alice));

    static PushRuleEvaluator With(Action<PushRuleSet> edit)
    {
        var set = PushRuleSet.FromStored(Alice, null);
        edit(set);
        return new PushRuleEvaluator(set.ToJson());
    }

    [Fact]
    public void Evaluate_MessageInGroupRoom_NotifiesWithoutHighlight()
    {
        var d = Defaults().Evaluate(Message("hello"), Ctx(members: 5));
        Assert.True(d.Notify);
        Assert.False(d.Highlight);
        Assert.Equal(".m.rule.message", d.RuleId);
    }

    [Fact]
    public void Evaluate_MessageInOneToOneRoom_NotifiesWithSound()
    {
        var d = Defaults().Evaluate(Message("hi"), Ctx(members: 2));
        Assert.True(d.Notify);
        Assert.Equal("default", d.Sound);
        Assert.Equal(".m.rule.room_one_to_one", d.RuleId);
    }

    [Fact]
    public void Evaluate_UserMentionInMentions_Highlights()
    {
        var d = Defaults().Evaluate(Message("hey", extraContent: $$$""","m.mentions":{"user_ids":["{{{Alice}}}"]}"""), Ctx());
        Assert.True(d.Highlight);
        Assert.Equal(".m.rule.is_user_mention", d.RuleId);
    }

    [Fact]
    public void Evaluate_RoomMention_HighlightsOnlyWithSenderPermission()
    {
        var ev = Message("all", extraContent: ""","m.mentions":{"room":true}""");
        Assert.Equal(".m.rule.is_room_mention", Defaults().Evaluate(ev, Ctx()).RuleId);
        var noPower = new JsonObject { ["users"] = new JsonObject(), ["notifications"] = new JsonObject { ["room"] = 50 } };
        Assert.NotEqual(".m.rule.is_room_mention", Defaults().Evaluate(ev, Ctx(powerLevels: noPower)).RuleId);
    }

    [Fact]
    public void Evaluate_Notice_IsSuppressed()
    {
        var d = Defaults().Evaluate(Event($$$"""{"type":"m.room.message","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"msgtype":"m.notice","body":"bot"}}"""), Ctx());
        Assert.False(d.Notify);
        Assert.Equal(".m.rule.suppress_notices", d.RuleId);
    }

    [Fact]
    public void Evaluate_InviteForMe_Notifies()
    {
        var d = Defaults().Evaluate(Event($$$"""{"type":"m.room.member","state_key":"{{{Alice}}}","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"membership":"invite"}}"""), Ctx());
        Assert.True(d.Notify);
        Assert.Equal(".m.rule.invite_for_me", d.RuleId);
    }

    [Fact]
    public void Evaluate_OtherMemberEvent_DoesNotNotify()
    {
        var d = Defaults().Evaluate(Event($$$"""{"type":"m.room.member","state_key":"{{{Bob}}}","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"membership":"join"}}"""), Ctx());
        Assert.False(d.Notify);
    }

    [Fact]
    public void Evaluate_MasterEnabled_SilencesEverything()
    {
        var eval = With(s => s.SetEnabled("override", ".m.rule.master", true));
        Assert.False(eval.Evaluate(Message("hi"), Ctx(members: 2)).Notify);
    }

    [Fact]
    public void Evaluate_RoomRuleDontNotify_BeatsUnderride()
    {
        var eval = With(s => s.Put("room", Room, JsonNode.Parse("""{"actions":[]}""")!.AsObject(), null, null));
        var d = eval.Evaluate(Message("hi"), Ctx());
        Assert.False(d.Notify);
        Assert.Equal(Room, d.RuleId);
    }

    [Fact]
    public void Evaluate_SenderRule_MatchesThatSender()
    {
        var eval = With(s => s.Put("sender", Bob, JsonNode.Parse("""{"actions":["notify",{"set_tweak":"highlight"}]}""")!.AsObject(), null, null));
        Assert.True(eval.Evaluate(Message("x"), Ctx()).Highlight);
        Assert.False(eval.Evaluate(Message("x", sender: "@carol:example.org"), Ctx()).Highlight);
    }

    // spec example: content.body "ex*ple" matches "An example event.", "exple", "An exciting triple-whammy".
    [Theory]
    [InlineData("An example event.", true)]
    [InlineData("exple", true)]
    [InlineData("An exciting triple-whammy", true)]
    [InlineData("examples", false)]
    [InlineData("texample", false)]
    public void Evaluate_ContentRule_MatchesOnWordBoundaries(string body, bool matches)
    {
        var eval = With(s => s.Put("content", "ex", JsonNode.Parse("""{"actions":["notify",{"set_tweak":"highlight"}],"pattern":"ex*ple"}""")!.AsObject(), null, null));
        Assert.Equal(matches, eval.Evaluate(Message(body), Ctx()).RuleId == "ex");
    }

    // spec example: content.topic "lunc?*" matches "Lunch plans" and "LUNCH", not " lunch" or "lunc".
    [Theory]
    [InlineData("\"Lunch plans\"", true)]
    [InlineData("\"LUNCH\"", true)]
    [InlineData("\" lunch\"", false)]
    [InlineData("\"lunc\"", false)]
    [InlineData("null", false)]
    public void Evaluate_EventMatch_MatchesWholeValueCaseInsensitively(string topic, bool matches)
    {
        var eval = With(s => s.Put("override", "lunch", JsonNode.Parse("""{"actions":["notify"],"conditions":[{"kind":"event_match","key":"content.topic","pattern":"lunc?*"}]}""")!.AsObject(), null, null));
        var ev = Event($$$"""{"type":"m.room.topic","state_key":"","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"topic":{{{topic}}}}}""");
        Assert.Equal(matches, eval.Evaluate(ev, Ctx()).RuleId == "lunch");
    }

    // spec example: content.m\.federate is true — not "true", not 1.
    [Theory]
    [InlineData("true", true)]
    [InlineData("\"true\"", false)]
    [InlineData("1", false)]
    public void Evaluate_EventPropertyIs_ExactWithEscapedDots(string value, bool matches)
    {
        var eval = With(s => s.Put("override", "fed", JsonNode.Parse("""{"actions":["notify"],"conditions":[{"kind":"event_property_is","key":"content.m\\.federate","value":true}]}""")!.AsObject(), null, null));
        var ev = Event($$$"""{"type":"m.room.create","state_key":"","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"m.federate":{{{value}}}}}""");
        Assert.Equal(matches, eval.Evaluate(ev, Ctx()).RuleId == "fed");
    }

    [Fact]
    public void Evaluate_EventPropertyContains_ExactElementOnly()
    {
        var eval = With(s => s.Put("override", "alias", JsonNode.Parse("""{"actions":["notify"],"conditions":[{"kind":"event_property_contains","key":"content.alt_aliases","value":"#myroom:example.com"}]}""")!.AsObject(), null, null));
        var yes = Event($$$"""{"type":"m.room.canonical_alias","state_key":"","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"alt_aliases":["#somewhere:example.org","#myroom:example.com"]}}""");
        var no = Event($$$"""{"type":"m.room.canonical_alias","state_key":"","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"alt_aliases":[":example.com"]}}""");
        Assert.Equal("alias", eval.Evaluate(yes, Ctx()).RuleId);
        Assert.NotEqual("alias", eval.Evaluate(no, Ctx()).RuleId);
    }

    [Theory]
    [InlineData("<=10", 10, true)]
    [InlineData("<=10", 11, false)]
    [InlineData(">2", 3, true)]
    [InlineData("2", 2, true)]
    [InlineData("==2", 3, false)]
    public void Evaluate_RoomMemberCount_ComparesAsSpecified(string isSpec, int members, bool matches)
    {
        var eval = With(s => s.Put("override", "count", JsonNode.Parse($$$"""{"actions":["notify"],"conditions":[{"kind":"room_member_count","is":"{{{isSpec}}}"}]}""")!.AsObject(), null, null));
        Assert.Equal(matches, eval.Evaluate(Message("x"), Ctx(members: members)).RuleId == "count");
    }

    [Fact]
    public void Evaluate_ContainsDisplayName_OnWordBoundary()
    {
        var ruleset = JsonNode.Parse("""{"global":{"override":[{"rule_id":"dn","enabled":true,"default":false,"actions":["notify",{"set_tweak":"highlight"}],"conditions":[{"kind":"contains_display_name"}]}]}}""")!.AsObject();
        var eval = new PushRuleEvaluator(ruleset);
        Assert.True(eval.Evaluate(Message("hi Alice!"), Ctx()).Highlight);
        Assert.False(eval.Evaluate(Message("Alicealot"), Ctx()).Highlight);
    }

    // A pattern without wildcards is compared as a string (no regex): the same results as the glob.
    [Theory]
    [InlineData("lunch", "Lunch at noon", true)]
    [InlineData("lunch", "LUNCH", true)]
    [InlineData("lunch", "(lunch)", true)]
    [InlineData("lunch", "lunchtime", false)]
    [InlineData("lunch", "a_lunch", false)]
    [InlineData("lunch", "lunch2", false)]
    [InlineData("lunch", "lunchy lunch", true)] // a later occurrence on word boundaries counts
    [InlineData("big deal", "a BIG DEAL!", true)]
    [InlineData("c++", "i like c++.", true)]
    [InlineData("lunch", "", false)]
    public void Evaluate_LiteralContentPattern_MatchesWholeWordsOnly(string pattern, string body, bool matches)
    {
        var eval = With(s => s.Put("content", "kw", new JsonObject { ["actions"] = new JsonArray("notify"), ["pattern"] = pattern }, null, null));
        Assert.Equal(matches, eval.Evaluate(Message(body), Ctx()).RuleId == "kw");
    }

    [Theory]
    [InlineData("M.Room.Topic", true)]
    [InlineData("m.room.topi", false)]
    [InlineData("m.room.topics", false)]
    public void Evaluate_LiteralEventMatch_WholeValueIgnoringCase(string pattern, bool matches)
    {
        var eval = With(s => s.Put("override", "t", JsonNode.Parse($$$"""{"actions":["notify"],"conditions":[{"kind":"event_match","key":"type","pattern":"{{{pattern}}}"}]}""")!.AsObject(), null, null));
        var ev = Event($$$"""{"type":"m.room.topic","state_key":"","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"topic":"x"}}""");
        Assert.Equal(matches, eval.Evaluate(ev, Ctx()).RuleId == "t");
    }

    [Theory]
    [InlineData("Alice", "ALICE, hi", true)]
    [InlineData("Alice", "malice", false)]
    [InlineData("Dr. Who", "is dr. who in?", true)]
    [InlineData("Dr. Who", "dr whom", false)]
    public void ContainsWord_WordBoundariesIgnoringCase(string word, string text, bool expected) =>
        Assert.Equal(expected, PushRuleEvaluator.ContainsWord(text, word));

    [Fact]
    public void Evaluate_Match_CarriesTheRuleActionsAsJson()
    {
        var d = Defaults().Evaluate(Message("hello"), Ctx(members: 2));
        Assert.Equal(".m.rule.room_one_to_one", d.RuleId);
        Assert.Equal("""["notify",{"set_tweak":"sound","value":"default"}]""", d.ActionsJson);
    }

    const string Carol = "@carol:example.org";

    static PushContext CtxFor(string userId, string? displayName = null) =>
        new(userId, displayName, 3, PowerLevels.FromContent(new JsonObject(), null));

    static PushEvent Invite(string invitee) => Event($$$"""{"type":"m.room.member","state_key":"{{{invitee}}}","sender":"{{{Bob}}}","room_id":"{{{Room}}}","content":{"membership":"invite"}}""");

    static PushEvent Mention(string userId) =>
        Message("hey", extraContent: $$$""","m.mentions":{"user_ids":["{{{userId}}}"]}""");

    [Fact]
    public void OwnerBound_DefaultsOfAlice_DecideForTheEvaluatedMember()
    {
        var shared = new PushRuleEvaluator(DefaultPushRules.Ruleset(Alice), owner: Alice);

        Assert.Equal(".m.rule.invite_for_me", shared.Evaluate(Invite(Carol), CtxFor(Carol)).RuleId);
        Assert.False(shared.Evaluate(Invite(Alice), CtxFor(Carol)).Notify);
        Assert.True(shared.Evaluate(Mention(Carol), CtxFor(Carol)).Highlight);
        Assert.False(shared.Evaluate(Mention(Alice), CtxFor(Carol)).Highlight);
    }

    [Fact]
    public void ShareKey_DefaultsOfTwoUsers_Equal_CustomRuleMakesThemDiffer()
    {
        var alice = new PushRuleEvaluator(PushRuleSet.FromStored(Alice, null).ToJson(), owner: Alice);
        var carol = new PushRuleEvaluator(PushRuleSet.FromStored(Carol, null).ToJson(), owner: Carol);
        Assert.Equal(alice.ShareKey, carol.ShareKey);
        Assert.DoesNotContain(Alice, alice.ShareKey);

        var custom = PushRuleSet.FromStored(Carol, null);
        custom.Put("content", "kw", JsonNode.Parse("""{"pattern":"lunch","actions":["notify"]}""")!.AsObject(), null, null);
        Assert.NotEqual(alice.ShareKey, new PushRuleEvaluator(custom.ToJson(), owner: Carol).ShareKey);
        Assert.Null(new PushRuleEvaluator(DefaultPushRules.Ruleset(Alice)).ShareKey);
    }

    [Fact]
    public void OwnerBound_GlobNamingTheOwner_StaysLiteral()
    {
        PushRuleEvaluator For(string owner)
        {
            var set = PushRuleSet.FromStored(owner, null);
            set.Put("override", "about_alice", JsonNode.Parse($$$"""{"conditions":[{"kind":"event_match","key":"content.body","pattern":"*{{{Alice}}}*"}],"actions":["notify"]}""")!.AsObject(), null, null);
            return new PushRuleEvaluator(set.ToJson(), owner);
        }

        // A glob is never bound: it keeps naming Alice whoever owns the ruleset, and whoever it is evaluated for.
        Assert.Equal(For(Alice).ShareKey, For(Carol).ShareKey);
        Assert.Contains(Alice, For(Alice).ShareKey);
        Assert.Equal("about_alice", For(Alice).Evaluate(Message($"ping {Alice}"), CtxFor(Carol)).RuleId);
        Assert.NotEqual("about_alice", For(Alice).Evaluate(Message($"ping {Carol}"), CtxFor(Carol)).RuleId);
    }

    [Fact]
    public void ShareKey_RulesetHoldingANul_NeverSharedWithABoundOne()
    {
        PushRuleEvaluator For(string owner, string value)
        {
            var set = PushRuleSet.FromStored(owner, null);
            set.Put("override", "x", new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject { ["kind"] = "event_property_is", ["key"] = "content.who", ["value"] = value }),
                ["actions"] = new JsonArray("notify"),
            }, null, null);
            return new PushRuleEvaluator(set.ToJson(), owner);
        }

        Assert.NotEqual(For(Alice, Alice).ShareKey, For(Carol, "\u0000owner").ShareKey);
    }

    [Fact]
    public void OwnerBound_ContentRuleOnOwnId_MatchesTheEvaluatedMembersId()
    {
        var set = PushRuleSet.FromStored(Alice, null);
        set.Put("content", "me", JsonNode.Parse($$$"""{"pattern":"{{{Alice}}}","actions":["notify",{"set_tweak":"highlight"}]}""")!.AsObject(), null, null);
        var shared = new PushRuleEvaluator(set.ToJson(), owner: Alice);

        Assert.True(shared.Evaluate(Message($"hi {Carol}!"), CtxFor(Carol)).Highlight);
        Assert.False(shared.Evaluate(Message($"hi {Alice}!"), CtxFor(Carol)).Highlight);
    }

    [Fact]
    public void Evaluate_UnknownCondition_NeverMatches()
    {
        var ruleset = JsonNode.Parse("""{"global":{"override":[{"rule_id":"odd","enabled":true,"default":false,"actions":["notify"],"conditions":[{"kind":"telepathy"}]}]}}""")!.AsObject();
        Assert.Equal(PushDecision.None, new PushRuleEvaluator(ruleset).Evaluate(Message("x"), Ctx()));
    }
}
