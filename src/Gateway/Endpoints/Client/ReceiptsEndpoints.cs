using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Matrix;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Read receipts and the fully read marker (spec: "Receipts", "Read and unread markers").</summary>
public static class ReceiptsEndpoints
{
    public static void MapReceipts(this RouteGroupBuilder g)
    {
        g.MapPost("/rooms/{roomId}/receipt/{receiptType}/{eventId}", PostReceipt);
        g.MapPost("/rooms/{roomId}/read_markers", PostReadMarkers);
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}`</summary>
    static async Task<IResult> PostReceipt(HttpContext ctx, string roomId, string receiptType, string eventId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var room = RoomAccess.CheckRoomId(roomId);
        var ev = CheckEventId(RoomAccess.DecodeSlashes(eventId), "event ID");
        if (!Receipts.IsKnownType(receiptType))
            throw MatrixException.InvalidParam($"Receipt type must be one of {Receipts.Read}, {Receipts.ReadPrivate}, {Receipts.FullyRead}");
        var body = await JsonBody.ReadObjectAsync(ctx.Request);

        string? threadId = null;
        if (body.ContainsKey("thread_id"))
        {
            // spec: 400 when thread_id is not a string, is empty, or comes with an incompatible receipt type.
            threadId = body["thread_id"] is JsonValue v && v.TryGetValue<string>(out var t) && t.Length > 0 ? t
                : throw MatrixException.InvalidParam("thread_id field must be a non-empty string");
            if (receiptType == Receipts.FullyRead)
                throw MatrixException.InvalidParam($"thread_id is not compatible with {Receipts.FullyRead} receipts");
        }

        // spec: m.fully_read here does what /read_markers does with it.
        var markers = receiptType switch
        {
            Receipts.FullyRead => new ReadMarkers(ev, null, null),
            Receipts.Read => new ReadMarkers(null, ev, null, threadId),
            _ => new ReadMarkers(null, null, ev, threadId),
        };
        await grains.Receipts(room).SetReadMarkers(me.UserId, markers);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/read_markers`</summary>
    static async Task<IResult> PostReadMarkers(HttpContext ctx, string roomId, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var room = RoomAccess.CheckRoomId(roomId);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        // As Synapse: a missing or empty marker is left where it is, and other keys are ignored.
        var markers = new ReadMarkers(Marker(body, Receipts.FullyRead), Marker(body, Receipts.Read), Marker(body, Receipts.ReadPrivate));
        await grains.Receipts(room).SetReadMarkers(me.UserId, markers);
        return JsonBody.Empty();
    }

    static string? Marker(JsonObject body, string key) =>
        body.OptString(key) is { Length: > 0 } id ? CheckEventId(id, $"'{key}'") : null;

    static string CheckEventId(string eventId, string what) =>
        MatrixIds.IsValidEventId(eventId) ? eventId : throw MatrixException.InvalidParam($"Invalid {what}: {eventId}");
}
