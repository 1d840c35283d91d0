using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>spec: client-server API "Redactions" — rooms v9 rules (used by v10) and v11 "updated redaction rules".</summary>
public static class Redaction
{
    private static readonly HashSet<string> TopLevelKeysV10 =
    [
        "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
        "prev_events", "prev_state", "auth_events", "origin", "origin_server_ts", "membership",
    ];

    // spec: rooms v11 — origin, membership and prev_state are no longer protected.
    private static readonly HashSet<string> TopLevelKeysV11 =
    [
        "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
        "prev_events", "auth_events", "origin_server_ts",
    ];

    /// <summary>Returns a redacted deep copy; the input is left untouched.</summary>
    public static JsonObject Redact(JsonObject eventJson, RoomVersion v)
    {
        ArgumentNullException.ThrowIfNull(eventJson);
        ArgumentNullException.ThrowIfNull(v);
        var keep = v.UpdatedRedactionRules ? TopLevelKeysV11 : TopLevelKeysV10;
        var result = new JsonObject();
        foreach (var (key, value) in eventJson)
        {
            if (keep.Contains(key) && key != "content")
            {
                result[key] = value?.DeepClone();
            }
        }

        string? type = eventJson["type"] is JsonValue t && t.TryGetValue(out string? ts) ? ts : null;
        var content = eventJson["content"] as JsonObject;
        if (eventJson.ContainsKey("content"))
        {
            result["content"] = content is null ? new JsonObject() : RedactContent(type, content, v);
        }

        return result;
    }

    /// <summary>
    /// spec: rooms v3+ "Handling redactions": an accepted redaction is applied only when its sender has
    /// the redact level or is on the same server as the original event's sender.
    /// </summary>
    public static bool ShouldApply(PowerLevels powerLevels, string redactionSender, string originalSender)
    {
        ArgumentNullException.ThrowIfNull(powerLevels);
        return powerLevels.UserLevel(redactionSender) >= powerLevels.Redact
            || (MatrixIds.ServerOf(redactionSender) is { } server && server == MatrixIds.ServerOf(originalSender));
    }

    private static JsonObject RedactContent(string? type, JsonObject content, RoomVersion v)
    {
        var kept = new JsonObject();
        void Keep(params string[] keys)
        {
            foreach (var k in keys)
            {
                if (content.TryGetPropertyValue(k, out var node))
                {
                    kept[k] = node?.DeepClone();
                }
            }
        }

        switch (type)
        {
            case "m.room.member":
                Keep("membership", "join_authorised_via_users_server");
                // spec: rooms v11 — third_party_invite survives, holding only its "signed" key.
                if (v.UpdatedRedactionRules && content["third_party_invite"] is JsonObject tpi
                    && tpi.TryGetPropertyValue("signed", out var signed))
                {
                    kept["third_party_invite"] = new JsonObject { ["signed"] = signed?.DeepClone() };
                }

                break;
            case "m.room.create":
                if (v.UpdatedRedactionRules)
                {
                    return (JsonObject)content.DeepClone();
                }

                Keep("creator");
                break;
            case "m.room.join_rules":
                Keep("join_rule", "allow");
                break;
            case "m.room.power_levels":
                Keep("ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default");
                if (v.UpdatedRedactionRules)
                {
                    Keep("invite");
                }

                break;
            case "m.room.history_visibility":
                Keep("history_visibility");
                break;
            case "m.room.redaction":
                if (v.UpdatedRedactionRules)
                {
                    Keep("redacts");
                }

                break;
        }

        return kept;
    }
}
