using System.Text.Json.Nodes;

namespace Myelin.LoadTest.Scenarios;

/// <summary>Inline /sync filters (spec: the `filter` query parameter may be a JSON object) that keep responses small.</summary>
public static class SyncFilters
{
    /// <summary>Room messages only; nothing else the harness does not read.</summary>
    public static string Messages(int timelineLimit) => Build(timelineLimit, ["m.room.message"], ephemeralTypes: null);

    /// <summary>Typing and receipts plus the newest messages, for the ephemeral scenario.</summary>
    public static string Ephemeral(int timelineLimit) => Build(timelineLimit, ["m.room.message"], ephemeralTypes: ["m.typing", "m.receipt"]);

    /// <summary>The filter given to GET /messages when a limited timeline is backfilled.</summary>
    public const string MessagesOnlyRoomEventFilter = """{"types":["m.room.message"]}""";

    private static string Build(int timelineLimit, string[] timelineTypes, string[]? ephemeralTypes)
    {
        static JsonObject None() => new() { ["not_types"] = new JsonArray("*") };
        static JsonArray Arr(string[] xs) => new(xs.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray());

        var filter = new JsonObject
        {
            ["presence"] = None(),
            ["account_data"] = None(),
            ["room"] = new JsonObject
            {
                ["timeline"] = new JsonObject { ["limit"] = timelineLimit, ["types"] = Arr(timelineTypes) },
                ["state"] = new JsonObject { ["lazy_load_members"] = true, ["not_types"] = new JsonArray("*") },
                ["ephemeral"] = ephemeralTypes is null ? None() : new JsonObject { ["types"] = Arr(ephemeralTypes) },
                ["account_data"] = None(),
            },
        };
        return filter.ToJsonString();
    }
}
