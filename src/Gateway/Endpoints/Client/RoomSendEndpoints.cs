using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;

namespace Myelin.Gateway.Endpoints.Client;

public static class RoomSendEndpoints
{
    public static void MapRoomSend(this RouteGroupBuilder g)
    {
        g.MapPut("/rooms/{roomId}/send/{eventType}/{txnId}", Send);
        g.MapPost("/rooms/{roomId}/send/{eventType}", SendWithoutTxn)
            .WithSummary("Send a message event to the room without a transaction ID (as Synapse accepts).");
        g.MapPut("/rooms/{roomId}/state/{eventType}/{**stateKey}", PutState);
        g.MapPut("/rooms/{roomId}/state/{eventType}", PutStateEmptyKey)
            .WithSummary("Send a state event with an empty state key to the room.");
        g.MapPut("/rooms/{roomId}/redact/{eventId}/{txnId}", Redact);
        g.MapPost("/rooms/{roomId}/redact/{eventId}", RedactWithoutTxn)
            .WithSummary("Redact an event without a transaction ID (as Synapse accepts).");
    }

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`</summary>
    static async Task<IResult> Send(HttpContext ctx, string roomId, string eventType, string txnId, IGrainFactory grains,
        UserActivity activity)
    {
        var me = await ctx.AuthAsync();
        var content = await JsonBody.ReadObjectAsync(ctx.Request);
        var type = CheckEventType(eventType);
        var id = await grains.Room(RoomAccess.CheckRoomId(roomId))
            .Send(new EventDraft(type, null, me.UserId, content.ToJsonString()), new TxnKey(me.UserId, me.DeviceId, txnId));
        activity.Acted(me); // spec: sending a message is activity (last_active_ago)
        return EventIdResult(id);
    }

    /// <summary>`POST /_matrix/client/r0/rooms/{roomId}/send/{eventType}` (legacy, no transaction ID)</summary>
    static async Task<IResult> SendWithoutTxn(HttpContext ctx, string roomId, string eventType, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var content = await JsonBody.ReadObjectAsync(ctx.Request);
        var id = await grains.Room(RoomAccess.CheckRoomId(roomId))
            .Send(new EventDraft(CheckEventType(eventType), null, me.UserId, content.ToJsonString()), null);
        return EventIdResult(id);
    }

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`</summary>
    static async Task<IResult> PutState(HttpContext ctx, string roomId, string eventType, string? stateKey, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var content = await JsonBody.ReadObjectAsync(ctx.Request);
        var type = CheckEventType(eventType);
        var key = RoomAccess.DecodeSlashes(stateKey);
        if (type == "m.room.member")
            throw MatrixException.Forbidden("Use the membership endpoints to change memberships");
        var id = await grains.Room(RoomAccess.CheckRoomId(roomId))
            .Send(new EventDraft(type, key, me.UserId, content.ToJsonString()), null);
        return EventIdResult(id);
    }

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}` (empty state key)</summary>
    static Task<IResult> PutStateEmptyKey(HttpContext ctx, string roomId, string eventType, IGrainFactory grains) =>
        PutState(ctx, roomId, eventType, "", grains);

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}`</summary>
    static async Task<IResult> Redact(HttpContext ctx, string roomId, string eventId, string txnId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        return await RedactCore(ctx, me, roomId, eventId, new TxnKey(me.UserId, me.DeviceId, "redact:" + txnId), grains);
    }

    /// <summary>`POST /_matrix/client/r0/rooms/{roomId}/redact/{eventId}` (legacy, no transaction ID)</summary>
    static async Task<IResult> RedactWithoutTxn(HttpContext ctx, string roomId, string eventId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        return await RedactCore(ctx, me, roomId, eventId, null, grains);
    }

    static async Task<IResult> RedactCore(HttpContext ctx, Requester me, string roomId, string eventId, TxnKey? txn, IGrainFactory grains)
    {
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        if (!Myelin.Matrix.MatrixIds.IsValidEventId(eventId)) throw MatrixException.InvalidParam("Invalid event ID");
        var content = new JsonObject();
        if (body.OptString("reason") is { } reason) content["reason"] = reason;
        var id = await grains.Room(RoomAccess.CheckRoomId(roomId))
            .Send(new EventDraft("m.room.redaction", null, me.UserId, content.ToJsonString(), eventId), txn);
        return EventIdResult(id);
    }

    static string CheckEventType(string eventType)
    {
        var type = RoomAccess.DecodeSlashes(eventType);
        if (type.Length is 0 or > 255) throw MatrixException.InvalidParam("Invalid event type");
        return type;
    }

    static IResult EventIdResult(string id) => JsonBody.Json(new JsonObject { ["event_id"] = id });
}
