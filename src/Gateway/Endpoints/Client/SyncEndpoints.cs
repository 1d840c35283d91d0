using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class SyncEndpoints
{
    static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public static void MapSync(this RouteGroupBuilder g)
    {
        g.MapGet("/sync", Sync);
    }

    /// <summary>`GET /_matrix/client/v3/sync`</summary>
    static async Task<IResult> Sync(HttpContext ctx, IGrainFactory grains, MyelinDatabase db, SyncNotifier notifier,
        UserActivity activity, LastSyncs lastSyncs)
    {
        var me = await ctx.AuthAsync();
        var q = ctx.Request.Query;
        var filterJson = await ResolveFilterAsync(q["filter"].ToString(), me.UserId, db);
        var since = q["since"].ToString() is { Length: > 0 } s ? s : null;
        var fullState = ParseBool(q["full_state"].ToString(), "full_state");
        var timeout = ParseTimeout(q["timeout"].ToString());
        var setPresence = q["set_presence"].ToString();
        if (setPresence is not ("" or "online" or "offline" or "unavailable"))
            throw MatrixException.InvalidParam("'set_presence' must be online, offline or unavailable");
        SyncToken sinceToken = default;
        if (since is not null && !SyncToken.TryParse(since, out sinceToken))
            throw MatrixException.InvalidParam("Invalid 'since' token");
        await activity.SyncingAsync(me, setPresence, timeout);

        var deadline = DateTime.UtcNow + timeout;
        var grain = grains.Sync(me.UserId);
        var request = new SyncRequest(me.DeviceId, since, filterJson, fullState);
        // An incremental sync with a timeout waits when nothing is new; anything else answers at once.
        var longPoll = since is not null && !fullState && timeout > TimeSpan.Zero;
        if (longPoll && lastSyncs.WatchedRooms(me, since!, filterJson) is { } rooms)
            await notifier.WaitAsync(me.UserId, rooms, sinceToken, Remaining(deadline), ctx.RequestAborted);
        while (true)
        {
            // Past the deadline, this read is the last and answers whatever it finds.
            var waiting = longPoll && DateTime.UtcNow < deadline;
            var result = await grain.Sync(request with { OmitBodyWithoutUpdates = waiting });
            if (result.HasUpdates || !waiting)
            {
                lastSyncs.Remember(me, filterJson, result);
                return JsonBody.Utf8(result.Body!);
            }
            SyncToken.TryParse(result.NextBatch, out var seen);
            await notifier.WaitAsync(me.UserId, result.WatchedRooms, seen, Remaining(deadline), ctx.RequestAborted);
            request = request with { Since = result.NextBatch };
        }
    }

    static TimeSpan Remaining(DateTime deadline) =>
        deadline > DateTime.UtcNow ? deadline - DateTime.UtcNow : TimeSpan.Zero;

    // Clients repeat the same filter on every long-poll, and filters never change once stored: a resolved
    // filter is kept (bounded) so a /sync does not parse or read it again.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(string UserId, string Filter), string> ResolvedFilters = new();
    const int MaxResolvedFilters = 10_000;

    /// <summary>A filter ID of the user's, or inline JSON (spec: detected by a leading '{').</summary>
    public static async Task<string?> ResolveFilterAsync(string filter, string userId, MyelinDatabase db)
    {
        if (filter.Length == 0) return null;
        var key = (filter.StartsWith('{') ? "" : userId, filter);
        if (ResolvedFilters.TryGetValue(key, out var known)) return known;
        JsonObject obj;
        if (filter.StartsWith('{'))
        {
            try { obj = JsonNode.Parse(filter) as JsonObject ?? throw MatrixException.BadJson("Filter must be a JSON object"); }
            catch (JsonException) { throw new MatrixException(400, "M_NOT_JSON", "Filter is not valid JSON"); }
        }
        else
        {
            if (!long.TryParse(filter, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                throw MatrixException.InvalidParam("Invalid filter ID");
            var stored = await db.Filters.GetFilterAsync(userId, id) ?? throw MatrixException.NotFound("No such filter");
            obj = JsonNode.Parse(stored)!.AsObject();
        }
        try { SyncFilter.Parse(obj); }
        catch (FilterFormatException e) { throw MatrixException.BadJson(e.Message); }
        var resolved = obj.ToJsonString();
        if (ResolvedFilters.Count >= MaxResolvedFilters) ResolvedFilters.Clear();
        ResolvedFilters[key] = resolved;
        return resolved;
    }

    static bool ParseBool(string v, string name) => v switch
    {
        "" or "false" => false,
        "true" => true,
        _ => throw MatrixException.InvalidParam($"'{name}' must be true or false"),
    };

    static TimeSpan ParseTimeout(string v)
    {
        if (v.Length == 0) return TimeSpan.Zero;
        if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            throw MatrixException.InvalidParam("'timeout' must be a non-negative integer");
        return TimeSpan.FromMilliseconds(Math.Min(ms, (long)MaxTimeout.TotalMilliseconds));
    }
}
