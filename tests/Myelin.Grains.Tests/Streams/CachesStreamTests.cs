using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Streams;

public sealed class CachesStreamTests
{
    static StoredEvent Event(string room, long position) =>
        new(position, $"$e{position}", room, "m.room.message", null, "@a:localhost", position, 0, "{}", null);

    [Fact]
    public void OnRow_PurgeRoomEvents_CacheStopsServingTheRoomsEventsBelowThePoint()
    {
        var cache = new RecentEventsCache();
        cache.StartAt(0);
        cache.Add([Event("!a:x", 1), Event("!b:x", 2), Event("!a:x", 3), Event("!a:x", 4)]);
        var caches = new CachesStream(cache);

        caches.OnRow("master", 1, """{"cache_func":"purge_room_events","keys":["!a:x","4"],"invalidation_ts":1}""");

        Assert.True(cache.TryGetRange(new HashSet<string> { "!a:x", "!b:x" }, 0, 10, out var events));
        Assert.Equal([2L, 4L], events.Select(e => e.StreamOrdering));
    }

    [Fact]
    public void OnRow_RegisteredFunction_HandlerGetsKeys_OthersAndMalformedRowsIgnored()
    {
        var caches = new CachesStream(new RecentEventsCache());
        var seen = new List<string>();
        caches.On(CachesStream.UserTokens, keys => seen.AddRange(keys));

        caches.OnRow("w1", 5, """{"cache_func":"user_tokens","keys":["@u:x"]}""");
        caches.OnRow("w1", 6, """{"cache_func":"something_else","keys":["@v:x"]}""");
        caches.OnRow("w1", 7, """[1,2,3]""");

        Assert.Equal(["@u:x"], seen);
    }
}
