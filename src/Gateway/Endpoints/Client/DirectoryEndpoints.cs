using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Room aliases and the published room directory (Synapse's rest/client/directory.py and room.py).</summary>
public static class DirectoryEndpoints
{
    public static void MapDirectory(this RouteGroupBuilder g)
    {
        // The alias is optional in the route so that `/directory/room/` answers "invalid alias" as Synapse does.
        g.MapGet("/directory/room/{roomAlias?}", GetAlias);
        g.MapPut("/directory/room/{roomAlias?}", PutAlias);
        g.MapDelete("/directory/room/{roomAlias?}", DeleteAlias);
        g.MapGet("/rooms/{roomId}/aliases", GetLocalAliases);
        g.MapGet("/directory/list/room/{roomId}", GetVisibility);
        g.MapPut("/directory/list/room/{roomId}", SetVisibility);
        g.MapGet("/publicRooms", GetPublicRooms);
        g.MapPost("/publicRooms", QueryPublicRooms);
    }

    /// <summary>`GET /_matrix/client/v3/directory/room/{roomAlias}` (no authentication, as in the spec)</summary>
    static async Task<IResult> GetAlias(HttpContext ctx, string? roomAlias, MyelinDatabase db, ServerIdentity server)
    {
        var alias = CheckAlias(ctx, roomAlias);
        var mapping = await db.Aliases.GetAliasAsync(alias) ?? throw MatrixException.NotFound($"Room alias {alias} not found");
        return JsonBody.Json(new JsonObject
        {
            ["room_id"] = mapping.RoomId,
            ["servers"] = new JsonArray(server.ServerName),
        });
    }

    /// <summary>`PUT /_matrix/client/v3/directory/room/{roomAlias}`</summary>
    static async Task<IResult> PutAlias(HttpContext ctx, string? roomAlias, MyelinDatabase db, IGrainFactory grains, ServerIdentity server,
        ApplicationServices appservices)
    {
        var alias = CheckAlias(ctx, roomAlias);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var roomId = body.ReqString("room_id");
        body.OptStringList("servers"); // unspecced, accepted by Synapse; only its shape is checked
        var me = await ctx.AuthAsync();
        if (await db.Rooms.GetRoomAsync(roomId) is null) throw MatrixException.Unknown("Room does not exist");

        if (me.Appservice is { } service)
        {
            // spec: an application service may manage the aliases of its namespace (and only those).
            if (!service.IsRoomAliasInNamespace(alias))
                throw new MatrixException(400, "M_EXCLUSIVE", "This application service has not reserved this kind of alias.");
        }
        else
        {
            // Synapse's default require_membership_for_aliases: only members (or server admins) may add aliases.
            if (!await IsServerAdminAsync(me.UserId, db) && await grains.Room(roomId).GetMembership(me.UserId) != "join")
                throw MatrixException.Forbidden("You must be in the room to create an alias for it");
            if (!appservices.UserMayModifyAlias(alias, me.UserId))
                throw new MatrixException(400, "M_EXCLUSIVE", "This alias is reserved by an application service.");
        }
        var localpart = alias[1..alias.IndexOf(':')];
        if (localpart.Any(char.IsWhiteSpace)) throw MatrixException.Unknown("Invalid characters in room alias");
        if (!server.IsMine(alias)) throw MatrixException.InvalidParam("Room alias must be local");

        if (!await db.Aliases.CreateAliasAsync(alias, roomId, me.UserId))
            throw new MatrixException(409, "M_UNKNOWN", $"Room alias {alias} already exists");
        return JsonBody.Empty();
    }

    /// <summary>
    /// `DELETE /_matrix/client/v3/directory/room/{roomAlias}` — by the alias's creator, a server admin, or a
    /// member with the power to send m.room.canonical_alias (Synapse's rule). The alias is then dropped from
    /// the room's canonical alias event where it appears.
    /// </summary>
    static async Task<IResult> DeleteAlias(HttpContext ctx, string? roomAlias, MyelinDatabase db, IGrainFactory grains,
        ApplicationServices appservices)
    {
        var alias = CheckAlias(ctx, roomAlias);
        var me = await ctx.AuthAsync();
        if (me.Appservice is { } service && !service.IsRoomAliasInNamespace(alias))
            throw new MatrixException(400, "M_EXCLUSIVE", "This application service has not reserved this kind of alias");
        var mapping = await db.Aliases.GetAliasAsync(alias) ?? throw MatrixException.NotFound("Unknown room alias");
        if (me.Appservice is null)
        {
            if (mapping.Creator != me.UserId && !await CanChangeRoomListAsync(mapping.RoomId, me.UserId, db, grains))
                throw MatrixException.Forbidden("You don't have permission to delete the alias.");
            if (!appservices.UserMayModifyAlias(alias, me.UserId))
                throw new MatrixException(400, "M_EXCLUSIVE", "This alias is reserved by an application service.");
        }
        // Someone else may have deleted it since the lookup.
        if (!await db.Aliases.DeleteAliasAsync(alias)) throw MatrixException.NotFound("Unknown room alias");
        await RemoveFromCanonicalAliasAsync(mapping.RoomId, alias, me.UserId, db, grains);
        return JsonBody.Empty();
    }

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/aliases`</summary>
    static async Task<IResult> GetLocalAliases(HttpContext ctx, string roomId, MyelinDatabase db, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var id = RoomAccess.CheckRoomId(roomId);
        // spec: members of the room, or anyone when the room is world-readable; Synapse adds server admins.
        if (!await IsServerAdminAsync(me.UserId, db) && await grains.Room(id).GetMembership(me.UserId) != "join")
        {
            var visibility = Content(await db.Events.GetCurrentStateAsync(id), "m.room.history_visibility");
            if (Str(visibility, "history_visibility") != "world_readable")
                throw MatrixException.Forbidden("You are not a member of the room.");
        }
        var aliases = await db.Aliases.GetAliasesForRoomAsync(id);
        return JsonBody.Json(new JsonObject { ["aliases"] = new JsonArray(aliases.Select(a => (JsonNode)a!).ToArray()) });
    }

    /// <summary>`GET /_matrix/client/v3/directory/list/room/{roomId}` (no authentication, as in the spec)</summary>
    static async Task<IResult> GetVisibility(string roomId, MyelinDatabase db)
    {
        var room = await db.Rooms.GetRoomAsync(roomId) ?? throw MatrixException.NotFound("Room not found");
        return JsonBody.Json(new JsonObject { ["visibility"] = room.IsPublic ? "public" : "private" });
    }

    /// <summary>`PUT /_matrix/client/v3/directory/list/room/{roomId}`</summary>
    static async Task<IResult> SetVisibility(HttpContext ctx, string roomId, MyelinDatabase db, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        // spec: defaults to public.
        var visibility = body["visibility"] is null ? "public"
            : body["visibility"] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is "public" or "private"
                ? v.GetValue<string>()
                : throw MatrixException.InvalidParam("'visibility' must be public or private");
        if (await db.Rooms.GetRoomAsync(roomId) is null) throw MatrixException.NotFound("Room not found");
        if (!await CanChangeRoomListAsync(roomId, me.UserId, db, grains))
            throw MatrixException.Forbidden("This server requires you to be a moderator in the room to edit its room list entry");
        await db.Rooms.SetPublicAsync(roomId, visibility == "public");
        return JsonBody.Empty();
    }

    /// <summary>`GET /_matrix/client/v3/publicRooms` — open without an access token, as the spec has it.</summary>
    static async Task<IResult> GetPublicRooms(HttpContext ctx, MyelinDatabase db, ServerIdentity server)
    {
        var q = ctx.Request.Query;
        var remote = q.ContainsKey("server") ? q["server"].ToString() : null;
        if (remote is not null && remote != server.ServerName)
        {
            await ctx.AuthAsync(); // Synapse never proxies for anonymous callers
            throw RemoteDirectory(remote);
        }
        long? limit = null;
        if (q.ContainsKey("limit"))
        {
            if (!long.TryParse(q["limit"].ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                throw MatrixException.InvalidParam("Query parameter 'limit' must be an integer.");
            limit = l >= 0 ? l : throw MatrixException.InvalidParam("Query parameter 'limit' must be a positive integer.");
        }
        var since = q.ContainsKey("since") ? q["since"].ToString() : null;
        return JsonBody.Json(await PublicRoomList.QueryAsync(db, limit, since, searchTerm: null, roomTypes: null));
    }

    /// <summary>`POST /_matrix/client/v3/publicRooms`</summary>
    static async Task<IResult> QueryPublicRooms(HttpContext ctx, MyelinDatabase db, ServerIdentity server)
    {
        await ctx.AuthAsync();
        var remote = ctx.Request.Query.ContainsKey("server") ? ctx.Request.Query["server"].ToString() : null;
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var limit = body.OptLong("limit");
        if (limit < 0) throw MatrixException.InvalidParam("'limit' must not be negative");
        var since = body.OptString("since");
        var filter = body.OptObject("filter");
        var searchTerm = filter?.OptString("generic_search_term");
        var roomTypes = ReadRoomTypes(filter);
        var includeAllNetworks = body.OptBool("include_all_networks") ?? false;
        var network = body.OptString("third_party_instance_id");
        if (includeAllNetworks && network is not null)
            throw MatrixException.Unknown("Can't use include_all_networks with an explicit network");
        if (remote is not null && remote != server.ServerName) throw RemoteDirectory(remote);

        // No application service publishes a network list here, so a named network lists nothing.
        if (network is not null) return JsonBody.Json(new JsonObject { ["chunk"] = new JsonArray(), ["total_room_count_estimate"] = 0 });
        return JsonBody.Json(await PublicRoomList.QueryAsync(db, limit, since, searchTerm, roomTypes));
    }

    /// <summary>spec v1.4 room_types: strings, and null for rooms without a type.</summary>
    static List<string?>? ReadRoomTypes(JsonObject? filter)
    {
        var array = filter?.OptArray("room_types");
        return array?.Select(n => n switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw MatrixException.BadJson("'room_types' must be an array of strings and nulls"),
        }).ToList();
    }

    /// <summary>Other servers' directories need federation, which this server does not speak.</summary>
    static MatrixException RemoteDirectory(string remote) =>
        MatrixIds.IsValidServerName(remote)
            ? new MatrixException(502, "M_UNKNOWN", "Failed to fetch room list")
            : MatrixException.InvalidParam($"Invalid server name: {remote}");

    static string CheckAlias(HttpContext ctx, string? roomAlias)
    {
        // `/directory/room` without the slash is not this endpoint at all.
        if (roomAlias is null && ctx.Request.Path.Value?.EndsWith('/') != true) throw MatrixException.Unrecognized();
        return MatrixIds.IsValidRoomAlias(roomAlias) ? roomAlias! : throw MatrixException.InvalidParam("Room alias invalid");
    }

    static async Task<bool> IsServerAdminAsync(string userId, MyelinDatabase db) =>
        (await db.Accounts.GetUserAsync(userId))?.IsAdmin ?? false;

    /// <summary>
    /// Synapse's check_can_change_room_list: server admins may; anyone else must be joined (403 otherwise)
    /// and have the power level to send m.room.canonical_alias.
    /// </summary>
    static async Task<bool> CanChangeRoomListAsync(string roomId, string userId, MyelinDatabase db, IGrainFactory grains)
    {
        if (await IsServerAdminAsync(userId, db)) return true;
        if (await grains.Room(roomId).GetMembership(userId) != "join")
            throw MatrixException.Forbidden($"User {userId} not in room {roomId}");
        var state = await db.Events.GetCurrentStateAsync(roomId);
        var creator = (await db.Rooms.GetRoomAsync(roomId))?.Creator;
        var levels = PowerLevels.FromContent(Content(state, "m.room.power_levels"), creator);
        return levels.UserLevel(userId) >= levels.EventLevel("m.room.canonical_alias", isState: true);
    }

    /// <summary>
    /// Takes a deleted alias out of m.room.canonical_alias (alias and alt_aliases). As in Synapse, a
    /// user without the power to send the event still deletes the alias.
    /// </summary>
    static async Task RemoveFromCanonicalAliasAsync(string roomId, string alias, string userId, MyelinDatabase db, IGrainFactory grains)
    {
        if (Content(await db.Events.GetCurrentStateAsync(roomId), "m.room.canonical_alias") is not { } content) return;
        var changed = false;
        if (Str(content, "alias") == alias)
        {
            content.Remove("alias");
            changed = true;
        }
        if (content["alt_aliases"] is JsonArray alt && alt.Any(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == alias))
        {
            var rest = alt.Where(a => !(a is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == alias))
                .Select(a => a?.DeepClone()).ToArray();
            if (rest.Length > 0) content["alt_aliases"] = new JsonArray(rest);
            else content.Remove("alt_aliases");
            changed = true;
        }
        if (!changed) return;
        try
        {
            await grains.Room(roomId).Send(new EventDraft("m.room.canonical_alias", "", userId, content.ToJsonString()), null);
        }
        catch (MatrixException e) when (e.Status == 403)
        {
        }
    }

    /// <summary>The content of the state event (type, "") in <paramref name="state"/>, or null.</summary>
    internal static JsonObject? Content(IReadOnlyList<StoredEvent> state, string type)
    {
        var e = state.FirstOrDefault(s => s.Type == type && s.StateKey == "");
        return e is null ? null : JsonNode.Parse(e.Json)?["content"] as JsonObject;
    }

    internal static string? Str(JsonObject? o, string key) =>
        o?[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>
/// The local published room directory, paged as Synapse pages it: largest rooms first (room ID descending
/// among equals), tokens holding the last room seen and the direction.
/// </summary>
static class PublicRoomList
{
    /// <summary>Synapse's MAX_PUBLIC_ROOMS_IN_RESPONSE.</summary>
    const int MaxRooms = 100;

    sealed record Room(string RoomId, int Joined, string? Name, string? Topic, string? CanonicalAlias, string? AvatarUrl,
        string? JoinRule, string? HistoryVisibility, string? GuestAccess, string? RoomType)
    {
        /// <summary>Synapse lists published rooms only while they are joinable or world-readable, and not empty.</summary>
        public bool Listable => Joined > 0
            && (JoinRule is "public" or "knock" or "knock_restricted" || HistoryVisibility == "world_readable");

        public bool Matches(string term)
        {
            var t = term.ToLowerInvariant();
            return (Name?.ToLowerInvariant().Contains(t, StringComparison.Ordinal) ?? false)
                || (Topic?.ToLowerInvariant().Contains(t, StringComparison.Ordinal) ?? false)
                || (CanonicalAlias?.ToLowerInvariant().Contains(t, StringComparison.Ordinal) ?? false);
        }

        /// <summary>spec: definitions/public_rooms_chunk.yaml; absent values are left out.</summary>
        public JsonObject ToJson()
        {
            var o = new JsonObject
            {
                ["room_id"] = RoomId,
                ["num_joined_members"] = Joined,
                ["world_readable"] = HistoryVisibility == "world_readable",
                ["guest_can_join"] = GuestAccess == "can_join",
            };
            if (Name is not null) o["name"] = Name;
            if (Topic is not null) o["topic"] = Topic;
            if (CanonicalAlias is not null) o["canonical_alias"] = CanonicalAlias;
            if (AvatarUrl is not null) o["avatar_url"] = AvatarUrl;
            if (JoinRule is not null) o["join_rule"] = JoinRule;
            if (RoomType is not null) o["room_type"] = RoomType;
            return o;
        }
    }

    /// <summary>Position in the list: (joined members, room ID) of the last room seen, and which way to go.</summary>
    readonly record struct Token(long Joined, string RoomId, bool Forwards)
    {
        public override string ToString() =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{(Forwards ? 'f' : 'b')}{Joined.ToString(CultureInfo.InvariantCulture)}|{RoomId}"))
                .TrimEnd('=').Replace('+', '-').Replace('/', '_');

        public static Token Parse(string s)
        {
            try
            {
                var b64 = s.Replace('-', '+').Replace('_', '/');
                var text = Encoding.UTF8.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
                var bar = text.IndexOf('|');
                if (text.Length > 1 && text[0] is 'f' or 'b' && bar > 1
                    && long.TryParse(text.AsSpan(1, bar - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var joined))
                    return new Token(joined, text[(bar + 1)..], text[0] == 'f');
            }
            catch (FormatException) { }
            throw MatrixException.InvalidParam("Invalid 'since' token");
        }
    }

    /// <summary>Order of the list: most joined members first, then room ID descending.</summary>
    static int Compare(long joinedA, string idA, long joinedB, string idB)
    {
        var c = joinedB.CompareTo(joinedA);
        return c != 0 ? c : string.CompareOrdinal(idB, idA);
    }

    public static async Task<JsonObject> QueryAsync(MyelinDatabase db, long? limit, string? since, string? searchTerm,
        IReadOnlyList<string?>? roomTypes)
    {
        var token = since is { Length: > 0 } ? Token.Parse(since) : (Token?)null;
        // Synapse: no limit (or 0) and anything above the cap mean the cap.
        var take = limit is null or 0 or > MaxRooms ? MaxRooms : (int)limit.Value;

        var rooms = new List<Room>();
        foreach (var id in await db.Rooms.GetPublicRoomIdsAsync())
        {
            var room = Load(id, await db.Events.GetCurrentStateAsync(id));
            if (room.Listable && (roomTypes is not { Count: > 0 } || roomTypes.Contains(room.RoomType))) rooms.Add(room);
        }
        var total = rooms.Count;
        if (!string.IsNullOrEmpty(searchTerm)) rooms = rooms.Where(r => r.Matches(searchTerm)).ToList();
        rooms.Sort((a, b) => Compare(a.Joined, a.RoomId, b.Joined, b.RoomId));

        var forwards = token?.Forwards ?? true;
        // The rooms beyond the token in the direction of travel, nearest first; one more than asked shows
        // whether another page follows.
        IEnumerable<Room> beyond = rooms;
        if (token is { } t)
            beyond = t.Forwards
                ? rooms.Where(r => Compare(r.Joined, r.RoomId, t.Joined, t.RoomId) > 0)
                : rooms.Where(r => Compare(r.Joined, r.RoomId, t.Joined, t.RoomId) < 0).Reverse();
        var probe = beyond.Take(take + 1).ToList();
        var page = probe.Take(take).ToList();
        var more = probe.Count > take;

        // first/last in list order (largest first), whichever way the page was read.
        if (!forwards) page.Reverse();
        var result = new JsonObject { ["chunk"] = new JsonArray(page.Select(r => (JsonNode)r.ToJson()).ToArray()) };
        Room? first = page.Count > 0 ? page[0] : null, last = page.Count > 0 ? page[^1] : null;
        if (forwards)
        {
            // After a token there is always something before: at worst the end of the list, read backwards.
            if (token is not null)
                result["prev_batch"] = (first is null ? new Token(0, "", false) : new Token(first.Joined, first.RoomId, false)).ToString();
            if (more && last is not null) result["next_batch"] = new Token(last.Joined, last.RoomId, true).ToString();
        }
        else if (first is not null && last is not null)
        {
            result["next_batch"] = new Token(last.Joined, last.RoomId, true).ToString();
            if (more) result["prev_batch"] = new Token(first.Joined, first.RoomId, false).ToString();
        }
        result["total_room_count_estimate"] = total;
        return result;
    }

    static Room Load(string roomId, IReadOnlyList<StoredEvent> state)
    {
        JsonObject? C(string type) => DirectoryEndpoints.Content(state, type);
        string? S(string type, string key) => DirectoryEndpoints.Str(C(type), key);
        var joined = state.Count(e => e.Type == "m.room.member" && e.Membership == "join");
        return new Room(roomId, joined,
            Name: S("m.room.name", "name"),
            Topic: S("m.room.topic", "topic"),
            CanonicalAlias: S("m.room.canonical_alias", "alias"),
            AvatarUrl: S("m.room.avatar", "url"),
            JoinRule: S("m.room.join_rules", "join_rule"),
            HistoryVisibility: S("m.room.history_visibility", "history_visibility"),
            GuestAccess: S("m.room.guest_access", "guest_access"),
            RoomType: S("m.room.create", "type"));
    }
}
