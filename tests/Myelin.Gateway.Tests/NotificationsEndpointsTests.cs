using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>
/// Push rules at work through HTTP: unread_notifications in /sync as another member sends, highlights on
/// mentions, custom rules changing the counts, and GET /notifications.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NotificationsEndpointsTests(GatewayFixture fx)
{
    const string Rules = "/_matrix/client/v3/pushrules/global";

    /// <summary>Alice's public room with Bob (display name <paramref name="bobName"/>) joined.</summary>
    async Task<(MatrixClient Alice, MatrixClient Bob, string Room)> RoomAsync(string? bobName = null)
    {
        var alice = await fx.NewClient().RegisterAsync();
        var bob = await fx.NewClient().RegisterAsync();
        if (bobName is not null)
        {
            var r = await bob.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}/displayname",
                new { displayname = bobName });
            Assert.Equal(200, r.Status);
        }
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        return (alice, bob, room);
    }

    static async Task<string> SendAsync(MatrixClient c, string room, JsonObject content)
    {
        var r = await c.PutAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/send/m.room.message/{Guid.NewGuid():N}", content);
        Assert.Equal(200, r.Status);
        return (string)r.Json["event_id"]!;
    }

    static JsonObject Mentioning(string body, string userId) => new()
    {
        ["msgtype"] = "m.text", ["body"] = body, ["m.mentions"] = new JsonObject { ["user_ids"] = new JsonArray(userId) },
    };

    static (long Notifications, long Highlights)? Counts(JsonObject sync, string room) =>
        sync["rooms"]!["join"]![room]?["unread_notifications"] is JsonObject u
            ? ((long)u["notification_count"]!, (long)u["highlight_count"]!) : null;

    [Fact]
    public async Task Sync_MessagesFromAnotherMember_UnreadNotificationsGrow()
    {
        var (alice, bob, room) = await RoomAsync();
        var start = await bob.SyncAsync();
        Assert.Equal((0, 0), Counts(start, room));

        await alice.SendMessageAsync(room, "one");
        await alice.SendMessageAsync(room, "two");
        var next = await bob.SyncAsync((string)start["next_batch"]!);
        Assert.Equal((2, 0), Counts(next, room));

        // The sender's own messages never count for her.
        Assert.Equal((0, 0), Counts(await alice.SyncAsync(), room));
    }

    [Fact]
    public async Task Sync_MentionOfTheUserId_Highlights()
    {
        var (alice, bob, room) = await RoomAsync();
        await SendAsync(alice, room, Mentioning("bob, look", bob.UserId));
        Assert.Equal((1, 1), Counts(await bob.SyncAsync(), room));
    }

    [Fact]
    public async Task Sync_LongPollOfTheMember_ReturnsWithTheNewCounts()
    {
        var (alice, bob, room) = await RoomAsync();
        var since = (string)(await bob.SyncAsync())["next_batch"]!;

        var poll = bob.SyncAsync(since, timeoutMs: 20_000);
        await Task.Delay(300);
        await SendAsync(alice, room, Mentioning("ping", bob.UserId));

        Assert.Equal((1, 1), Counts(await poll, room));
    }

    [Fact]
    public async Task PushRule_OverrideOnDisplayName_HighlightsMessagesNamingTheUser()
    {
        var (alice, bob, room) = await RoomAsync(bobName: "Bobby Tables");
        Assert.Equal(200, (await bob.PutAsync($"{Rules}/override/my_name", new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["kind"] = "contains_display_name" }),
            ["actions"] = new JsonArray("notify", new JsonObject { ["set_tweak"] = "highlight" }),
        })).Status);

        await alice.SendMessageAsync(room, "has anyone seen bobby tables?");
        await alice.SendMessageAsync(room, "little bobby is late");

        Assert.Equal((2, 1), Counts(await bob.SyncAsync(), room));
    }

    [Fact]
    public async Task PushRule_ContentRuleDontNotify_MatchingMessagesNoLongerCount()
    {
        var (alice, bob, room) = await RoomAsync();
        await alice.SendMessageAsync(room, "lunch today?");
        Assert.Equal((1, 0), Counts(await bob.SyncAsync(), room));

        Assert.Equal(200, (await bob.PutAsync($"{Rules}/content/no_lunch",
            new { pattern = "lunch", actions = new[] { "dont_notify" } })).Status);
        await alice.SendMessageAsync(room, "LUNCH at noon");
        await alice.SendMessageAsync(room, "lunchtime"); // not the word: still counts
        Assert.Equal((2, 0), Counts(await bob.SyncAsync(), room));

        Assert.Equal(200, (await bob.DeleteAsync($"{Rules}/content/no_lunch")).Status);
        await alice.SendMessageAsync(room, "lunch?");
        Assert.Equal((3, 0), Counts(await bob.SyncAsync(), room));
    }

    [Fact]
    public async Task PushRule_OverrideOnKeyword_NotifiesWithHighlightEvenWhenMessagesAreMuted()
    {
        var (alice, bob, room) = await RoomAsync();
        // Every message muted (the default message rules off), but a keyword rule that highlights.
        foreach (var rule in new[] { ".m.rule.room_one_to_one", ".m.rule.message" })
            Assert.Equal(200, (await bob.PutAsync($"{Rules}/underride/{rule}/enabled", new { enabled = false })).Status);
        Assert.Equal(200, (await bob.PutAsync($"{Rules}/override/deploys", new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["kind"] = "event_match", ["key"] = "content.body", ["pattern"] = "deploy*" }),
            ["actions"] = new JsonArray("notify", new JsonObject { ["set_tweak"] = "highlight" }),
        })).Status);

        await alice.SendMessageAsync(room, "good morning");
        await alice.SendMessageAsync(room, "deploying now");

        Assert.Equal((1, 1), Counts(await bob.SyncAsync(), room));
    }

    [Fact]
    public async Task GetNotifications_ListsNotifiedEventsNewestFirst()
    {
        var (alice, bob, room) = await RoomAsync();
        var first = await alice.SendMessageAsync(room, "first");
        var second = await SendAsync(alice, room, Mentioning("second", bob.UserId));

        var r = await bob.GetAsync("/_matrix/client/v3/notifications");

        Assert.Equal(200, r.Status);
        var list = r.Json["notifications"]!.AsArray();
        Assert.Equal([second, first], list.Select(n => (string?)n!["event"]!["event_id"]));
        var top = list[0]!.AsObject();
        Assert.Equal(room, (string?)top["room_id"]);
        Assert.False((bool)top["read"]!);
        Assert.True((long)top["ts"]! > 0);
        Assert.Contains(top["actions"]!.AsArray(), a => a is JsonValue v && (string?)v == "notify");
        Assert.Contains(top["actions"]!.AsArray(), a => a is JsonObject o && (string?)o["set_tweak"] == "highlight");
        Assert.Equal("second", (string?)top["event"]!["content"]!["body"]);
        Assert.Null(top["event"]!["room_id"]); // spec: the event without its room ID
        Assert.Null(r.Json["next_token"]); // all of them fitted
        Assert.Empty((await alice.GetAsync("/_matrix/client/v3/notifications")).Json["notifications"]!.AsArray());
    }

    [Fact]
    public async Task GetNotifications_LimitAndFrom_PageThroughAll()
    {
        var (alice, bob, room) = await RoomAsync();
        var sent = new List<string>();
        for (var i = 0; i < 5; i++) sent.Add(await alice.SendMessageAsync(room, $"m{i}"));

        var seen = new List<string>();
        string? from = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var r = await bob.GetAsync("/_matrix/client/v3/notifications?limit=2" + (from is null ? "" : "&from=" + from));
            Assert.Equal(200, r.Status);
            seen.AddRange(r.Json["notifications"]!.AsArray().Select(n => (string)n!["event"]!["event_id"]!));
            from = (string?)r.Json["next_token"];
            if (from is null) break;
        }

        Assert.Equal(Enumerable.Reverse(sent), seen);
    }

    [Fact]
    public async Task GetNotifications_OnlyHighlight_LeavesOutTheRest()
    {
        var (alice, bob, room) = await RoomAsync();
        await alice.SendMessageAsync(room, "plain");
        var mention = await SendAsync(alice, room, Mentioning("you", bob.UserId));

        var r = await bob.GetAsync("/_matrix/client/v3/notifications?only=highlight");

        Assert.Equal([mention], r.Json["notifications"]!.AsArray().Select(n => (string?)n!["event"]!["event_id"]));
    }

    [Theory]
    [InlineData("from=abc")]
    [InlineData("from=-1")]
    [InlineData("limit=ten")]
    [InlineData("limit=-5")]
    public async Task GetNotifications_BadParameter_InvalidParam(string query)
    {
        var bob = await fx.NewClient().RegisterAsync();
        var r = await bob.GetAsync("/_matrix/client/v3/notifications?" + query);
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task GetNotifications_NoAccessToken_MissingToken()
    {
        var r = await fx.NewClient().SendAsync(HttpMethod.Get, "/_matrix/client/v3/notifications", auth: false);
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }
}
