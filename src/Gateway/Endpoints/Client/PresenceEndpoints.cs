using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Presence;
using Myelin.Matrix;

namespace Myelin.Gateway.Endpoints.Client;

public static class PresenceEndpoints
{
    public static void MapPresence(this RouteGroupBuilder g)
    {
        g.MapGet("/presence/{userId}/status", GetStatus);
        g.MapPut("/presence/{userId}/status", PutStatus);
    }

    /// <summary>`GET /_matrix/client/v3/presence/{userId}/status`</summary>
    static async Task<IResult> GetStatus(HttpContext ctx, string userId, IGrainFactory grains, PresenceOptions options,
        JoinedRoomsCache rooms, TimeProvider time)
    {
        var me = await ctx.AuthAsync();
        var target = CheckUserId(userId);
        // As Synapse with presence disabled: everyone is offline, to anyone.
        if (!options.Enabled) return JsonBody.Json(UserPresence.Offline(target).ToContent(0));
        // spec: presence is published to the users who share a room with the target.
        if (target != me.UserId && !await rooms.ShareARoomAsync(me.UserId, target))
            throw MatrixException.Forbidden("You are not allowed to see their presence.");
        var status = await grains.Presence(target).Get();
        return JsonBody.Json(status.ToPresence().ToContent(time.GetUtcNow().ToUnixTimeMilliseconds()));
    }

    /// <summary>`PUT /_matrix/client/v3/presence/{userId}/status`</summary>
    static async Task<IResult> PutStatus(HttpContext ctx, string userId, IGrainFactory grains, PresenceOptions options)
    {
        var me = await ctx.AuthAsync();
        if (CheckUserId(userId) != me.UserId) throw MatrixException.Forbidden("Can only set your own presence state");
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var presence = body.ReqString("presence");
        if (!PresenceStates.IsValid(presence))
            throw MatrixException.InvalidParam("'presence' must be one of online, unavailable, offline");
        var statusMsg = body.OptString("status_msg");
        // As Synapse: the body holds presence and status_msg, nothing else.
        if (body.Select(p => p.Key).FirstOrDefault(k => k is not ("presence" or "status_msg")) is { } unknown)
            throw MatrixException.BadJson($"Unknown key '{unknown}'");
        // Untracked (or disabled) presence accepts the request and changes nothing, as Synapse.
        if (options.Tracked) await grains.Presence(me.UserId).SetState(me.DeviceId, presence, statusMsg);
        return JsonBody.Empty();
    }

    static string CheckUserId(string userId) =>
        MatrixIds.IsValidUserId(userId) ? userId : throw MatrixException.InvalidParam($"Invalid user ID {userId}");
}
