using System.Globalization;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class FilterEndpoints
{
    /// <summary>Synapse's default <c>filter_timeline_limit</c>: stored filters ask for at most this many events.</summary>
    const long TimelineLimitCap = 100;

    public static void MapFilter(this RouteGroupBuilder g)
    {
        g.MapPost("/user/{userId}/filter", CreateFilter);
        g.MapGet("/user/{userId}/filter/{filterId}", GetFilter);
    }

    /// <summary>`POST /_matrix/client/v3/user/{userId}/filter`</summary>
    static async Task<IResult> CreateFilter(HttpContext ctx, string userId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        if (userId != me.UserId) throw MatrixException.Forbidden("Cannot create filters for other users");
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        try
        {
            SyncFilter.Parse(body);
        }
        catch (FilterFormatException e)
        {
            throw MatrixException.BadJson(e.Message);
        }
        CapTimelineLimit(body);
        var id = await db.Filters.AddFilterAsync(me.UserId, body.ToJsonString());
        return JsonBody.Json(new JsonObject { ["filter_id"] = id.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>`GET /_matrix/client/v3/user/{userId}/filter/{filterId}`</summary>
    static async Task<IResult> GetFilter(HttpContext ctx, string userId, string filterId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        if (userId != me.UserId) throw MatrixException.Forbidden("Cannot get filters for other users");
        // Filter IDs are the decimal integers this server hands out; anything else names no filter.
        if (!long.TryParse(filterId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            throw MatrixException.NotFound("No such filter");
        var json = await db.Filters.GetFilterAsync(me.UserId, id) ?? throw MatrixException.NotFound("No such filter");
        return Results.Text(json, "application/json", System.Text.Encoding.UTF8, 200);
    }

    /// <summary>As Synapse stores filters: <c>room.timeline.limit</c> no higher than the cap.</summary>
    static void CapTimelineLimit(JsonObject filter)
    {
        if (filter["room"] is JsonObject room && room["timeline"] is JsonObject timeline
            && PowerLevels.AsInteger(timeline["limit"]) is > TimelineLimitCap)
            timeline["limit"] = TimelineLimitCap;
    }
}
