using System.Globalization;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// The events the user was notified about (spec: "Push Notifications" — listing notifications), read from
/// the push actions persisted with each event.
/// </summary>
public static class NotificationsEndpoints
{
    // Synapse's default and cap.
    const int DefaultLimit = 50;
    const int MaxLimit = 500;

    public static void MapNotifications(this RouteGroupBuilder g) => g.MapGet("/notifications", GetNotifications);

    /// <summary>`GET /_matrix/client/v3/notifications` (from, limit, only=highlight): newest first; next_token
    /// is the stream position to continue below, absent when there is no more.</summary>
    static async Task<IResult> GetNotifications(HttpContext ctx, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        long? from = null;
        if (q["from"].ToString() is { Length: > 0 } token)
        {
            if (!long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var position))
                throw MatrixException.InvalidParam("'from' is not a token this endpoint gave");
            from = position;
        }
        var limit = RoomHistory.ParseLimit(q["limit"].ToString(), DefaultLimit, MaxLimit);
        var rows = await db.PushActions.GetNotificationsAsync(me.UserId, from, limit, onlyHighlight: q["only"].ToString() == "highlight");

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var notifications = new JsonArray();
        foreach (var n in rows)
        {
            notifications.Add(new JsonObject
            {
                ["actions"] = JsonNode.Parse(n.ActionsJson),
                ["event"] = RawClientEvents.Format(n.Event, me.UserId, me.DeviceId, now, includeRoomId: false),
                ["read"] = n.Read,
                ["room_id"] = n.Event.RoomId,
                ["ts"] = n.Event.OriginServerTs,
            });
        }
        var body = new JsonObject { ["notifications"] = notifications };
        if (limit > 0 && rows.Count == limit)
            body["next_token"] = rows[^1].Event.StreamOrdering.ToString(CultureInfo.InvariantCulture);
        return JsonBody.Json(body);
    }
}
