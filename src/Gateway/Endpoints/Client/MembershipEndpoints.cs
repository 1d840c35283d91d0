using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class MembershipEndpoints
{
    public static void MapMembership(this RouteGroupBuilder g)
    {
        g.MapPost("/join/{roomIdOrAlias}", JoinByIdOrAlias);
        g.MapPost("/rooms/{roomId}/join", Join);
        g.MapPost("/rooms/{roomId}/invite", Invite);
        g.MapPost("/rooms/{roomId}/leave", Leave);
        g.MapPost("/rooms/{roomId}/forget", Forget);
        g.MapPost("/rooms/{roomId}/kick", Kick);
        g.MapPost("/rooms/{roomId}/ban", Ban);
        g.MapPost("/rooms/{roomId}/unban", Unban);
    }

    /// <summary>`POST /_matrix/client/v3/join/{roomIdOrAlias}`</summary>
    static async Task<IResult> JoinByIdOrAlias(HttpContext ctx, string roomIdOrAlias, IGrainFactory grains, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var roomId = await RoomAccess.ResolveAsync(roomIdOrAlias, db);
        return await JoinCore(ctx, me, roomId, grains, db);
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/join`</summary>
    static async Task<IResult> Join(HttpContext ctx, string roomId, IGrainFactory grains, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        return await JoinCore(ctx, me, RoomAccess.CheckRoomId(roomId), grains, db);
    }

    static async Task<IResult> JoinCore(HttpContext ctx, Requester me, string roomId, IGrainFactory grains, MyelinDatabase db)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        // Synapse: a blocked room (admin API) refuses joins, even once it is purged and unknown.
        if (await db.Admin.GetRoomBlockerAsync(roomId) is not null) throw MatrixException.Forbidden("This room has been blocked on this server");
        var room = grains.Room(roomId);
        if (await room.GetInfo() is null) throw MatrixException.NotFound("No known servers for this room");
        var profile = await db.Accounts.GetProfileAsync(me.UserId);
        var content = RoomsEndpoints.MemberContent("join", profile, reason: body.OptString("reason"));
        await room.Send(new EventDraft("m.room.member", me.UserId, me.UserId, content.ToJsonString()), null);
        return JsonBody.Json(new JsonObject { ["room_id"] = roomId });
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/invite`</summary>
    static async Task<IResult> Invite(HttpContext ctx, string roomId, IGrainFactory grains, MyelinDatabase db, ServerIdentity server)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var target = RoomAccess.CheckUserId(body.OptString("user_id"));
        if (!server.IsMine(target))
            throw MatrixException.Forbidden("Inviting users of other servers needs federation, which is not available");
        var profile = await db.Accounts.GetProfileAsync(target);
        if (await db.Accounts.GetUserAsync(target) is null) throw MatrixException.NotFound("Unknown user");
        var content = RoomsEndpoints.MemberContent("invite", profile, reason: body.OptString("reason"));
        await SendMembership(grains, RoomAccess.CheckRoomId(roomId), me.UserId, target, content);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/leave`</summary>
    static async Task<IResult> Leave(HttpContext ctx, string roomId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        var content = RoomsEndpoints.MemberContent("leave", null, reason: body.OptString("reason"));
        await SendMembership(grains, RoomAccess.CheckRoomId(roomId), me.UserId, me.UserId, content);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/forget`</summary>
    static async Task<IResult> Forget(HttpContext ctx, string roomId, IGrainFactory grains, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var membership = await grains.Room(RoomAccess.CheckRoomId(roomId)).GetMembership(me.UserId);
        if (membership is "join" or "invite" or "knock")
            throw new MatrixException(400, "M_UNKNOWN", "User must leave the room before forgetting it");
        if (membership is null) throw MatrixException.NotFound("You have no membership in this room");
        await db.Events.ForgetRoomAsync(me.UserId, roomId);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/kick`</summary>
    static Task<IResult> Kick(HttpContext ctx, string roomId, IGrainFactory grains) =>
        ModerateAsync(ctx, roomId, grains, "leave");

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/ban`</summary>
    static Task<IResult> Ban(HttpContext ctx, string roomId, IGrainFactory grains) =>
        ModerateAsync(ctx, roomId, grains, "ban");

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/unban`</summary>
    static async Task<IResult> Unban(HttpContext ctx, string roomId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var target = RoomAccess.CheckUserId(body.OptString("user_id"));
        var room = grains.Room(RoomAccess.CheckRoomId(roomId));
        if (await room.GetMembership(target) != "ban") throw MatrixException.Forbidden("The user is not banned");
        var content = RoomsEndpoints.MemberContent("leave", null, reason: body.OptString("reason"));
        await SendMembership(grains, roomId, me.UserId, target, content);
        return JsonBody.Empty();
    }

    static async Task<IResult> ModerateAsync(HttpContext ctx, string roomId, IGrainFactory grains, string membership)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var target = RoomAccess.CheckUserId(body.OptString("user_id"));
        var room = grains.Room(RoomAccess.CheckRoomId(roomId));
        if (membership == "leave" && await room.GetMembership(target) is not ("join" or "invite" or "knock"))
            throw MatrixException.Forbidden("The user is not in the room");
        var content = RoomsEndpoints.MemberContent(membership, null, reason: body.OptString("reason"));
        await SendMembership(grains, roomId, me.UserId, target, content);
        return JsonBody.Empty();
    }

    static Task<string> SendMembership(IGrainFactory grains, string roomId, string sender, string target, JsonObject content) =>
        grains.Room(roomId).Send(new EventDraft("m.room.member", target, sender, content.ToJsonString()), null);
}
