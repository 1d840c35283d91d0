using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>spec: client-server API "Push Rules" — "Predefined Rules".</summary>
public static class DefaultPushRules
{
    public static JsonObject Ruleset(string userId) => new()
    {
        ["global"] = new JsonObject
        {
            ["override"] = new JsonArray(),
            ["content"] = new JsonArray(),
            ["room"] = new JsonArray(),
            ["sender"] = new JsonArray(),
            ["underride"] = new JsonArray(),
        },
    };
}
