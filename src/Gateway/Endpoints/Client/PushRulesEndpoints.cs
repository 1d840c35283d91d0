using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;
using Myelin.Matrix;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>
/// Push rules (spec: "Push Rules: API"): reading the ruleset, and adding, removing, enabling and changing
/// the actions of rules. The user's PushRulesGrain owns the set.
/// </summary>
public static class PushRulesEndpoints
{
    const string TrailingSlashError = "Unrecognised request: You probably wanted a trailing slash";

    public static void MapPushRules(this RouteGroupBuilder g)
    {
        // The catch-all also matches `/pushrules` itself; the handler tells the forms apart.
        g.MapGet("/pushrules/{**path}", GetPushRules)
            .WithSummary("Retrieve all push rules, a scope's rules, one rule, or a rule's enabled flag or actions.");
        g.MapPut("/pushrules/{**path}", PutPushRule)
            .WithSummary("Add or change a push rule, or set a rule's enabled flag or actions.");
        g.MapDelete("/pushrules/{**path}", DeletePushRule).WithSummary("Delete a push rule.");
    }

    /// <summary>
    /// `GET /_matrix/client/v3/pushrules/`, `.../pushrules/global/`, `.../pushrules/global/{kind}/`,
    /// `.../pushrules/global/{kind}/{ruleId}` and `.../pushrules/global/{kind}/{ruleId}/{attr}`
    /// </summary>
    static async Task<IResult> GetPushRules(HttpContext ctx, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var ruleset = JsonNode.Parse(await grains.PushRules(me.UserId).Get())!.AsObject();
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

    /// <summary>
    /// `PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}` (with `before`/`after`), and
    /// `.../{ruleId}/enabled`, `.../{ruleId}/actions`
    /// </summary>
    static async Task<IResult> PutPushRule(HttpContext ctx, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var (kind, ruleId, attr) = RuleAddress(ctx);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var op = attr switch
        {
            null => "put",
            "enabled" => "enabled",
            "actions" => "actions",
            _ => throw Unrecognized(),
        };
        var q = ctx.Request.Query;
        string? Param(string name) => q[name].ToString() is { Length: > 0 } v ? v : null;
        await grains.PushRules(me.UserId).Change(new PushRuleChange(op, kind, ruleId, body.ToJsonString(), Param("before"), Param("after")));
        return JsonBody.Empty();
    }

    /// <summary>`DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}`</summary>
    static async Task<IResult> DeletePushRule(HttpContext ctx, IGrainFactory grains)
    {
        var me = await ctx.AuthAsync();
        var (kind, ruleId, attr) = RuleAddress(ctx);
        if (attr is not null) throw Unrecognized();
        await grains.PushRules(me.UserId).Change(new PushRuleChange("delete", kind, ruleId));
        return JsonBody.Empty();
    }

    /// <summary>The (kind, ruleId, attribute) a write addresses: `global/{kind}/{ruleId}[/{attr}]`.</summary>
    static (string Kind, string RuleId, string? Attr) RuleAddress(HttpContext ctx)
    {
        var rest = PathAfterPushRules(ctx.Request.Path.Value ?? "");
        var parts = rest.TrimStart('/').Split('/').Select(RoomAccess.DecodeSlashes).ToArray();
        if (parts.Length is < 3 or > 4 || parts[0] != "global" || parts[2].Length == 0) throw Unrecognized();
        if (!PushRuleSet.Kinds.Contains(parts[1])) throw Unrecognized($"Unknown push rule kind {parts[1]}");
        return (parts[1], parts[2], parts.Length == 4 ? parts[3] : null);
    }

    static string PathAfterPushRules(string path)
    {
        const string marker = "/pushrules";
        var at = path.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? "" : path[(at + marker.Length)..];
    }

    static MatrixException Unrecognized(string error = "Unrecognized request") => new(400, "M_UNRECOGNIZED", error);
}
