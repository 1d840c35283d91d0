using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Reporting content (spec: "Reporting content"): the reports the admin API lists.</summary>
public static class ReportEndpoints
{
    public static void MapReport(this RouteGroupBuilder g)
    {
        g.MapPost("/rooms/{roomId}/report/{eventId}", ReportEvent).WithSummary("Report an event in a joined room as inappropriate.");
    }

    const string NotVisible = "Unable to report event: it does not exist or you aren't able to see it.";

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}`</summary>
    static async Task<IResult> ReportEvent(HttpContext ctx, string roomId, string eventId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        // Synapse: both optional, 400 M_INVALID_PARAM when of the wrong type (score is gone from spec v1.18, still taken).
        if (body["reason"] is { } reasonNode && !(reasonNode is JsonValue rv && rv.GetValueKind() == JsonValueKind.String))
            throw MatrixException.InvalidParam("Param 'reason' must be a string");
        if (body["score"] is { } scoreNode && !(scoreNode is JsonValue sv && sv.GetValueKind() == JsonValueKind.Number && sv.TryGetValue<long>(out _)))
            throw MatrixException.InvalidParam("Param 'score' must be an integer");
        var reason = body.OptString("reason");
        var score = body["score"] is JsonValue s ? s.GetValue<long>() : (long?)null;

        RoomAccess.CheckRoomId(roomId);
        var e = await db.Events.GetEventAsync(eventId);
        if (e is null || e.RoomId != roomId) throw MatrixException.NotFound(NotVisible);
        RoomReader reader;
        try { reader = await RoomHistory.OpenAsync(db, roomId, me.UserId); }
        catch (MatrixException x) when (x.Status == 403) { throw MatrixException.NotFound(NotVisible); }
        if (!await RoomHistory.CanSeeAsync(db, reader, e)) throw MatrixException.NotFound(NotVisible);

        await db.Admin.AddEventReportAsync(roomId, eventId, me.UserId, reason, score, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return JsonBody.Empty();
    }
}
