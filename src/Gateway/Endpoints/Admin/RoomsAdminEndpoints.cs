using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Client;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>Synapse's room admin API (docs/admin_api/rooms.md, purge_history_api.md): list, details, members,
/// state, delete (v2, with status) and history purge (with status). Server admins only.</summary>
public static class RoomsAdminEndpoints
{
    const int DefaultLimit = 100;
    const string DefaultRoomName = "Content Violation Notification";
    const string DefaultMessage = "Sharing illegal content on this server is not permitted and rooms in violation will be blocked.";

    public static void MapRoomsAdmin(this IEndpointRouteBuilder g)
    {
        g.MapGet("/v1/rooms", ListRooms).WithSummary("List rooms");
        g.MapGet("/v1/rooms/{roomId}", GetRoom).WithSummary("Room details");
        g.MapGet("/v1/rooms/{roomId}/members", Members).WithSummary("Room members");
        g.MapGet("/v1/rooms/{roomId}/state", State).WithSummary("Room state");
        g.MapDelete("/v2/rooms/{roomId}", DeleteRoom).WithSummary("Delete room");
        g.MapGet("/v2/rooms/{roomId}/delete_status", DeleteStatusByRoom).WithSummary("Status of deleting rooms, by room");
        g.MapGet("/v2/rooms/delete_status/{deleteId}", DeleteStatusById).WithSummary("Status of deleting rooms, by delete ID");
        g.MapPost("/v1/purge_history/{roomId}", PurgeHistory).WithSummary("Purge history");
        g.MapPost("/v1/purge_history/{roomId}/{eventId}", PurgeHistoryUpTo).WithSummary("Purge history up to an event");
        g.MapGet("/v1/purge_history_status/{purgeId}", PurgeStatus).WithSummary("Purge history status");
    }

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>`GET /_synapse/admin/v1/rooms`</summary>
    static async Task<IResult> ListRooms(HttpContext ctx, MyelinDatabase db, ServerIdentity server)
    {
        await ctx.RequireServerAdminAsync();
        var q = ctx.Request.Query;
        var from = AdminQuery.NonNegativeInt(q, "from", 0);
        var limit = AdminQuery.NonNegativeInt(q, "limit", DefaultLimit);
        var orderBy = AdminQuery.OptString(q, "order_by") ?? "name";
        var reverse = AdminQuery.Direction(q, backwardsByDefault: false);
        var search = AdminQuery.OptString(q, "search_term");
        var publicOnly = AdminQuery.Bool(q, "public_rooms");
        var emptyOnly = AdminQuery.Bool(q, "empty_rooms");
        var order = RoomSummaries.Order(orderBy) ?? throw MatrixException.InvalidParam($"Unknown value for order_by: {orderBy}");

        IEnumerable<JsonObject> rooms = (await db.Admin.ListRoomsAsync(server.ServerName)).Select(RoomSummaries.Summarize);
        if (search is not null) rooms = rooms.Where(r => RoomSummaries.MatchesSearch(r, search));
        if (publicOnly is { } p) rooms = rooms.Where(r => r["public"]!.GetValue<bool>() == p);
        if (emptyOnly is { } e) rooms = rooms.Where(r => (r["joined_members"]!.GetValue<int>() == 0) == e);
        var sorted = RoomSummaries.Sort(rooms, order.Key, order.Ascending != reverse);
        var page = sorted.Skip(from).Take(limit).ToList();

        var body = new JsonObject
        {
            ["rooms"] = new JsonArray(page.Select(r => (JsonNode)r).ToArray()),
            ["offset"] = from,
            ["total_rooms"] = sorted.Count,
        };
        if (from + limit < sorted.Count) body["next_batch"] = from + limit;
        if (from > 0) body["prev_batch"] = Math.Max(0, from - limit);
        return JsonBody.Json(body);
    }

