using Myelin.Gateway.Http;
using Myelin.Grains;

namespace Myelin.Gateway.Endpoints.Client;

public static class TypingEndpoints
{
    /// <summary>Synapse's default when a client starting to type gives no timeout.</summary>
    const long DefaultTimeoutMs = 30_000;

    /// <summary>Synapse caps the timeout "to stop people from setting silly typing timeouts".</summary>
    const long MaxTimeoutMs = 120_000;

    public static void MapTyping(this RouteGroupBuilder g)
    {
        g.MapPut("/rooms/{roomId}/typing/{userId}", SetTyping);
    }

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}`</summary>
    static async Task<IResult> SetTyping(HttpContext ctx, string roomId, string userId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var typing = body.OptBool("typing") ?? throw MatrixException.BadJson("Missing 'typing'");
        var timeoutMs = body.OptLong("timeout") ?? DefaultTimeoutMs;
        if (timeoutMs < 0) throw MatrixException.InvalidParam("'timeout' must not be negative");
        var room = grains.Typing(RoomAccess.CheckRoomId(roomId));
        if (userId != me.UserId) throw MatrixException.Forbidden("Cannot set another user's typing state");
        if (typing) await room.Start(me.UserId, TimeSpan.FromMilliseconds(Math.Min(timeoutMs, MaxTimeoutMs)));
        else await room.Stop(me.UserId);
        return JsonBody.Empty();
    }
}
