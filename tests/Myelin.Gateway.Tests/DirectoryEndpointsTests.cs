using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class DirectoryEndpointsTests(GatewayFixture fx)
{
    static string AliasPath(string alias) => "/_matrix/client/v3/directory/room/" + Uri.EscapeDataString(alias);
    static string ListPath(string roomId) => "/_matrix/client/v3/directory/list/room/" + Uri.EscapeDataString(roomId);
    static string AliasesPath(string roomId) => $"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/aliases";
    static string NewAlias() => $"#{MatrixClient.NewLocalpart("a")}:localhost";

    static async Task<JsonObject> QueryAsync(MatrixClient c, object body)
    {
        var r = await c.PostAsync("/_matrix/client/v3/publicRooms", body);
        Assert.Equal(200, r.Status);
        return r.Json;
    }

    static List<string> RoomIds(JsonObject page) => page["chunk"]!.AsArray().Select(e => e!["room_id"]!.GetValue<string>()).ToList();

    /// <summary>The room's m.room.canonical_alias content as an initial sync of <paramref name="c"/> shows it.</summary>
    static async Task<JsonNode?> CanonicalAliasAsync(MatrixClient c, string roomId)
    {
        var room = (await c.SyncAsync())["rooms"]!["join"]![roomId]!;
        var events = room["timeline"]!["events"]!.AsArray().Concat(room["state"]?["events"]?.AsArray() ?? []);
        return events.Where(e => (string?)e!["type"] == "m.room.canonical_alias")
            .OrderBy(e => e!["origin_server_ts"]!.GetValue<long>()).LastOrDefault()?["content"];
    }

    // --- aliases ---

    [Fact]
    public async Task PutAlias_Member_ResolvesWithoutToken()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var alias = NewAlias();

        var put = await alice.PutAsync(AliasPath(alias), new { room_id = room });

        Assert.Equal(200, put.Status);
        Assert.Empty(put.Json);
        using var anonymous = fx.NewClient();
        var get = await anonymous.GetAsync(AliasPath(alias));
        Assert.Equal(200, get.Status);
        Assert.Equal(room, (string?)get.Json["room_id"]);
        Assert.Equal("localhost", (string?)Assert.Single(get.Json["servers"]!.AsArray()));
    }

    [Fact]
    public async Task PutAlias_Taken_Returns409()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var alias = NewAlias();
        await alice.PutAsync(AliasPath(alias), new { room_id = room });

        var r = await alice.PutAsync(AliasPath(alias), new { room_id = await alice.CreateRoomAsync() });

        Assert.Equal(409, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
        Assert.Equal(room, (string?)(await alice.GetAsync(AliasPath(alias))).Json["room_id"]);
    }

    [Fact]
    public async Task PutAlias_OtherServer_Returns400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var r = await alice.PutAsync(AliasPath($"#{MatrixClient.NewLocalpart("a")}:example.org"), new { room_id = room });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_InvalidAlias_Returns400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var r = await alice.PutAsync(AliasPath("no-sigil:localhost"), new { room_id = room });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_UnknownRoom_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(AliasPath(NewAlias()), new { room_id = "!nosuchroom:localhost" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_NotInRoom_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var r = await bob.PutAsync(AliasPath(NewAlias()), new { room_id = room });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_MissingRoomId_Returns400MissingParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(AliasPath(NewAlias()), new { });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_MISSING_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_RoomIdNotString_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(AliasPath(NewAlias()), new { room_id = 5 });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Put, AliasPath(NewAlias()), rawBody: "room_id=!x:localhost");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PutAlias_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.PutAsync(AliasPath(NewAlias()), new { room_id = "!x:localhost" });
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task GetAlias_Unknown_Returns404NotFound()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(AliasPath(NewAlias()));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task GetAlias_Invalid_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(AliasPath("#nodomain"));
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task GetAlias_Empty_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/directory/room/");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task DeleteAlias_ByCreator_RemovesIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var alias = NewAlias();
        await alice.PutAsync(AliasPath(alias), new { room_id = room });

        var r = await alice.DeleteAsync(AliasPath(alias));

        Assert.Equal(200, r.Status);
        Assert.Equal(404, (await alice.GetAsync(AliasPath(alias))).Status);
    }

    [Fact]
    public async Task DeleteAlias_ByRoomModeratorNotCreator_RemovesIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var alias = NewAlias();
        Assert.Equal(200, (await bob.PutAsync(AliasPath(alias), new { room_id = room })).Status);

        var r = await alice.DeleteAsync(AliasPath(alias));

        Assert.Equal(200, r.Status);
        Assert.Equal(404, (await alice.GetAsync(AliasPath(alias))).Status);
    }

    [Fact]
    public async Task DeleteAlias_ByMemberWithoutPower_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var alias = NewAlias();
        await alice.PutAsync(AliasPath(alias), new { room_id = room });

        var r = await bob.DeleteAsync(AliasPath(alias));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
        Assert.Equal(200, (await bob.GetAsync(AliasPath(alias))).Status);
    }

    [Fact]
    public async Task DeleteAlias_ByNonMember_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var mallory = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var alias = NewAlias();
        await alice.PutAsync(AliasPath(alias), new { room_id = room });

        var r = await mallory.DeleteAsync(AliasPath(alias));

        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task DeleteAlias_Unknown_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.DeleteAsync(AliasPath(NewAlias()));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task DeleteAlias_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.DeleteAsync(AliasPath(NewAlias()));
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task DeleteAlias_CanonicalAlias_IsRemovedFromRoomState()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var name = MatrixClient.NewLocalpart("c");
        var room = await alice.CreateRoomAsync(new { room_alias_name = name });
        var alias = $"#{name}:localhost";
        Assert.Equal(alias, (string?)(await CanonicalAliasAsync(alice, room))!["alias"]);

        var r = await alice.DeleteAsync(AliasPath(alias));

        Assert.Equal(200, r.Status);
        var content = await CanonicalAliasAsync(alice, room);
        Assert.NotNull(content);
        Assert.Null(content!["alias"]);
    }

    [Fact]
    public async Task GetLocalAliases_Member_ListsThem()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var a1 = NewAlias();
        var a2 = NewAlias();
        await alice.PutAsync(AliasPath(a1), new { room_id = room });
        await alice.PutAsync(AliasPath(a2), new { room_id = room });

        var r = await alice.GetAsync(AliasesPath(room));

        Assert.Equal(200, r.Status);
        var aliases = r.Json["aliases"]!.AsArray().Select(a => (string?)a).ToList();
        Assert.Equal(2, aliases.Count);
        Assert.Contains(a1, aliases);
        Assert.Contains(a2, aliases);
    }

    [Fact]
    public async Task GetLocalAliases_NoAliases_ReturnsEmptyList()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var r = await alice.GetAsync(AliasesPath(room));
        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json["aliases"]!.AsArray());
    }

    [Fact]
    public async Task GetLocalAliases_NonMember_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var mallory = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var r = await mallory.GetAsync(AliasesPath(room));
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task GetLocalAliases_WorldReadableRoom_AllowsNonMember()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new
        {
            initial_state = new[] { new { type = "m.room.history_visibility", state_key = "", content = new { history_visibility = "world_readable" } } },
        });
        var r = await bob.GetAsync(AliasesPath(room));
        Assert.Equal(200, r.Status);
    }

    [Fact]
    public async Task GetLocalAliases_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(AliasesPath("!abc:localhost"));
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    // --- room directory visibility ---

    [Fact]
    public async Task GetVisibility_CreatedPublicAndPrivate_ReportsEach()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var pub = await alice.CreateRoomAsync(new { visibility = "public" });
        var priv = await alice.CreateRoomAsync();
        using var anonymous = fx.NewClient();
        Assert.Equal("public", (string?)(await anonymous.GetAsync(ListPath(pub))).Json["visibility"]);
        Assert.Equal("private", (string?)(await anonymous.GetAsync(ListPath(priv))).Json["visibility"]);
    }

    [Fact]
    public async Task GetVisibility_UnknownRoom_Returns404NotFound()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync(ListPath("!nosuchroom:localhost"));
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task SetVisibility_RoomAdmin_PublishesAndUnpublishes()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });

        Assert.Equal(200, (await alice.PutAsync(ListPath(room), new { visibility = "public" })).Status);
        Assert.Equal("public", (string?)(await alice.GetAsync(ListPath(room))).Json["visibility"]);
        Assert.Equal(200, (await alice.PutAsync(ListPath(room), new { visibility = "private" })).Status);
        Assert.Equal("private", (string?)(await alice.GetAsync(ListPath(room))).Json["visibility"]);
    }

    [Fact]
    public async Task SetVisibility_NoVisibilityGiven_DefaultsToPublic()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        Assert.Equal(200, (await alice.PutAsync(ListPath(room), new { })).Status);
        Assert.Equal("public", (string?)(await alice.GetAsync(ListPath(room))).Json["visibility"]);
    }

    [Fact]
    public async Task SetVisibility_MemberWithoutPower_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        await bob.JoinAsync(room);
        var r = await bob.PutAsync(ListPath(room), new { visibility = "public" });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
        Assert.Equal("private", (string?)(await bob.GetAsync(ListPath(room))).Json["visibility"]);
    }

    [Fact]
    public async Task SetVisibility_NonMember_Returns403Forbidden()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var mallory = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { preset = "public_chat" });
        var r = await mallory.PutAsync(ListPath(room), new { visibility = "public" });
        Assert.Equal(403, r.Status);
        Assert.Equal("M_FORBIDDEN", r.ErrCode);
    }

    [Fact]
    public async Task SetVisibility_InvalidValue_Returns400InvalidParam()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var r = await alice.PutAsync(ListPath(room), new { visibility = "everyone" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task SetVisibility_UnknownRoom_Returns404NotFound()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PutAsync(ListPath("!nosuchroom:localhost"), new { visibility = "public" });
        Assert.Equal(404, r.Status);
        Assert.Equal("M_NOT_FOUND", r.ErrCode);
    }

    [Fact]
    public async Task SetVisibility_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync();
        var r = await alice.SendAsync(HttpMethod.Put, ListPath(room), rawBody: "public");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task SetVisibility_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.PutAsync(ListPath("!abc:localhost"), new { visibility = "public" });
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    // --- published room list ---

    [Fact]
    public async Task GetPublicRooms_WithoutToken_ListsPublishedRoomWithItsState()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var name = MatrixClient.NewLocalpart("room");
        var room = await alice.CreateRoomAsync(new { visibility = "public", preset = "public_chat", name, topic = "All things general", room_alias_name = name });
        await bob.JoinAsync(room);

        using var anonymous = fx.NewClient();
        var r = await anonymous.GetAsync("/_matrix/client/v3/publicRooms?limit=100");

        Assert.Equal(200, r.Status);
        Assert.True(r.Json["total_room_count_estimate"]!.GetValue<int>() >= 1);
        var entry = r.Json["chunk"]!.AsArray().Single(e => (string?)e!["room_id"] == room)!;
        Assert.Equal(name, (string?)entry["name"]);
        Assert.Equal("All things general", (string?)entry["topic"]);
        Assert.Equal($"#{name}:localhost", (string?)entry["canonical_alias"]);
        Assert.Equal(2, entry["num_joined_members"]!.GetValue<int>());
        Assert.False(entry["world_readable"]!.GetValue<bool>());
        Assert.False(entry["guest_can_join"]!.GetValue<bool>());
        Assert.Equal("public", (string?)entry["join_rule"]);
        Assert.Null(entry["avatar_url"]);
        Assert.Null(entry["room_type"]);
    }

    [Fact]
    public async Task GetPublicRooms_UnpublishedRoom_IsNotListed()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var name = MatrixClient.NewLocalpart("hidden");
        var room = await alice.CreateRoomAsync(new { preset = "public_chat", name });
        var page = await QueryAsync(alice, new { filter = new { generic_search_term = name } });
        Assert.DoesNotContain(room, RoomIds(page));
    }

    [Fact]
    public async Task PostPublicRooms_SearchTerm_MatchesNameTopicAndAliasCaseInsensitively()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var tag = MatrixClient.NewLocalpart("t");
        var byName = await alice.CreateRoomAsync(new { visibility = "public", name = $"About {tag} things" });
        var byTopic = await alice.CreateRoomAsync(new { visibility = "public", topic = $"We talk {tag.ToUpperInvariant()}" });
        var byAlias = await alice.CreateRoomAsync(new { visibility = "public", room_alias_name = $"x{tag}" });
        var other = await alice.CreateRoomAsync(new { visibility = "public", name = "unrelated" });

        var page = await QueryAsync(alice, new { filter = new { generic_search_term = tag } });

        var ids = RoomIds(page);
        Assert.Equal(3, ids.Count);
        Assert.Contains(byName, ids);
        Assert.Contains(byTopic, ids);
        Assert.Contains(byAlias, ids);
        Assert.DoesNotContain(other, ids);
    }

    [Fact]
    public async Task PostPublicRooms_RoomTypes_FiltersByCreateType()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var tag = MatrixClient.NewLocalpart("s");
        var space = await alice.CreateRoomAsync(new { visibility = "public", name = $"{tag} space", creation_content = new JsonObject { ["type"] = "m.space" } });
        var plain = await alice.CreateRoomAsync(new { visibility = "public", name = $"{tag} plain" });

        var spaces = await QueryAsync(alice, new JsonObject { ["filter"] = new JsonObject { ["generic_search_term"] = tag, ["room_types"] = new JsonArray("m.space") } });
        var untyped = await QueryAsync(alice, new JsonObject { ["filter"] = new JsonObject { ["generic_search_term"] = tag, ["room_types"] = new JsonArray((JsonNode?)null) } });

        Assert.Equal(new[] { space }, RoomIds(spaces));
        Assert.Equal("m.space", (string?)spaces["chunk"]![0]!["room_type"]);
        Assert.Equal(new[] { plain }, RoomIds(untyped));
    }

    [Fact]
    public async Task PostPublicRooms_Paging_WalksForwardAndBack()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var tag = MatrixClient.NewLocalpart("p");
        var rooms = new List<string>();
        for (var i = 0; i < 3; i++) rooms.Add(await alice.CreateRoomAsync(new { visibility = "public", name = $"{tag} {i}" }));
        // The room with two members comes first.
        await bob.JoinAsync(rooms[1]);
        object Query(string? since) => new { limit = 1, since, filter = new { generic_search_term = tag } };

        var p1 = await QueryAsync(alice, Query(null));
        var p2 = await QueryAsync(alice, Query(p1["next_batch"]!.GetValue<string>()));
        var p3 = await QueryAsync(alice, Query(p2["next_batch"]!.GetValue<string>()));
        var back = await QueryAsync(alice, Query(p3["prev_batch"]!.GetValue<string>()));

        Assert.Equal(rooms[1], Assert.Single(RoomIds(p1)));
        Assert.Null(p1["prev_batch"]);
        Assert.NotNull(p2["prev_batch"]);
        Assert.Null(p3["next_batch"]);
        var seen = RoomIds(p1).Concat(RoomIds(p2)).Concat(RoomIds(p3)).ToList();
        Assert.Equal(rooms.Order(), seen.Order());
        Assert.Equal(RoomIds(p2), RoomIds(back));
        Assert.True(p1["total_room_count_estimate"]!.GetValue<int>() >= 3);
    }

    [Fact]
    public async Task GetPublicRooms_Limit_CapsTheChunk()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        await alice.CreateRoomAsync(new { visibility = "public" });
        await alice.CreateRoomAsync(new { visibility = "public" });
        var r = await alice.GetAsync("/_matrix/client/v3/publicRooms?limit=1");
        Assert.Equal(200, r.Status);
        Assert.Single(r.Json["chunk"]!.AsArray());
        Assert.NotNull(r.Json["next_batch"]);
    }

    [Fact]
    public async Task GetPublicRooms_LimitNotInteger_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/publicRooms?limit=ten");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task GetPublicRooms_NegativeLimit_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/publicRooms?limit=-1");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task GetPublicRooms_GarbageSince_Returns400InvalidParam()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/publicRooms?since=garbage!");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_INVALID_PARAM", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_WithoutToken_Returns401MissingToken()
    {
        using var c = fx.NewClient();
        var r = await c.PostAsync("/_matrix/client/v3/publicRooms", new { });
        Assert.Equal(401, r.Status);
        Assert.Equal("M_MISSING_TOKEN", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_FilterNotObject_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync("/_matrix/client/v3/publicRooms", new { filter = "rooms" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_LimitNotInteger_Returns400BadJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync("/_matrix/client/v3/publicRooms", new { limit = "10" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_BAD_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_BodyNotJson_Returns400NotJson()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.SendAsync(HttpMethod.Post, "/_matrix/client/v3/publicRooms", rawBody: "limit=10");
        Assert.Equal(400, r.Status);
        Assert.Equal("M_NOT_JSON", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_AllNetworksAndExplicitNetwork_Returns400()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var r = await alice.PostAsync("/_matrix/client/v3/publicRooms", new { include_all_networks = true, third_party_instance_id = "irc" });
        Assert.Equal(400, r.Status);
        Assert.Equal("M_UNKNOWN", r.ErrCode);
    }

    [Fact]
    public async Task PostPublicRooms_IncludeAllNetworks_ListsLocalRooms()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var tag = MatrixClient.NewLocalpart("n");
        var room = await alice.CreateRoomAsync(new { visibility = "public", name = tag });
        var page = await QueryAsync(alice, new { include_all_networks = true, filter = new { generic_search_term = tag } });
        Assert.Equal(new[] { room }, RoomIds(page));
    }
}
