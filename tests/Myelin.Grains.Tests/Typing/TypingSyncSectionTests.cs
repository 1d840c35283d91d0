using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Grains.Typing;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Typing;

public sealed class TypingSyncSectionTests
{
    readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000));
    readonly TypingCache _cache;
    readonly TypingSyncSection _section;

    public TypingSyncSectionTests()
    {
        _cache = new TypingCache(new InMemoryReplicationBus(), _time);
        _section = new TypingSyncSection(_cache);
    }

    void Typing(string roomId, params string[] users)
    {
        _cache.OnRow("master", 1, new TypingStreamRow(roomId, [.. users]).ToJson());
        _time.Advance(TimeSpan.FromMilliseconds(1));
    }

    async Task<SyncSectionContext> SyncAsync(long? since, long upTo, string[] joined, string[]? inFull = null, SyncFilter? filter = null)
    {
        var ctx = new SyncSectionContext("@me:x", "D", filter ?? SyncFilter.Default,
            since is { } s ? new SyncToken(1, Typing: s) : null, new SyncToken(1, Typing: upTo), false,
            joined, (inFull ?? []).ToHashSet());
        await _section.AddToAsync(ctx);
        return ctx;
    }

    static string[] TypingIn(SyncSectionContext ctx, string roomId)
    {
        // Events are shared between responses as pre-serialized JSON: read back as a client would.
        var ev = JsonNode.Parse(Assert.Single(ctx.Ephemeral[roomId]).ToJsonString())!;
        Assert.Equal("m.typing", (string?)ev!["type"]);
        return ev["content"]!["user_ids"]!.AsArray().Select(u => (string)u!).ToArray();
    }

    [Fact]
    public async Task Incremental_ChangeBetweenTheTokens_SentWithTheList()
    {
        var before = _cache.Position;
        Typing("!a:x", "@u:x");
        var ctx = await SyncAsync(before, _cache.Position, ["!a:x"]);
        Assert.Equal(["@u:x"], TypingIn(ctx, "!a:x"));
        Assert.True(ctx.HasUpdates);
    }

    [Fact]
    public async Task Incremental_EveryoneStopped_SentAsAnEmptyList()
    {
        Typing("!a:x", "@u:x");
        var before = _cache.Position;
        Typing("!a:x");
        var ctx = await SyncAsync(before, _cache.Position, ["!a:x"]);
        Assert.Empty(TypingIn(ctx, "!a:x"));
    }

    [Fact]
    public async Task Incremental_ChangeBeforeSinceOrAfterUpTo_NotSent()
    {
        Typing("!a:x", "@u:x");
        var since = _cache.Position;
        var upTo = _cache.Position;
        Typing("!b:x", "@u:x");
        var ctx = await SyncAsync(since, upTo, ["!a:x", "!b:x"]);
        Assert.False(ctx.HasUpdates);
    }

    [Fact]
    public async Task Incremental_RoomNotJoined_NotSent()
    {
        var before = _cache.Position;
        Typing("!a:x", "@u:x");
        var ctx = await SyncAsync(before, _cache.Position, ["!other:x"]);
        Assert.False(ctx.HasUpdates);
    }

    [Fact]
    public async Task Initial_CurrentListOnlyWhereSomeoneTypes()
    {
        Typing("!a:x", "@u:x", "@v:x");
        Typing("!b:x", "@u:x");
        Typing("!b:x");
        var ctx = await SyncAsync(null, _cache.Position, ["!a:x", "!b:x"]);
        Assert.Equal(["@u:x", "@v:x"], TypingIn(ctx, "!a:x"));
        Assert.False(ctx.Ephemeral.ContainsKey("!b:x"));
    }

    [Fact]
    public async Task RoomInFull_CurrentListEvenIfChangedBeforeSince()
    {
        Typing("!a:x", "@u:x");
        var since = _cache.Position;
        var ctx = await SyncAsync(since, since, ["!a:x"], inFull: ["!a:x"]);
        Assert.Equal(["@u:x"], TypingIn(ctx, "!a:x"));
    }

    [Fact]
    public async Task FilterExcludingTyping_NotSent()
    {
        var before = _cache.Position;
        Typing("!a:x", "@u:x");
        var filter = SyncFilter.Parse(JsonNode.Parse("""{"room":{"ephemeral":{"not_types":["m.typing"]}}}""")!.AsObject());
        var ctx = await SyncAsync(before, _cache.Position, ["!a:x"], filter: filter);
        Assert.False(ctx.HasUpdates);
    }
}
