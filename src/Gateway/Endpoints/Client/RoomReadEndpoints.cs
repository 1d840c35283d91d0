using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Reading rooms: joined rooms, members, state, single events, history pages and event context.</summary>
public static class RoomReadEndpoints
{
    const int DefaultLimit = 10;
    const int MaxLimit = 1000;
    static readonly string[] Memberships = ["join", "invite", "knock", "leave", "ban"];

    public static void MapRoomRead(this RouteGroupBuilder g)
    {
        g.MapGet("/joined_rooms", JoinedRooms);
        g.MapGet("/rooms/{roomId}/members", Members);
        g.MapGet("/rooms/{roomId}/joined_members", JoinedMembers);
        g.MapGet("/rooms/{roomId}/state", State);
        g.MapGet("/rooms/{roomId}/state/{eventType}/{**stateKey}", StateEvent);
        g.MapGet("/rooms/{roomId}/state/{eventType}", StateEventEmptyKey)
            .WithSummary("Get the state event of the type with an empty state key.");
        g.MapGet("/rooms/{roomId}/event/{eventId}", Event);
        g.MapGet("/rooms/{roomId}/messages", Messages);
        g.MapGet("/rooms/{roomId}/context/{eventId}", Context);
    }

    /// <summary>Nothing of this group is served only under /_matrix/client/v1.</summary>
    public static void MapRoomReadV1(this RouteGroupBuilder g) { }

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>`GET /_matrix/client/v3/joined_rooms`</summary>
    static async Task<IResult> JoinedRooms(HttpContext ctx, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var rooms = (await db.Events.GetMembershipsForUserAsync(me.UserId))
            .Where(m => m.Membership == "join").Select(m => (JsonNode)m.RoomId!).ToArray();
        return JsonBody.Json(new JsonObject { ["joined_rooms"] = new JsonArray(rooms) });
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/members`</summary>
    static async Task<IResult> Members(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var membership = MembershipParam(q["membership"].ToString(), "membership");
        var notMembership = MembershipParam(q["not_membership"].ToString(), "not_membership");
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);

        IReadOnlyList<StoredEvent> state;
        if (q["at"].ToString() is { Length: > 0 } at)
        {
            // The state after the last event before the point, if the user may see that event (Synapse).
            var point = await RoomHistory.ParsePointAsync(db, roomId, at, "at");
            var last = await db.Events.PaginateAsync(roomId, point.Depth, point.Stream, backwards: true, 1);
            if (last.Count == 0) throw MatrixException.NotFound($"Can't find event for token {at}");
            if (!await RoomHistory.CanSeeAsync(db, reader, last[0]))
                throw MatrixException.Forbidden($"User {me.UserId} not allowed to view events in room {roomId} at token {at}");
            state = await db.Events.GetStateAtAsync(roomId, last[0].StreamOrdering);
        }
        else
        {
            state = await RoomHistory.StateAsync(db, reader);
        }

        // As Synapse: an event is left out when it fails either parameter.
        var chunk = state.Where(e => e.Type == "m.room.member"
            && (membership is null || e.Membership == membership)
            && (notMembership is null || e.Membership != notMembership));
        return JsonBody.Json(new JsonObject { ["chunk"] = RoomHistory.Format(chunk, me.UserId, me.DeviceId, Now) });
    }

    static string? MembershipParam(string value, string name) =>
        value.Length == 0 ? null
        : Memberships.Contains(value) ? value
        : throw MatrixException.InvalidParam($"'{name}' must be one of {string.Join(", ", Memberships)}");

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/joined_members`</summary>
    static async Task<IResult> JoinedMembers(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);
        if (reader.IsDeparted)
            throw MatrixException.Forbidden("Getting joined members while not being a current member of the room is forbidden.");
        var joinedRows = (await db.Events.GetRoomMembershipsAsync(roomId)).Where(m => m.Membership == "join").ToList();
        var events = (await db.Events.GetEventsAsync(joinedRows.Select(m => m.EventId).ToList())).ToDictionary(e => e.EventId);
        var joined = new JsonObject();
        foreach (var m in joinedRows)
        {
            var content = events.TryGetValue(m.EventId, out var e) ? RoomHistory.Content(e) : null;
            // Synapse sends both keys, null when the member event has no value.
            joined[m.UserId] = new JsonObject
            {
                ["avatar_url"] = StringOrNull(content?["avatar_url"]),
                ["display_name"] = StringOrNull(content?["displayname"]),
            };
        }
        return JsonBody.Json(new JsonObject { ["joined"] = joined });
    }

