using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Myelin.Grains.Streams;

/// <summary>
/// Synapse's <c>caches</c> stream: a process that changed something other processes keep in memory tells
/// them to drop it. A row is <c>{"cache_func": name, "keys": [...], "invalidation_ts": ms}</c>, delivered to
/// this process at once and to every other one over the wire (<see cref="StreamFanout"/>). The purges of
/// the admin API drop events from <see cref="RecentEventsCache"/>; other caches register handlers
/// (<see cref="On"/>), e.g. the gateway's access-token cache when a user is deactivated.
/// </summary>
public sealed class CachesStream(RecentEventsCache recent) : IStreamRowConsumer
{
    public const string Name = "caches";

    /// <summary>keys: [room_id, stream_ordering]: the room's events below the position left every timeline.</summary>
    public const string PurgeRoomEvents = "purge_room_events";

    /// <summary>keys: [user_id]: every access token of the user is gone.</summary>
    public const string UserTokens = "user_tokens";

    readonly ConcurrentDictionary<string, Action<IReadOnlyList<string>>> _handlers = new();

    public string Stream => Name;

    /// <summary>Runs <paramref name="handler"/> for every row of <paramref name="cacheFunc"/>, from any process.</summary>
    public void On(string cacheFunc, Action<IReadOnlyList<string>> handler) =>
        _handlers.AddOrUpdate(cacheFunc, handler, (_, existing) => existing + handler);

    public void OnRow(string instance, long token, string rowJson)
    {
        if (JsonNode.Parse(rowJson) is not JsonObject row || row["cache_func"] is not JsonValue f || !f.TryGetValue<string>(out var func))
            return;
        var keys = (row["keys"] as JsonArray)?.Select(k => k is JsonValue v && v.TryGetValue<string>(out var s) ? s : "").ToList() ?? [];
        if (func == PurgeRoomEvents && keys.Count == 2 && long.TryParse(keys[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var before))
            recent.Purge(keys[0], before);
        if (_handlers.TryGetValue(func, out var handler)) handler(keys);
    }

    /// <summary>Tells every process (this one first) to drop what <paramref name="cacheFunc"/> caches under the keys.</summary>
    public static Task InvalidateAsync(StreamFanout fanout, string cacheFunc, params string[] keys)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var row = new JsonObject
        {
            ["cache_func"] = cacheFunc,
            ["keys"] = new JsonArray(keys.Select(k => (JsonNode)k!).ToArray()),
            ["invalidation_ts"] = now,
        };
        return fanout.PublishAsync(Name, now, row.ToJsonString());
    }
}
