using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;
using static Myelin.Gateway.Tests.Admin.AdminTestHelpers;

namespace Myelin.Gateway.Tests.Admin;

[Collection(AdminCollection.Name)]
public sealed class RoomsAdminEndpointsTests(AdminFixture fx)
{
    static List<JsonObject> Chunk(MatrixClient.Response r) => r.Json["chunk"]!.AsArray().Select(e => e!.AsObject()).ToList();

    static List<string> Bodies(IEnumerable<JsonObject> events) => events
        .Where(e => e["type"]!.GetValue<string>() == "m.room.message").Select(e => e["content"]!["body"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task ListRooms_SearchTerm_FindsRoomWithSynapseFields()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var name = "Room " + MatrixClient.NewLocalpart("find");
        var room = await owner.CreateRoomAsync(new { name, preset = "public_chat", visibility = "public" });

        var r = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms?search_term={E(name[5..])}");

        Assert.Equal(200, r.Status);
        Assert.Equal(1, r.Json["total_rooms"]!.GetValue<int>());
        Assert.Equal(0, r.Json["offset"]!.GetValue<int>());
        var entry = r.Json["rooms"]![0]!.AsObject();
        Assert.Equal(room, entry["room_id"]!.GetValue<string>());
        Assert.Equal(name, entry["name"]!.GetValue<string>());
        Assert.Equal(1, entry["joined_members"]!.GetValue<int>());
        Assert.Equal(1, entry["joined_local_members"]!.GetValue<int>());
        Assert.Equal(owner.UserId, entry["creator"]!.GetValue<string>());
        Assert.Equal("public", entry["join_rules"]!.GetValue<string>());
        Assert.True(entry["public"]!.GetValue<bool>());
        Assert.True(entry["federatable"]!.GetValue<bool>());
        Assert.True(entry["state_events"]!.GetValue<int>() >= 4);
        foreach (var key in new[] { "canonical_alias", "version", "encryption", "guest_access", "history_visibility", "room_type" })
            Assert.True(entry.ContainsKey(key), key);
    }

    [Fact]
    public async Task ListRooms_PagingAndOrder_NextAndPrevBatch()
    {
        var all = await fx.Admin.GetAsync("/_synapse/admin/v1/rooms?order_by=joined_members");
        Assert.Equal(200, all.Status);
        using var owner = await fx.NewClient().RegisterAsync();
        await owner.CreateRoomAsync();
        await owner.CreateRoomAsync();
        var page = await fx.Admin.GetAsync("/_synapse/admin/v1/rooms?limit=1&from=1");
        Assert.Single(page.Json["rooms"]!.AsArray());
        Assert.Equal(2, page.Json["next_batch"]!.GetValue<int>());
        Assert.Equal(0, page.Json["prev_batch"]!.GetValue<int>());
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.GetAsync("/_synapse/admin/v1/rooms?order_by=colour")).ErrCode);
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.GetAsync("/_synapse/admin/v1/rooms?limit=-3")).ErrCode);
    }

    [Fact]
    public async Task RoomDetailsMembersState_KnownRoom_Answered_UnknownRoom_NotFound()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        using var guest = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync(new { name = "Detailed", topic = "A topic", preset = "public_chat" });
        await guest.JoinAsync(room);

        var details = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}");
        Assert.Equal(200, details.Status);
        Assert.Equal("A topic", details.Json["topic"]!.GetValue<string>());
        Assert.Equal(2, details.Json["joined_members"]!.GetValue<int>());
        Assert.Equal(2, details.Json["joined_local_devices"]!.GetValue<int>());
        Assert.False(details.Json["forgotten"]!.GetValue<bool>());

        var members = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}/members");
        Assert.Equal(2, members.Json["total"]!.GetValue<int>());
        Assert.Contains(guest.UserId, members.Json["members"]!.AsArray().Select(m => m!.GetValue<string>()));

        var state = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}/state");
        Assert.Contains(state.Json["state"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "m.room.create");
        var names = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}/state?type=m.room.name");
        Assert.Equal("Detailed", Assert.Single(names.Json["state"]!.AsArray())!["content"]!["name"]!.GetValue<string>());

        var unknown = E("!unknown-room:localhost");
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{unknown}")).Status);
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{unknown}/members")).Status);
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{unknown}/state")).Status);
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.GetAsync("/_synapse/admin/v1/rooms/not-a-room")).ErrCode);
    }

    [Fact]
    public async Task DeleteRoom_BlockAndPurge_MembersRemovedRoomGoneJoinRefused()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        using var member = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync(new { preset = "public_chat", room_alias_name = MatrixClient.NewLocalpart("gone") });
        await member.JoinAsync(room);
        await owner.SendMessageAsync(room, "soon gone");

        var r = await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E(room)}", new { block = true, purge = true });
        Assert.Equal(200, r.Status);
        var deleteId = r.Json["delete_id"]!.GetValue<string>();
        var status = await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v2/rooms/delete_status/{E(deleteId)}");

        Assert.Equal("complete", status["status"]!.GetValue<string>());
        Assert.Equal(room, status["room_id"]!.GetValue<string>());
        var kicked = status["shutdown_room"]!["kicked_users"]!.AsArray().Select(u => u!.GetValue<string>()).ToList();
        Assert.Contains(owner.UserId, kicked);
        Assert.Contains(member.UserId, kicked);
        Assert.Single(status["shutdown_room"]!["local_aliases"]!.AsArray());
        var byRoom = await fx.Admin.GetAsync($"/_synapse/admin/v2/rooms/{E(room)}/delete_status");
        Assert.Equal(deleteId, byRoom.Json["results"]![0]!["delete_id"]!.GetValue<string>());

        // The member is out, the room is gone from the server, and nobody may join it again.
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}")).Status);
        Assert.Empty((await member.GetAsync("/_matrix/client/v3/joined_rooms")).Json["joined_rooms"]!.AsArray());
        var join = await member.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/join");
        Assert.Equal(403, join.Status);
        Assert.Equal("M_FORBIDDEN", join.ErrCode);
        var send = await owner.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/t{Guid.NewGuid():N}", new { msgtype = "m.text", body = "x" });
        Assert.Equal(403, send.Status);
    }

    [Fact]
    public async Task DeleteRoom_BlockWithoutPurge_RoomKeptMembersOutJoinsRefused()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        using var member = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync(new { preset = "public_chat" });
        await member.JoinAsync(room);

        var r = await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E(room)}", new { block = true, purge = false });
        var status = await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v2/rooms/delete_status/{E(r.Json["delete_id"]!.GetValue<string>())}");

        Assert.Equal("complete", status["status"]!.GetValue<string>());
        var details = await fx.Admin.GetAsync($"/_synapse/admin/v1/rooms/{E(room)}");
        Assert.Equal(200, details.Status);
        Assert.Equal(0, details.Json["joined_members"]!.GetValue<int>());
        Assert.Empty((await member.GetAsync("/_matrix/client/v3/joined_rooms")).Json["joined_rooms"]!.AsArray());
        var join = await member.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/join");
        Assert.Equal(403, join.Status);
        Assert.Equal("M_FORBIDDEN", join.ErrCode);
    }

    [Fact]
    public async Task DeleteRoom_NewRoomUserId_MembersMovedToNoticeRoom()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        using var keeper = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();

        var r = await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E(room)}",
            new { new_room_user_id = keeper.UserId, room_name = "Moved", message = "This room was closed." });
        var status = await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v2/rooms/delete_status/{E(r.Json["delete_id"]!.GetValue<string>())}");

        Assert.Equal("complete", status["status"]!.GetValue<string>());
        var newRoom = status["shutdown_room"]!["new_room_id"]!.GetValue<string>();
        var joined = (await owner.GetAsync("/_matrix/client/v3/joined_rooms")).Json["joined_rooms"]!.AsArray().Select(x => x!.GetValue<string>());
        Assert.Equal([newRoom], joined);
        var messages = await owner.GetAsync($"/_matrix/client/v3/rooms/{E(newRoom)}/messages?dir=b&limit=20");
        Assert.Contains("This room was closed.", Bodies(Chunk(messages)));
    }

    [Fact]
    public async Task DeleteRoom_BadInput_Refused()
    {
        Assert.Equal("M_NOT_JSON", (await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E("!x:localhost")}")).ErrCode);
        Assert.Equal(404, (await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E("!unknown-room:localhost")}", new { })).Status);
        Assert.Equal("M_BAD_JSON", (await fx.Admin.DeleteAsync($"/_synapse/admin/v2/rooms/{E("!x:localhost")}", new { block = "yes" })).ErrCode);
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.DeleteAsync("/_synapse/admin/v2/rooms/nonsense", new { })).ErrCode);
        Assert.Equal(404, (await fx.Admin.GetAsync("/_synapse/admin/v2/rooms/delete_status/no-such-id")).Status);
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v2/rooms/{E("!never-deleted:localhost")}/delete_status")).Status);
    }

    [Fact]
    public async Task PurgeHistory_DeleteLocalEvents_ClientsNoLongerSeePurgedEvents()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync(new { name = "Purged" });
        var before = (await owner.SyncAsync())["next_batch"]!.GetValue<string>();
        var ids = new List<string>();
        for (var i = 1; i <= 8; i++) ids.Add(await owner.SendMessageAsync(room, $"m{i}"));

        var r = await fx.Admin.PostAsync($"/_synapse/admin/v1/purge_history/{E(room)}", new { purge_up_to_event_id = ids[5], delete_local_events = true });
        Assert.Equal(200, r.Status);
        var status = await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v1/purge_history_status/{E(r.Json["purge_id"]!.GetValue<string>())}");
        Assert.Equal("complete", status["status"]!.GetValue<string>());

        // /messages stops at the purge point: the kept event and what follows, nothing older, not even state.
        var page = await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/messages?dir=b&limit=50");
        Assert.Equal(["m8", "m7", "m6"], Bodies(Chunk(page)));
        Assert.Equal(3, Chunk(page).Count);
        // The purged events are gone; the state is not.
        Assert.Equal(404, (await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/event/{E(ids[0])}")).Status);
        Assert.Equal("Purged", (await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/state/m.room.name")).Json["name"]!.GetValue<string>());
        // An incremental sync from before the messages (served from the recent-events cache) skips them too.
        var sync = await owner.SyncAsync(before);
        var timeline = sync["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray().Select(e => e!.AsObject());
        Assert.Equal(["m6", "m7", "m8"], Bodies(timeline));
        // The room still takes messages.
        await owner.SendMessageAsync(room, "m9");
    }

    [Fact]
    public async Task PurgeHistory_KeepLocalEvents_TimelineStopsAtPointEventsKept()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();
        var ids = new List<string>();
        for (var i = 1; i <= 4; i++) ids.Add(await owner.SendMessageAsync(room, $"k{i}"));

        var r = await fx.Admin.PostAsync($"/_synapse/admin/v1/purge_history/{E(room)}/{E(ids[2])}", new { });
        await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v1/purge_history_status/{E(r.Json["purge_id"]!.GetValue<string>())}");

        var page = await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/messages?dir=b&limit=50");
        Assert.Equal(["k4", "k3"], Bodies(Chunk(page)));
        Assert.Equal(200, (await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/event/{E(ids[0])}")).Status);
    }

    [Fact]
    public async Task PurgeHistory_UpToTs_PurgesBeforeLastEarlierEvent()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();
        await owner.SendMessageAsync(room, "t1");
        await owner.SendMessageAsync(room, "t2");
        await Task.Delay(50);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await Task.Delay(50);
        await owner.SendMessageAsync(room, "t3");

        var r = await fx.Admin.PostAsync($"/_synapse/admin/v1/purge_history/{E(room)}", new { purge_up_to_ts = ts, delete_local_events = true });
        await WaitForTaskAsync(fx.Admin, $"/_synapse/admin/v1/purge_history_status/{E(r.Json["purge_id"]!.GetValue<string>())}");

        var page = await owner.GetAsync($"/_matrix/client/v3/rooms/{E(room)}/messages?dir=b&limit=50");
        Assert.Equal(["t3", "t2"], Bodies(Chunk(page)));
    }

    [Fact]
    public async Task PurgeHistory_BadInput_Refused()
    {
        using var owner = await fx.NewClient().RegisterAsync();
        var room = await owner.CreateRoomAsync();
        var other = await owner.CreateRoomAsync();
        var elsewhere = await owner.SendMessageAsync(other, "x");
        var path = $"/_synapse/admin/v1/purge_history/{E(room)}";

        Assert.Equal("M_BAD_JSON", (await fx.Admin.PostAsync(path, new { })).ErrCode);
        Assert.Equal("M_BAD_JSON", (await fx.Admin.PostAsync(path, new { purge_up_to_ts = "soon" })).ErrCode);
        Assert.Equal(400, (await fx.Admin.PostAsync(path, new { purge_up_to_event_id = elsewhere })).Status);
        Assert.Equal(404, (await fx.Admin.PostAsync(path, new { purge_up_to_event_id = "$nope" })).Status);
        Assert.Equal(404, (await fx.Admin.PostAsync(path, new { purge_up_to_ts = 1 })).Status);
        Assert.Equal(404, (await fx.Admin.GetAsync("/_synapse/admin/v1/purge_history_status/no-such-purge")).Status);
    }
}
