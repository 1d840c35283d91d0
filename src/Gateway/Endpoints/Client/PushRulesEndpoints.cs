using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// Reading push rules. Every user has the server-default ruleset for now; PUT and DELETE are left to the
/// fallback (404 M_UNRECOGNIZED) until rules can be edited.
/// </summary>
public static class PushRulesEndpoints
{
    const string TrailingSlashError = "Unrecognised request: You probably wanted a trailing slash";

    public static void MapPushRules(this RouteGroupBuilder g)
    {
        // The catch-all also matches `/pushrules` itself; the handler tells the forms apart.
        g.MapGet("/pushrules/{**path}", (Delegate)GetPushRules);
    }

    /// <summary>
    /// `GET /_matrix/client/v3/pushrules/`, `.../pushrules/global/`, `.../pushrules/global/{kind}/`,
    /// `.../pushrules/global/{kind}/{ruleId}` and `.../pushrules/global/{kind}/{ruleId}/{attr}`
    /// </summary>
    static async Task<IResult> GetPushRules(HttpContext ctx)
    {
        var me = await ctx.AuthAsync();
        var ruleset = DefaultPushRules.Ruleset(me.UserId);
        return JsonBody.Json(Select(ruleset, PathAfterPushRules(ctx.Request.Path.Value ?? "")));
    }

    /// <summary>
    /// Walks the ruleset down the path segments as Synapse does: a missing trailing slash on a
    /// collection, an unknown scope, kind or attribute are 400 M_UNRECOGNIZED; an unknown rule is 404.
    /// </summary>
    static JsonNode Select(JsonObject ruleset, string rest)
    {
        // `/pushrules` and `/pushrules/` both name the whole ruleset.
        if (rest.Length <= 1) return ruleset;
        var parts = rest[1..].Split('/').Select(RoomAccess.DecodeSlashes).ToArray();
        if (parts[0] != "global") throw Unrecognized();
        if (parts.Length == 1) throw Unrecognized(TrailingSlashError);
        var global = (JsonObject)ruleset["global"]!;
        if (parts[1].Length == 0) return global;

        if (global[parts[1]] is not JsonArray rules) throw Unrecognized();
        if (parts.Length == 2) throw Unrecognized(TrailingSlashError);
        if (parts[2].Length == 0) return rules;

        var rule = rules.OfType<JsonObject>().LastOrDefault(r => (string?)r["rule_id"] == parts[2])
            ?? throw MatrixException.NotFound("Unknown rule");
        if (parts.Length == 3) return rule;
        var attr = parts[3];
        if (!rule.TryGetPropertyValue(attr, out var value)) throw Unrecognized();
        // An attribute is answered wrapped in an object: its value may be a bare JSON value.
        return new JsonObject { [attr] = value?.DeepClone() };
    }

    static string PathAfterPushRules(string path)
    {
        const string marker = "/pushrules";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? "" : path[(at + marker.Length)..];
    }

    static MatrixException Unrecognized(string error = "Unrecognized request") => new(400, "M_UNRECOGNIZED", error);
}