    /// <summary>`GET /_synapse/admin/v1/rooms/{roomId}`</summary>
    static async Task<IResult> GetRoom(HttpContext ctx, string roomId, MyelinDatabase db, ServerIdentity server)
    {
        await ctx.RequireServerAdminAsync();
        RoomAccess.CheckRoomId(roomId);
        var row = (await db.Admin.ListRoomsAsync(server.ServerName, roomId)).FirstOrDefault()
            ?? throw MatrixException.NotFound("Room not found");
        var summary = RoomSummaries.Summarize(row);
        var state = row.State.ToDictionary(s => s.Type, s => JsonNode.Parse(s.Json)?["content"] as JsonObject);
        summary["topic"] = RoomSummaries.Str(state.GetValueOrDefault("m.room.topic"), "topic");
        summary["avatar"] = RoomSummaries.Str(state.GetValueOrDefault("m.room.avatar"), "url");
        var memberships = await db.Events.GetRoomMembershipsAsync(roomId);
        var devices = 0;
        foreach (var m in memberships.Where(m => m.Membership == "join" && server.IsMine(m.UserId)))
            devices += (await db.Devices.GetDevicesAsync(m.UserId)).Count;
        summary["joined_local_devices"] = devices;
        var local = memberships.Where(m => server.IsMine(m.UserId)).ToList();
        summary["forgotten"] = local.Count > 0 && local.All(m => m.Forgotten);
        return JsonBody.Json(summary);
    }

    /// <summary>`GET /_synapse/admin/v1/rooms/{roomId}/members`</summary>
    static async Task<IResult> Members(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        await RequireRoomAsync(RoomAccess.CheckRoomId(roomId), db);
        var joined = (await db.Events.GetRoomMembershipsAsync(roomId)).Where(m => m.Membership == "join").Select(m => m.UserId).ToList();
        return JsonBody.Json(new JsonObject
        {
            ["members"] = new JsonArray(joined.Select(u => (JsonNode)u!).ToArray()),
            ["total"] = joined.Count,
        });
    }

    /// <summary>`GET /_synapse/admin/v1/rooms/{roomId}/state`</summary>
    static async Task<IResult> State(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        await RequireRoomAsync(RoomAccess.CheckRoomId(roomId), db);
        var type = AdminQuery.OptString(ctx.Request.Query, "type");
        var now = Now;
        var state = (await db.Events.GetCurrentStateAsync(roomId))
            .Where(e => type is null || e.Type == type)
            .Select(e => (JsonNode)ClientEvents.Format(e, null, null, now)).ToArray();
        return JsonBody.Json(new JsonObject { ["state"] = new JsonArray(state) });
    }

    static async Task RequireRoomAsync(string roomId, MyelinDatabase db)
    {
        if (await db.Rooms.GetRoomAsync(roomId) is null) throw MatrixException.NotFound("Room not found");
    }

    /// <summary>`DELETE /_synapse/admin/v2/rooms/{roomId}`: answers at once with the delete ID; the work runs on.</summary>
    static async Task<IResult> DeleteRoom(HttpContext ctx, string roomId, MyelinDatabase db, ServerIdentity server, RoomAdministration rooms)
    {
        var me = await ctx.RequireServerAdminAsync();
        if (!MatrixIds.IsValidRoomId(roomId)) throw MatrixException.InvalidParam($"{roomId} is not a legal room ID");
        // Synapse: the body must be a JSON object, at least {}.
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var block = body.OptBool("block") ?? false;
        var purge = body.OptBool("purge") ?? true;
        var forcePurge = body.OptBool("force_purge") ?? false;
        var newRoomUserId = body.OptString("new_room_user_id");
        if (newRoomUserId is not null && (!MatrixIds.IsValidUserId(newRoomUserId) || !server.IsMine(newRoomUserId)))
            throw MatrixException.Unknown("User must be our own: " + newRoomUserId);
        var roomName = body.OptString("room_name") ?? DefaultRoomName;
        var message = body.OptString("message") ?? DefaultMessage;
        if (await db.Rooms.GetRoomAsync(roomId) is null && !block)
            throw MatrixException.NotFound($"Unknown room id {roomId}");
        if (await rooms.IsBusyAsync(roomId, RoomAdministration.DeleteAction))
            throw MatrixException.Unknown($"History purge already in progress for {roomId}");
        var id = await rooms.StartDeleteAsync(new RoomDeletion(roomId, me.UserId, block, purge, forcePurge, newRoomUserId, roomName, message));
        return JsonBody.Json(new JsonObject { ["delete_id"] = id });
    }

