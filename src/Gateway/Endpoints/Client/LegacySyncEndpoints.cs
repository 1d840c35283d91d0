using System.Globalization;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// The deprecated pre-/sync API (old_sync.yaml, room_initial_sync.yaml): the event stream, the global
/// and per-room initial snapshots, and single events by ID. Still used for peeking and by old clients.
/// </summary>
public static class LegacySyncEndpoints
{
    const int DefaultLimit = 10;
    const int MaxLimit = 1000;
    // Synapse's default long-poll for /events when no timeout is given.
    static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public static void MapLegacySync(this RouteGroupBuilder g)
    {
        g.MapGet("/events", Events);
        g.MapGet("/events/{eventId}", Event);
        g.MapGet("/initialSync", InitialSync);
        g.MapGet("/rooms/{roomId}/initialSync", RoomInitialSync);
    }

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    static SyncToken Current(IReplicationBus bus) => SyncToken.Current(bus);

    /// <summary>`GET /_matrix/client/v3/events`</summary>
    static async Task<IResult> Events(HttpContext ctx, MyelinDatabase db, IReplicationBus bus, SyncNotifier notifier)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var timeout = ParseTimeout(q["timeout"].ToString());
        var limit = RoomHistory.ParseLimit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var fromText = q["from"].ToString();
        SyncToken from;
        if (fromText.Length == 0) from = Current(bus); // as Synapse: no token means from now on
        else if (!SyncToken.TryParse(fromText, out from)) throw MatrixException.InvalidParam("Invalid 'from' token");
        // spec: peeking_events.yaml — room_id limits the stream to one (world-readable or joined) room.
        var peekRoom = q["room_id"].ToString() is { Length: > 0 } r ? RoomAccess.CheckRoomId(r) : null;
        if (peekRoom is not null) await RoomHistory.OpenAsync(db, peekRoom, me.UserId);

