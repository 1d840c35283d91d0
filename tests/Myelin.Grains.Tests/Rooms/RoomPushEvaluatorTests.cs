using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Rooms;

/// <summary>
/// The glue between a room's state and its members' push rules: who is evaluated, with which member count,
/// display name and power levels; rulesets loaded, cached and dropped on change. Runs on an in-memory state
/// and a real SQLite database (for the stored rulesets), without a cluster.
/// </summary>
public sealed class RoomPushEvaluatorTests : IAsyncLifetime
{
    readonly string _dbPath = Path.Combine(Path.GetTempPath(), $"myelin-push-{Guid.NewGuid():N}.db");
    readonly InMemoryReplicationBus _bus = new();
    readonly ServerIdentity _server = new("localhost", SigningKey.Generate(), RoomVersions.V10);
    MyelinDatabase _db = null!;
    PushRulesCache _cache = null!;

    public async Task InitializeAsync()
    {
        _db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(_dbPath));
        _cache = new PushRulesCache(_db, _bus, NullLogger<PushRulesCache>.Instance);
    }

    public async Task DisposeAsync()
    {
        _cache.Dispose();
        await _db.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in new[] { _dbPath, _dbPath + "-wal", _dbPath + "-shm" })
            if (File.Exists(f)) File.Delete(f);
    }

    static string NewUser(string server = "localhost") => $"@u{Guid.NewGuid():N}"[..14] + ":" + server;

    sealed class Room(RoomState state, RoomPushEvaluator push, PushRulesCache cache, ServerIdentity server)
    {
        public RoomState State => state;

        /// <summary>Builds the draft as the room grain does (rulesets loaded, plan, build) and returns its actions.</summary>
        public async Task<IReadOnlyList<NewPushAction>> SendAsync(EventDraft draft)
        {
            IReadOnlyDictionary<string, PushRuleEvaluator>? loaded = null;
            PushPlan plan;
            while (!push.TryPlan(state, draft, loaded, out plan, out var missing)) loaded = await cache.LoadAsync(missing);
            var ev = state.Build(draft, server, null, out var pdu);
            return RoomPushEvaluator.Evaluate(plan, pdu, ev.Membership) ?? [];
        }

        public Task<IReadOnlyList<NewPushAction>> MessageAsync(string sender, string body, JsonObject? extra = null)
        {
            var content = new JsonObject { ["msgtype"] = "m.text", ["body"] = body };
            foreach (var (k, v) in extra ?? []) content[k] = v?.DeepClone();
            return SendAsync(new EventDraft("m.room.message", null, sender, content.ToJsonString()));
        }

        public Task JoinAsync(string user, string? displayName = null)
        {
            var content = new JsonObject { ["membership"] = "join" };
            if (displayName is not null) content["displayname"] = displayName;
            return SendAsync(new EventDraft("m.room.member", user, user, content.ToJsonString()));
        }
    }

    /// <summary>A public room created by <paramref name="creator"/>, with <paramref name="powerLevels"/> as its
    /// m.room.power_levels content, and the others joined.</summary>
    async Task<Room> RoomAsync(string creator, JsonObject? powerLevels = null, params (string User, string? Name)[] others)
    {
        var room = new Room(RoomState.Empty(MatrixIds.NewRoomId("localhost"), RoomVersions.V10, creator),
            new RoomPushEvaluator(_cache, _server), _cache, _server);
        await room.SendAsync(new EventDraft("m.room.create", "", creator, new JsonObject { ["creator"] = creator }.ToJsonString()));
        await room.JoinAsync(creator, "Creator");
        powerLevels ??= new JsonObject { ["users"] = new JsonObject { [creator] = 100 } };
        await room.SendAsync(new EventDraft("m.room.power_levels", "", creator, powerLevels.ToJsonString()));
        await room.SendAsync(new EventDraft("m.room.join_rules", "", creator, """{"join_rule":"public"}"""));
        foreach (var (user, name) in others) await room.JoinAsync(user, name);
        return room;
    }

    async Task StoreRulesAsync(string userId, Action<PushRuleSet> edit)
    {
        var set = PushRuleSet.FromStored(userId, null);
        edit(set);
        var position = await _db.AccountData.PutAccountDataAsync(userId, null, "m.push_rules", set.ToJson().ToJsonString());
        // What the push rules grain's write does on this process: the bus reports account data of the user.
        _bus.Publish(new StreamUpdate(StreamNames.AccountData, position, [], [userId]));
    }

    [Fact]
    public async Task Evaluate_MessageInTwoMemberRoom_NotifiesTheOtherMemberByTheOneToOneRule()
    {
        string alice = NewUser(), bob = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"));

        var actions = await room.MessageAsync(alice, "hello");

        var action = Assert.Single(actions);
        Assert.Equal(bob, action.UserId);
        Assert.True(action.Notify);
        Assert.False(action.Highlight);
        // .m.rule.room_one_to_one (room_member_count == 2) has the default sound; .m.rule.message has none.
        Assert.Contains("\"sound\"", action.ActionsJson);
    }

    [Fact]
    public async Task Evaluate_MessageInThreeMemberRoom_EveryOtherMemberByTheMessageRule()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"), (carol, "Carol"));

        var actions = await room.MessageAsync(bob, "hello all");

        Assert.Equal(new[] { alice, carol }.Order(), actions.Select(a => a.UserId).Order());
        Assert.All(actions, a => Assert.Equal("""["notify"]""", a.ActionsJson));
    }

    [Fact]
    public async Task Evaluate_UserMention_HighlightsOnlyTheMentionedMember()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"), (carol, "Carol"));

        var actions = await room.MessageAsync(alice, "bob?",
            new JsonObject { ["m.mentions"] = new JsonObject { ["user_ids"] = new JsonArray(bob) } });

        Assert.True(actions.Single(a => a.UserId == bob).Highlight);
        Assert.False(actions.Single(a => a.UserId == carol).Highlight);
    }

    [Fact]
    public async Task Evaluate_DisplayNameInBody_HighlightsTheMemberWhoseRuleAsksForIt()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bobby Tables"), (carol, "Carol"));
        // Both have a contains_display_name rule; only Bob's name is in the body.
        foreach (var user in new[] { bob, carol })
            await StoreRulesAsync(user, s => s.Put("override", "name", JsonNode.Parse("""
                {"conditions":[{"kind":"contains_display_name"}],"actions":["notify",{"set_tweak":"highlight"}]}
                """)!.AsObject(), null, null));

        var actions = await room.MessageAsync(alice, "is bobby tables around?");

        Assert.True(actions.Single(a => a.UserId == bob).Highlight);
        Assert.False(actions.Single(a => a.UserId == carol).Highlight);
    }

    [Fact]
    public async Task Evaluate_RoomMention_HighlightsOnlyWhenTheSenderHasTheNotificationLevel()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var levels = new JsonObject
        {
            ["users"] = new JsonObject { [alice] = 100, [bob] = 50 },
            ["notifications"] = new JsonObject { ["room"] = 50 },
        };
        var room = await RoomAsync(alice, levels, (bob, "Bob"), (carol, "Carol"));
        var roomMention = new JsonObject { ["m.mentions"] = new JsonObject { ["room"] = true } };

        var byModerator = await room.MessageAsync(bob, "everyone!", roomMention);
        var byMember = await room.MessageAsync(carol, "everyone!", roomMention);

        Assert.True(byModerator.Single(a => a.UserId == carol).Highlight);
        // Carol (level 0) is below notifications.room: the message rule notifies, without highlight.
        Assert.False(byMember.Single(a => a.UserId == bob).Highlight);
        Assert.True(byMember.Single(a => a.UserId == bob).Notify);
    }

    [Fact]
    public async Task Evaluate_PowerLevelsChange_TakenIntoAccountForTheNextEvent()
    {
        string alice = NewUser(), bob = NewUser();
        var room = await RoomAsync(alice, new JsonObject
        {
            ["users"] = new JsonObject { [alice] = 100 },
            ["notifications"] = new JsonObject { ["room"] = 50 },
        }, (bob, "Bob"));
        var roomMention = new JsonObject { ["m.mentions"] = new JsonObject { ["room"] = true } };
        Assert.False((await room.MessageAsync(bob, "all?", roomMention)).Single().Highlight);

        await room.SendAsync(new EventDraft("m.room.power_levels", "", alice, new JsonObject
        {
            ["users"] = new JsonObject { [alice] = 100, [bob] = 50 },
            ["notifications"] = new JsonObject { ["room"] = 50 },
        }.ToJsonString()));

        Assert.True((await room.MessageAsync(bob, "all?", roomMention)).Single().Highlight);
    }

    [Fact]
    public async Task Evaluate_SenderAndRemoteMembers_NeverEvaluated()
    {
        string alice = NewUser(), remote = NewUser("elsewhere.example");
        var room = await RoomAsync(alice, null, (remote, "Remote"));

        Assert.Empty(await room.MessageAsync(alice, "hello"));
        Assert.Equal(alice, Assert.Single(await room.MessageAsync(remote, "hello")).UserId);
        Assert.Null(_cache.TryGet(remote)); // never even loaded
    }

    [Fact]
    public async Task Evaluate_Invite_NotifiesTheInviteeWithTheirDisplayNameFromTheEvent()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"));
        await StoreRulesAsync(carol, s => s.Put("override", "name", JsonNode.Parse("""
            {"conditions":[{"kind":"contains_display_name"}],"actions":["notify",{"set_tweak":"highlight"}]}
            """)!.AsObject(), null, null));

        var actions = await room.SendAsync(new EventDraft("m.room.member", carol, alice,
            """{"membership":"invite","displayname":"Carol","body":"for carol"}"""));

        // Only the target of a membership event is evaluated; Bob is not.
        var action = Assert.Single(actions);
        Assert.Equal(carol, action.UserId);
        Assert.True(action.Highlight); // her own rule matched her display name from the invite event
    }

    [Fact]
    public async Task Evaluate_JoinOfAnotherUser_EvaluatesNobody()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"));
        Assert.Empty(await room.SendAsync(new EventDraft("m.room.member", carol, carol, """{"membership":"join"}""")));
    }

    [Fact]
    public async Task Evaluate_MemberJoinsLater_CountsAndNewMemberTakenIntoAccount()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"));
        Assert.Contains("sound", (await room.MessageAsync(alice, "just us")).Single().ActionsJson);

        await room.JoinAsync(carol, "Carol");
        var actions = await room.MessageAsync(alice, "three now");

        Assert.Equal(new[] { bob, carol }.Order(), actions.Select(a => a.UserId).Order());
        Assert.All(actions, a => Assert.DoesNotContain("sound", a.ActionsJson)); // no longer one-to-one
    }

    [Fact]
    public async Task Evaluate_RulesChangeReportedOnTheBus_NextEventUsesTheNewRules()
    {
        string alice = NewUser(), bob = NewUser(), carol = NewUser();
        var room = await RoomAsync(alice, null, (bob, "Bob"), (carol, "Carol"));
        Assert.Contains(await room.MessageAsync(alice, "lunch?"), a => a.UserId == bob);
        Assert.NotNull(_cache.TryGet(bob));

        await StoreRulesAsync(bob, s => s.Put("content", "quiet", JsonNode.Parse("""
            {"pattern":"lunch","actions":["dont_notify"]}
            """)!.AsObject(), null, null));

        Assert.Null(_cache.TryGet(bob)); // dropped by the bus update
        var actions = await room.MessageAsync(alice, "lunch now?");
        Assert.DoesNotContain(actions, a => a.UserId == bob);
        Assert.Contains(actions, a => a.UserId == carol);
    }

    [Fact]
    public async Task Cache_UsersWhoseRulesDifferOnlyByTheirId_ShareOneEvaluator()
    {
        string bob = NewUser(), carol = NewUser(), dave = NewUser(), erin = NewUser();
        await StoreRulesAsync(dave, s => s.Put("content", "kw", JsonNode.Parse("""{"pattern":"lunch","actions":["notify"]}""")!.AsObject(), null, null));
        // Rules stored, but only the defaults' enabled flag set to what it is: still the defaults.
        await StoreRulesAsync(erin, s => s.SetEnabled("underride", ".m.rule.message", true));

        var loaded = await _cache.LoadAsync([bob, carol, dave, erin]);

        Assert.Same(loaded[bob], loaded[carol]);
        Assert.Same(loaded[bob], loaded[erin]);
        Assert.NotSame(loaded[bob], loaded[dave]);
    }

    [Fact]
    public async Task Cache_CatchUpAfterWireLoss_DropsEveryRulesetAndMovesTheGeneration()
    {
        string bob = NewUser(), carol = NewUser();
        var loaded = await _cache.LoadAsync([bob, carol]);
        Assert.Same(loaded[bob], _cache.TryGet(bob));
        var generation = _cache.Generation;

        _bus.Publish(new StreamUpdate(StreamNames.AccountData, 1, [], [], Everyone: true));

        Assert.Null(_cache.TryGet(bob));
        Assert.Null(_cache.TryGet(carol));
        Assert.True(_cache.Generation > generation);
    }

    [Fact]
    public async Task Cache_OtherStreamsAndUsers_LeaveTheRulesetCached()
    {
        string bob = NewUser(), carol = NewUser();
        await _cache.LoadAsync([bob]);
        var generation = _cache.Generation;

        _bus.Publish(new StreamUpdate(StreamNames.Receipts, 1, [], [bob]));
        _bus.Publish(new StreamUpdate(StreamNames.AccountData, 1, [], [carol]));

        Assert.NotNull(_cache.TryGet(bob));
        Assert.Equal(generation, _cache.Generation);
    }
}