    /// <summary>`GET /_synapse/admin/v2/rooms/{roomId}/delete_status`</summary>
    static async Task<IResult> DeleteStatusByRoom(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        if (!MatrixIds.IsValidRoomId(roomId)) throw MatrixException.InvalidParam($"{roomId} is not a legal room ID");
        var tasks = await db.Admin.GetTasksForRoomAsync(roomId, RoomAdministration.DeleteAction);
        if (tasks.Count == 0) throw MatrixException.NotFound($"No delete task for room_id '{roomId}' found");
        return JsonBody.Json(new JsonObject
        {
            ["results"] = new JsonArray(tasks.Select(t => (JsonNode)RoomAdministration.DeleteStatus(t)).ToArray()),
        });
    }

    /// <summary>`GET /_synapse/admin/v2/rooms/delete_status/{deleteId}`</summary>
    static async Task<IResult> DeleteStatusById(HttpContext ctx, string deleteId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var task = await db.Admin.GetTaskAsync(deleteId);
        if (task is null || task.Action != RoomAdministration.DeleteAction)
            throw MatrixException.NotFound($"delete id '{deleteId}' not found");
        return JsonBody.Json(RoomAdministration.DeleteStatus(task));
    }

    /// <summary>`POST /_synapse/admin/v1/purge_history/{roomId}`</summary>
    static Task<IResult> PurgeHistory(HttpContext ctx, string roomId, MyelinDatabase db, RoomAdministration rooms) =>
        PurgeHistoryCore(ctx, roomId, null, db, rooms);

    /// <summary>`POST /_synapse/admin/v1/purge_history/{roomId}/{eventId}`</summary>
    static Task<IResult> PurgeHistoryUpTo(HttpContext ctx, string roomId, string eventId, MyelinDatabase db, RoomAdministration rooms) =>
        PurgeHistoryCore(ctx, roomId, eventId, db, rooms);

    static async Task<IResult> PurgeHistoryCore(HttpContext ctx, string roomId, string? eventId, MyelinDatabase db, RoomAdministration rooms)
    {
        await ctx.RequireServerAdminAsync();
        RoomAccess.CheckRoomId(roomId);
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        var deleteLocal = body.OptBool("delete_local_events") ?? false;
        eventId ??= body.OptString("purge_up_to_event_id");
        StoredEvent point;
        if (eventId is not null)
        {
            var e = await db.Events.GetEventAsync(eventId) ?? throw MatrixException.NotFound("Event not found");
            if (e.RoomId != roomId) throw MatrixException.Unknown("Event is for wrong room.");
            point = e;
        }
        else if (body.ContainsKey("purge_up_to_ts"))
        {
            var ts = body.OptLong("purge_up_to_ts")!.Value;
            // Synapse: the purge keeps the room's last event before the time, and purges what precedes it.
            point = await db.Admin.GetLastEventBeforeAsync(roomId, ts)
                ?? throw new MatrixException(404, "M_NOT_FOUND", "there is no event to be purged");
        }
        else
        {
            throw MatrixException.BadJson("must specify purge_up_to_event_id or purge_up_to_ts");
        }
        if (await rooms.IsBusyAsync(roomId, RoomAdministration.PurgeHistoryAction))
            throw MatrixException.Unknown($"History purge already in progress for {roomId}");
        var id = await rooms.StartPurgeHistoryAsync(roomId, point, deleteLocal);
        return JsonBody.Json(new JsonObject { ["purge_id"] = id });
    }

    /// <summary>`GET /_synapse/admin/v1/purge_history_status/{purgeId}`</summary>
    static async Task<IResult> PurgeStatus(HttpContext ctx, string purgeId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var task = await db.Admin.GetTaskAsync(purgeId);
        if (task is null || task.Action != RoomAdministration.PurgeHistoryAction)
            throw MatrixException.NotFound($"purge id '{purgeId}' not found");
        var body = new JsonObject { ["status"] = task.Status };
        if (task.Status == RoomAdministration.Failed) body["error"] = task.Error;
        return JsonBody.Json(body);
    }
}

