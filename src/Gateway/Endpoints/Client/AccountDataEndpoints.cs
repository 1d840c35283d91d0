using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;

namespace Myelin.Gateway.Endpoints.Client;

public static class AccountDataEndpoints
{
    public static void MapAccountData(this RouteGroupBuilder g)
    {
        g.MapGet("/user/{userId}/account_data/{type}", GetGlobal);
        g.MapPut("/user/{userId}/account_data/{type}", PutGlobal);
        g.MapGet("/user/{userId}/rooms/{roomId}/account_data/{type}", GetRoom);
        g.MapPut("/user/{userId}/rooms/{roomId}/account_data/{type}", PutRoom);
    }

    /// <summary>`GET /_matrix/client/v3/user/{userId}/account_data/{type}`</summary>
    static async Task<IResult> GetGlobal(HttpContext ctx, string userId, string type, IGrainFactory grains)
    {
        var me = await OwnerAsync(ctx, userId);
        var content = await grains.AccountData(me.UserId).Get(null, CheckType(type))
            ?? throw MatrixException.NotFound("Account data not found");
        return Results.Text(content, "application/json");
    }

    /// <summary>`PUT /_matrix/client/v3/user/{userId}/account_data/{type}`</summary>
    static async Task<IResult> PutGlobal(HttpContext ctx, string userId, string type, IGrainFactory grains)
    {
        var me = await OwnerAsync(ctx, userId);
        var t = CheckWritableType(type);
        var content = await JsonBody.ReadObjectAsync(ctx.Request);
        await grains.AccountData(me.UserId).Put(null, t, content.ToJsonString());
        return JsonBody.Empty();
    }

    /// <summary>`GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`</summary>
    static async Task<IResult> GetRoom(HttpContext ctx, string userId, string roomId, string type, IGrainFactory grains)
    {
        var me = await OwnerAsync(ctx, userId);
        var content = await grains.AccountData(me.UserId).Get(RoomAccess.CheckRoomId(roomId), CheckType(type))
            ?? throw MatrixException.NotFound("Room account data not found");
        return Results.Text(content, "application/json");
    }

    /// <summary>`PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`</summary>
    static async Task<IResult> PutRoom(HttpContext ctx, string userId, string roomId, string type, IGrainFactory grains)
    {
        var me = await OwnerAsync(ctx, userId);
        var room = RoomAccess.CheckRoomId(roomId);
        var t = CheckWritableType(type);
        var content = await JsonBody.ReadObjectAsync(ctx.Request);
        await grains.AccountData(me.UserId).Put(room, t, content.ToJsonString());
        return JsonBody.Empty();
    }

    /// <summary>spec: account data may only be read and written by its owner.</summary>
    public static async Task<Requester> OwnerAsync(HttpContext ctx, string userId)
    {
        var me = await ctx.AuthAsync();
        if (userId != me.UserId) throw MatrixException.Forbidden("Cannot access account data of other users");
        return me;
    }

    static string CheckType(string type)
    {
        var t = RoomAccess.DecodeSlashes(type);
        if (t.Length is 0 or > 255) throw MatrixException.InvalidParam("Invalid account data type");
        return t;
    }

    /// <summary>spec: m.fully_read and m.push_rules are managed by their own APIs, not set here.</summary>
    static string CheckWritableType(string type)
    {
        var t = CheckType(type);
        if (t is "m.fully_read" or "m.push_rules")
            throw MatrixException.BadJson($"Cannot set {t} through this API");
        return t;
    }
}
