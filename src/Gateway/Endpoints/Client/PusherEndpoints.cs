using System.Text;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Silo.WorkerApps.Pusher;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// Pushers (spec: "Push notifications", Synapse's rest/client/pusher.py): a client registers where its push
/// gateway is; the pusher worker app sends the user's notifications there. A pusher is tied to the device that
/// set it and goes when that device is deleted or logged out.
/// </summary>
public static class PusherEndpoints
{
    /// <summary>spec: app_id is at most 64 characters, pushkey at most 512 bytes.</summary>
    const int MaxAppIdLength = 64;
    const int MaxPushkeyBytes = 512;

    /// <summary>The path every push gateway URL must have (spec; Synapse checks it).</summary>
    public const string NotifyPath = "/_matrix/push/v1/notify";

    /// <summary>What POST /pushers/set requires beside a null kind, in Synapse's order (its error lists them so).</summary>
    static readonly string[] Required = ["kind", "app_id", "app_display_name", "device_display_name", "pushkey", "lang", "data"];

    public static void MapPushers(this RouteGroupBuilder g)
    {
        g.MapGet("/pushers", GetPushers).WithSummary("Gets the current pushers for the authenticated user");
        g.MapPost("/pushers/set", SetPusher).WithSummary("Modify a pusher for this user on the homeserver.");
    }

    /// <summary>`GET /_matrix/client/v3/pushers`</summary>
    static async Task<IResult> GetPushers(HttpContext ctx, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var pushers = await db.Pushers.GetForUserAsync(me.UserId);
        return JsonBody.Json(new JsonObject { ["pushers"] = new JsonArray(pushers.Select(p => (JsonNode)PusherJson(p)).ToArray()) });
    }

    /// <summary>The pusher as Synapse lists it.</summary>
    static JsonObject PusherJson(Pusher p) => new()
    {
        ["app_display_name"] = p.AppDisplayName,
        ["app_id"] = p.AppId,
        ["data"] = JsonNode.Parse(p.DataJson),
        ["device_display_name"] = p.DeviceDisplayName,
        ["kind"] = p.Kind,
        ["lang"] = p.Lang,
        ["profile_tag"] = p.ProfileTag,
        ["pushkey"] = p.Pushkey,
    };

    /// <summary>`POST /_matrix/client/v3/pushers/set`</summary>
    static async Task<IResult> SetPusher(HttpContext ctx, MyelinDatabase db, IReplicationBus bus, StreamFanout fanout, TimeProvider time)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);

        // spec: a null kind deletes the pusher with this app_id and pushkey.
        if (body.ContainsKey("pushkey") && body.ContainsKey("app_id") && body.ContainsKey("kind") && body["kind"] is null)
        {
            var (appId, pushkey) = (Str(body, "app_id"), Str(body, "pushkey"));
            if (await db.Pushers.DeleteAsync(me.UserId, appId, pushkey))
                await AnnounceAsync(db, fanout, new PushersStreamRow(me.UserId, appId, pushkey, Deleted: true));
            return JsonBody.Empty();
        }

        // Present, even as null, is enough here (Synapse); types are checked after.
        var missing = Required.Where(k => !body.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw MatrixException.MissingParam($"Missing params: [{string.Join(", ", missing.Select(m => $"'{m}'"))}]");

        var kind = Str(body, "kind");
        var pusher = new Pusher(
            UserId: me.UserId,
            AppId: Str(body, "app_id"),
            Pushkey: Str(body, "pushkey"),
            Kind: kind,
            AppDisplayName: Str(body, "app_display_name"),
            DeviceDisplayName: Str(body, "device_display_name"),
            ProfileTag: OptStr(body, "profile_tag") ?? "",
            Lang: OptStr(body, "lang"),
            DataJson: "{}",
            PushkeyTs: time.GetUtcNow().ToUnixTimeMilliseconds(),
            DeviceId: me.DeviceId,
            LastStreamOrdering: 0,
            LastSuccess: null,
            FailingSince: null);
        if (pusher.AppId.Length > MaxAppIdLength)
            throw MatrixException.InvalidParam($"'app_id' must be at most {MaxAppIdLength} characters");
        if (Encoding.UTF8.GetByteCount(pusher.Pushkey) > MaxPushkeyBytes)
            throw MatrixException.InvalidParam($"'pushkey' must be at most {MaxPushkeyBytes} bytes");
        var append = body["append"] switch
        {
            null => false,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            _ => throw MatrixException.InvalidParam("'append' must be a boolean"),
        };

        var data = body["data"] switch
        {
            null => null,
            JsonObject o => o,
            _ => throw MatrixException.InvalidParam("'data' must be an object"),
        };
        // Synapse: an email pusher needs the address to be one of the user's verified 3PIDs; there are none here.
        if (kind == "email") throw new MatrixException(400, "M_THREEPID_NOT_FOUND", "Email not found");
        if (kind == "http") CheckHttpData(data);

        // spec: unless appending, the same app_id and pushkey of other users go.
        if (!append)
            foreach (var other in await db.Pushers.DeleteForOtherUsersAsync(pusher.AppId, pusher.Pushkey, me.UserId))
                await AnnounceAsync(db, fanout, new PushersStreamRow(other, pusher.AppId, pusher.Pushkey, Deleted: true));

        // It pushes what comes from now on (Synapse: the current maximum stream ordering).
        await db.Pushers.UpsertAsync(pusher with
        {
            DataJson = (data ?? []).ToJsonString(),
            LastStreamOrdering = bus.Position(StreamNames.Events),
        });
        await AnnounceAsync(db, fanout, new PushersStreamRow(me.UserId, pusher.AppId, pusher.Pushkey, Deleted: false));
        return JsonBody.Empty();
    }

    /// <summary>Synapse's HttpPusher checks, answered 400 M_MISSING_PARAM "Config Error: ..." as it does; beyond
    /// Synapse, the URL must be an absolute http(s) URL (nothing else can be sent to).</summary>
    static void CheckHttpData(JsonObject? data)
    {
        static MatrixException ConfigError(string problem) => MatrixException.MissingParam("Config Error: " + problem);
        if (data is null) throw ConfigError("'data' key can not be null for HTTP pusher");
        if (!data.ContainsKey("url")) throw ConfigError("'url' required in data for HTTP pusher");
        if (data["url"] is not JsonValue v || !v.TryGetValue<string>(out var url)) throw ConfigError("'url' must be a string");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw ConfigError("'url' must be an http or https URL");
        if (uri.AbsolutePath != NotifyPath) throw ConfigError($"'url' must have a path of '{NotifyPath}'");
    }

    /// <summary>Tells the pusher instances (on whatever process) that the user's pushers changed.</summary>
    static async Task AnnounceAsync(MyelinDatabase db, StreamFanout fanout, PushersStreamRow row) =>
        await fanout.PublishAsync(StreamNames.Pushers, await db.StreamIds.NextAsync(StreamNames.Pushers), row.ToJson());

    static string Str(JsonObject o, string key) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw MatrixException.InvalidParam($"'{key}' must be a string");

    static string? OptStr(JsonObject o, string key) => o[key] is null ? null : Str(o, key);
}