        var deadline = DateTime.UtcNow + timeout;
        var scannedTo = from.Events;
        while (true)
        {
            var upTo = Current(bus);
            var (events, readers) = await StreamEventsAsync(db, me.UserId, peekRoom, scannedTo, upTo.Events);
            var remaining = deadline - DateTime.UtcNow;
            if (events.Count > 0 || remaining <= TimeSpan.Zero || ctx.RequestAborted.IsCancellationRequested)
            {
                var end = upTo;
                if (events.Count > limit)
                {
                    events = events.Take(limit).ToList();
                    end = upTo with { Events = events[^1].StreamOrdering };
                }
                return JsonBody.Json(new JsonObject
                {
                    ["chunk"] = RoomHistory.Format(events, me.UserId, me.DeviceId, Now),
                    ["start"] = fromText.Length > 0 ? fromText : from.ToString(),
                    ["end"] = (end with { Events = Math.Max(end.Events, from.Events) }).ToString(),
                });
            }
            scannedTo = upTo.Events;
            await notifier.WaitAsync(me.UserId, readers,
                SyncToken.EventsOnly(upTo.Events), remaining, ctx.RequestAborted);
        }
    }

    /// <summary>
    /// The events in (from, to] the user may see, oldest first: those of rooms they are joined to (or peek
    /// into), their own invites, and, for rooms they left in the range, the events up to their leave.
    /// Also the rooms whose new events should wake the caller.
    /// </summary>
    static async Task<(List<StoredEvent> Events, List<string> WatchedRooms)> StreamEventsAsync(
        MyelinDatabase db, string userId, string? peekRoom, long from, long to)
    {
        var readers = new List<RoomReader>();
        var invites = new List<MembershipRow>();
        if (peekRoom is not null)
        {
            readers.Add(await RoomHistory.OpenAsync(db, peekRoom, userId));
        }
        else
        {
            foreach (var m in await db.Events.GetMembershipsForUserAsync(userId))
            {
                if (m.Membership == "join" || (m.StreamOrdering > from && m.Membership is "leave" or "ban"))
                {
                    if (await RoomHistory.ReaderFromMembershipAsync(db, userId, m) is { } reader) readers.Add(reader);
                }
                else if (m.Membership == "invite" && m.StreamOrdering > from && m.StreamOrdering <= to)
                {
                    invites.Add(m);
                }
            }
        }
        var watched = readers.Where(r => !r.IsDeparted).Select(r => r.RoomId).ToList();
        if (to <= from) return ([], watched);

        var result = new List<StoredEvent>();
        var inRange = await db.Events.GetEventsInRangeAsync(readers.Select(r => r.RoomId).ToList(), from, to);
        foreach (var group in inRange.GroupBy(e => e.RoomId))
        {
            var reader = readers.First(r => r.RoomId == group.Key);
            var roomEvents = group.ToList();
            var visible = await RoomHistory.VisibleAsync(db, reader, roomEvents);
            result.AddRange(roomEvents.Where(e => visible.Contains(e.EventId)));
        }
        // An invitee always sees their own invite (Synapse), whatever the history visibility.
        result.AddRange(await db.Events.GetEventsAsync(invites.Select(i => i.EventId).ToList()));
        result.Sort((a, b) => a.StreamOrdering.CompareTo(b.StreamOrdering));
        return (result, watched);
    }

    static TimeSpan ParseTimeout(string v)
    {
        if (v.Length == 0) return DefaultTimeout;
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            throw MatrixException.InvalidParam("'timeout' must be a non-negative integer");
        return TimeSpan.FromMilliseconds(Math.Min(ms, (long)MaxTimeout.TotalMilliseconds));
    }

    /// <summary>`GET /_matrix/client/r0/events/{eventId}` (deprecated)</summary>
    static async Task<IResult> Event(HttpContext ctx, string eventId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var e = await db.Events.GetEventAsync(eventId) ?? throw MatrixException.NotFound("Event not found.");
        var reader = await RoomHistory.OpenAsync(db, e.RoomId, me.UserId);
        if (!await RoomHistory.CanSeeAsync(db, reader, e)) throw MatrixException.NotFound("Event not found.");
        return JsonBody.Json(ClientEvents.Format(e, me.UserId, me.DeviceId, Now));
    }

    /// <summary>`GET /_matrix/client/r0/initialSync` (deprecated)</summary>
    static async Task<IResult> InitialSync(HttpContext ctx, MyelinDatabase db, IReplicationBus bus)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var limit = RoomHistory.ParseLimit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var archived = q["archived"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => throw MatrixException.InvalidParam("'archived' must be true or false"),
        };
        var now = Current(bus);
        var accountData = await db.AccountData.GetChangedAsync(me.UserId, 0, now.AccountData);

        var rooms = new JsonArray();
        foreach (var m in await db.Events.GetMembershipsForUserAsync(me.UserId))
        {
            if (m.StreamOrdering > now.Events) continue;
            if (m.Membership is not ("join" or "invite") && !(archived && m.Membership is "leave" or "ban")) continue;
            var record = await db.Rooms.GetRoomAsync(m.RoomId);
            var room = new JsonObject
            {
                ["room_id"] = m.RoomId,
                ["membership"] = m.Membership,
                ["visibility"] = record?.IsPublic == true ? "public" : "private",
            };
            rooms.Add(room);
            if (m.Membership == "invite")
            {
                if (await db.Events.GetEventAsync(m.EventId) is { } invite)
                {
                    room["inviter"] = invite.Sender;
                    room["invite"] = ClientEvents.Format(invite, me.UserId, me.DeviceId, Now);
                }
                continue;
            }
            // As Synapse: banned rooms are listed without their history.
            if (m.Membership == "ban") continue;
            var reader = await RoomHistory.ReaderFromMembershipAsync(db, me.UserId, m);
            if (reader is null) continue;
            await AddSnapshotAsync(room, db, reader, me, limit, now);
            room["account_data"] = RoomAccountData(accountData, m.RoomId);
        }

        return JsonBody.Json(new JsonObject
        {
            ["end"] = now.ToString(),
            ["rooms"] = rooms,
            ["presence"] = new JsonArray(),
            ["account_data"] = RoomAccountData(accountData, null),
        });
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/initialSync`</summary>
    static async Task<IResult> RoomInitialSync(HttpContext ctx, string roomId, MyelinDatabase db, IReplicationBus bus)
    {
        var me = await ctx.AuthAsync();
        var limit = RoomHistory.ParseLimit(ctx.Request.Query["limit"].ToString(), DefaultLimit, MaxLimit);
        var reader = await RoomHistory.OpenAsync(db, RoomAccess.CheckRoomId(roomId), me.UserId);
        var now = Current(bus);
        var record = await db.Rooms.GetRoomAsync(roomId);
        var room = new JsonObject { ["room_id"] = roomId };
        // A peeking user has no membership to report (Synapse).
        if (reader.IsJoined || reader.IsDeparted) room["membership"] = reader.Membership;
        await AddSnapshotAsync(room, db, reader, me, limit, now);
        room["visibility"] = record?.IsPublic == true ? "public" : "private";
        room["presence"] = new JsonArray();
        room["receipts"] = new JsonArray();
        var accountData = await db.AccountData.GetChangedAsync(me.UserId, 0, now.AccountData);
        room["account_data"] = RoomAccountData(accountData, roomId);
        return JsonBody.Json(room);
    }

    /// <summary>
    /// A room's <c>messages</c> (its newest events the user may see, up to now or their leave) and
    /// <c>state</c> (current, or as of their leave).
    /// </summary>
    static async Task AddSnapshotAsync(JsonObject room, MyelinDatabase db, RoomReader reader, Requester me, int limit, SyncToken now)
    {
        var upTo = Math.Min(reader.UpTo, now.Events);
        var recent = await db.Events.GetRoomEventsAsync(reader.RoomId, 0, upTo, limit);
        var visible = await RoomHistory.VisibleAsync(db, reader, recent);
        var chunk = recent.Where(e => visible.Contains(e.EventId)).ToList();
        var end = now with { Events = upTo };
        var messages = new JsonObject
        {
            ["chunk"] = RoomHistory.Format(chunk, me.UserId, me.DeviceId, Now),
            ["start"] = recent.Count > 0 ? RoomHistory.Before(recent[0]).ToString() : end.ToString(),
            ["end"] = end.ToString(),
        };
        var state = reader.IsDeparted ? await db.Events.GetStateAtAsync(reader.RoomId, upTo) : await db.Events.GetCurrentStateAsync(reader.RoomId);
        room["messages"] = messages;
        room["state"] = RoomHistory.Format(state, me.UserId, me.DeviceId, Now);
    }

    static JsonArray RoomAccountData(IReadOnlyList<AccountDataRow> rows, string? roomId) =>
        new(rows.Where(r => r.RoomId == roomId)
            .Select(r => (JsonNode)new JsonObject { ["type"] = r.Type, ["content"] = JsonNode.Parse(r.ContentJson) }).ToArray());
}
