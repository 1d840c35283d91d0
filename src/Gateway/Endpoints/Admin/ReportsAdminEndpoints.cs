using System.Globalization;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>Synapse's event reports admin API (docs/admin_api/event_reports.md): list, show, delete. Server admins only.</summary>
public static class ReportsAdminEndpoints
{
    const int DefaultLimit = 100;

    public static void MapReportsAdmin(this IEndpointRouteBuilder g)
    {
        g.MapGet("/v1/event_reports", List).WithSummary("Show reported events");
        g.MapGet("/v1/event_reports/{reportId}", Get).WithSummary("Show details of a specific event report");
        g.MapDelete("/v1/event_reports/{reportId}", Delete).WithSummary("Delete a specific event report");
    }

    /// <summary>`GET /_synapse/admin/v1/event_reports`</summary>
    static async Task<IResult> List(HttpContext ctx, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var q = ctx.Request.Query;
        var from = AdminQuery.NonNegativeInt(q, "from", 0);
        var limit = AdminQuery.NonNegativeInt(q, "limit", DefaultLimit);
        var query = new EventReportQuery(from, limit, AdminQuery.Direction(q, backwardsByDefault: true),
            AdminQuery.OptString(q, "user_id"), AdminQuery.OptString(q, "room_id"), AdminQuery.OptString(q, "sender_user_id"));
        var (reports, total) = await db.Admin.ListEventReportsAsync(query);
        var entries = new List<JsonNode>();
        foreach (var r in reports) entries.Add(await DescribeAsync(r, db, withEvent: false));
        var body = new JsonObject { ["event_reports"] = new JsonArray(entries.ToArray()), ["total"] = total };
        if (from + limit < total) body["next_token"] = from + reports.Count;
        return JsonBody.Json(body);
    }

    /// <summary>`GET /_synapse/admin/v1/event_reports/{reportId}`</summary>
    static async Task<IResult> Get(HttpContext ctx, string reportId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        var report = await db.Admin.GetEventReportAsync(ParseId(reportId)) ?? throw MatrixException.NotFound("Event report not found");
        return JsonBody.Json(await DescribeAsync(report, db, withEvent: true));
    }

    /// <summary>`DELETE /_synapse/admin/v1/event_reports/{reportId}`</summary>
    static async Task<IResult> Delete(HttpContext ctx, string reportId, MyelinDatabase db)
    {
        await ctx.RequireServerAdminAsync();
        if (!await db.Admin.DeleteEventReportAsync(ParseId(reportId))) throw MatrixException.NotFound("Event report not found");
        return JsonBody.Empty();
    }

    static long ParseId(string reportId) =>
        long.TryParse(reportId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id : throw MatrixException.InvalidParam("The report_id parameter must be a string representing a positive integer.");

    static async Task<JsonObject> DescribeAsync(EventReport r, MyelinDatabase db, bool withEvent)
    {
        var state = await db.Events.GetCurrentStateAsync(r.RoomId);
        string? StateValue(string type, string key) =>
            state.FirstOrDefault(e => e.Type == type && e.StateKey == "") is { } e
            && Client.RoomHistory.Content(e)?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var o = new JsonObject
        {
            ["id"] = r.Id,
            ["received_ts"] = r.ReceivedTs,
            ["room_id"] = r.RoomId,
            ["name"] = StateValue("m.room.name", "name"),
            ["event_id"] = r.EventId,
            ["user_id"] = r.UserId,
            ["reason"] = r.Reason,
            ["score"] = r.Score,
            ["sender"] = r.Sender,
            ["canonical_alias"] = StateValue("m.room.canonical_alias", "alias"),
        };
        if (withEvent)
            o["event_json"] = (await db.Events.GetEventAsync(r.EventId)) is { } e ? JsonNode.Parse(e.Json) : null;
        return o;
    }
}