/// <summary>The room list's view of a room (Synapse's room_stats_state), built from its current state.</summary>
public static class RoomSummaries
{
    public static JsonObject Summarize(AdminRoomRow r)
    {
        var state = new Dictionary<string, JsonObject?>();
        foreach (var (type, json) in r.State) state[type] = JsonNode.Parse(json)?["content"] as JsonObject;
        var create = state.GetValueOrDefault("m.room.create");
        return new JsonObject
        {
            ["room_id"] = r.RoomId,
            ["name"] = Str(state.GetValueOrDefault("m.room.name"), "name"),
            ["canonical_alias"] = Str(state.GetValueOrDefault("m.room.canonical_alias"), "alias"),
            ["joined_members"] = r.JoinedMembers,
            ["joined_local_members"] = r.JoinedLocalMembers,
            ["version"] = r.RoomVersion,
            ["creator"] = r.Creator,
            ["encryption"] = Str(state.GetValueOrDefault("m.room.encryption"), "algorithm"),
            ["federatable"] = create?["m.federate"] is not JsonValue f || !f.TryGetValue<bool>(out var federate) || federate,
            ["public"] = r.IsPublic,
            ["join_rules"] = Str(state.GetValueOrDefault("m.room.join_rules"), "join_rule"),
            ["guest_access"] = Str(state.GetValueOrDefault("m.room.guest_access"), "guest_access"),
            ["history_visibility"] = Str(state.GetValueOrDefault("m.room.history_visibility"), "history_visibility"),
            ["state_events"] = r.StateEvents,
            ["room_type"] = Str(create, "type"),
        };
    }

    public static string? Str(JsonObject? content, string key) =>
        content?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Synapse's search_term: in the name (any case), the canonical alias's localpart, or the room ID.</summary>
    public static bool MatchesSearch(JsonObject room, string term)
    {
        if (room["name"]?.GetValue<string>() is { } name && name.Contains(term, StringComparison.OrdinalIgnoreCase)) return true;
        if (room["canonical_alias"]?.GetValue<string>() is { } alias)
        {
            var localpart = alias.IndexOf(':') is > 0 and var colon ? alias[1..colon] : alias;
            if (localpart.Contains(term, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return room["room_id"]!.GetValue<string>().Contains(term, StringComparison.Ordinal);
    }

    /// <summary>The field an order_by sorts on and its natural direction (sizes largest first, names A to Z).</summary>
    public static (string Key, bool Ascending)? Order(string orderBy) => orderBy switch
    {
        "name" or "alphabetical" => ("name", true),
        "size" or "joined_members" => ("joined_members", false),
        "joined_local_members" => ("joined_local_members", false),
        "version" => ("version", false),
        "creator" => ("creator", true),
        "encryption" => ("encryption", true),
        "federatable" => ("federatable", true),
        "public" => ("public", true),
        "join_rules" => ("join_rules", true),
        "guest_access" => ("guest_access", true),
        "history_visibility" => ("history_visibility", true),
        "state_events" => ("state_events", false),
        "canonical_alias" => ("canonical_alias", true),
        _ => null,
    };

    /// <summary>Sorted on the key, missing values last, ties by room ID.</summary>
    public static List<JsonObject> Sort(IEnumerable<JsonObject> rooms, string key, bool ascending)
    {
        static IComparable? Value(JsonObject r, string key) => r[key] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<int>(out var i) => i,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => null,
        };
        var list = rooms.ToList();
        list.Sort((a, b) =>
        {
            var va = Value(a, key);
            var vb = Value(b, key);
            int c;
            if (va is null || vb is null) c = va is null ? (vb is null ? 0 : 1) : -1;
            else c = ascending ? Comparer<object>.Default.Compare(va, vb) : Comparer<object>.Default.Compare(vb, va);
            return c != 0 ? c : string.CompareOrdinal(a["room_id"]!.GetValue<string>(), b["room_id"]!.GetValue<string>());
        });
        return list;
    }
}