    static JsonNode? StringOrNull(JsonNode? n) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/state`</summary>
    static async Task<IResult> State(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);
        var state = await RoomHistory.StateAsync(db, reader);
        return JsonBody.Json(RoomHistory.Format(state, me.UserId, me.DeviceId, Now));
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`</summary>
    static async Task<IResult> StateEvent(HttpContext ctx, string roomId, string eventType, string? stateKey, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var format = ctx.Request.Query["format"].ToString();
        if (format is not ("" or "content" or "event")) throw MatrixException.InvalidParam("'format' must be content or event");
        var type = RoomAccess.DecodeSlashes(eventType);
        var key = RoomAccess.DecodeSlashes(stateKey);
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);
        var state = await RoomHistory.StateAsync(db, reader);
        var e = state.FirstOrDefault(s => s.Type == type && s.StateKey == key)
            ?? throw MatrixException.NotFound("Event not found.");
        return format == "event"
            ? JsonBody.Json(ClientEvents.Format(e, me.UserId, me.DeviceId, Now))
            : JsonBody.Json(RoomHistory.Content(e) ?? new JsonObject());
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}` (empty state key)</summary>
    static Task<IResult> StateEventEmptyKey(HttpContext ctx, string roomId, string eventType, MyelinDatabase db) =>
        StateEvent(ctx, roomId, eventType, "", db);

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}`</summary>
    static async Task<IResult> Event(HttpContext ctx, string roomId, string eventId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        RoomAccess.CheckRoomId(roomId);
        var e = await db.Events.GetEventAsync(eventId);
        if (e is null || e.RoomId != roomId) throw MatrixException.NotFound("Event not found.");
        var reader = await RoomHistory.OpenAsync(db, roomId, me.UserId);
        if (!await RoomHistory.CanSeeAsync(db, reader, e)) throw MatrixException.NotFound("Event not found.");
        return JsonBody.Json(ClientEvents.Format(e, me.UserId, me.DeviceId, Now));
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/messages`</summary>
    static async Task<IResult> Messages(HttpContext ctx, string roomId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var backwards = q["dir"].ToString() switch
        {
            "b" => true,
            "f" => false,
            "" => throw MatrixException.MissingParam("Missing 'dir' parameter"),
            _ => throw MatrixException.InvalidParam("'dir' must be b or f"),
        };
        var limit = RoomHistory.ParseLimit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var filter = RoomHistory.ParseRoomEventFilter(q["filter"].ToString());
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);

        var fromToken = q["from"].ToString();
        TopologicalToken from = fromToken.Length > 0 ? await RoomHistory.ParsePointAsync(db, roomId, fromToken, "from")
            : backwards ? await RoomHistory.EndAsync(db, reader) : RoomHistory.Start;
        TopologicalToken? to = q["to"].ToString() is { Length: > 0 } toToken ? await RoomHistory.ParsePointAsync(db, roomId, toToken, "to") : null;

        var page = await RoomHistory.PaginateAsync(db, reader, from, backwards, limit, to, filter);
        var now = Now;
        var body = new JsonObject
        {
            ["chunk"] = RoomHistory.Format(page.Events, me.UserId, me.DeviceId, now),
            ["start"] = fromToken.Length > 0 ? fromToken : from.ToString(),
        };
        if (page.More) body["end"] = page.Next.ToString();
        if (filter?.LazyLoadMembers == true && page.Events.Count > 0)
        {
            // spec: lazy-loading members — the member events of the chunk's senders (as of its first event, as Synapse).
            var state = await db.Events.GetStateAtAsync(roomId, page.Events[0].StreamOrdering);
            body["state"] = RoomHistory.Format(RoomHistory.MembersOf(state, page.Events), me.UserId, me.DeviceId, now);
        }
        return JsonBody.Json(body);
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}`</summary>
    static async Task<IResult> Context(HttpContext ctx, string roomId, string eventId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var limit = RoomHistory.ParseLimit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var filter = RoomHistory.ParseRoomEventFilter(q["filter"].ToString());
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);
        var e = await db.Events.GetEventAsync(eventId);
        if (e is null || e.RoomId != roomId || !await RoomHistory.CanSeeAsync(db, reader, e))
            throw MatrixException.NotFound("Event not found.");

        // As Synapse: the smaller half before, the rest after.
        var beforeLimit = limit / 2;
        var before = await RoomHistory.PaginateAsync(db, reader, RoomHistory.Before(e), backwards: true, beforeLimit, filter: filter);
        var after = await RoomHistory.PaginateAsync(db, reader, RoomHistory.After(e), backwards: false, limit - beforeLimit, filter: filter);

        // spec: the state at the last event returned.
        var last = after.Events.Count > 0 ? after.Events[^1] : e;
        IEnumerable<StoredEvent> state = (await db.Events.GetStateAtAsync(roomId, last.StreamOrdering))
            .Where(s => RoomHistory.Matches(filter, s));
        if (filter?.LazyLoadMembers == true)
        {
            // Lazy-loading keeps the other state and only the member events of the senders shown.
            var members = RoomHistory.MembersOf(state, before.Events.Append(e).Concat(after.Events)).ToHashSet();
            state = state.Where(s => s.Type != "m.room.member" || members.Contains(s));
        }

        var now = Now;
        return JsonBody.Json(new JsonObject
        {
            ["event"] = ClientEvents.Format(e, me.UserId, me.DeviceId, now),
            ["events_before"] = RoomHistory.Format(before.Events, me.UserId, me.DeviceId, now),
            ["events_after"] = RoomHistory.Format(after.Events, me.UserId, me.DeviceId, now),
            ["start"] = before.Next.ToString(),
            ["end"] = after.Next.ToString(),
            ["state"] = RoomHistory.Format(state, me.UserId, me.DeviceId, now),
        });
    }
}
