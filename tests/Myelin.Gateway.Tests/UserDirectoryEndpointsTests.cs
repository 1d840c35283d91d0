using System.Diagnostics;
using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class UserDirectoryEndpointsTests(GatewayFixture fx)
{
    const string SearchPath = "/_matrix/client/v3/user_directory/search";

    /// <summary>A word no other test's users carry, so searches see only this test's users.</summary>
    static string NewTag() => "t" + Guid.NewGuid().ToString("N")[..10];

    static async Task<MatrixClient> NewUserAsync(GatewayFixture fx, string displayName)
    {
        var c = await fx.NewClient().RegisterAsync();
        var r = await c.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(c.UserId)}/displayname", new { displayname = displayName });
        Assert.Equal(200, r.Status);
        return c;
    }

    internal static async Task<JsonObject> SearchAsync(MatrixClient c, string term, int? limit = null)
    {
        var r = limit is null
            ? await c.PostAsync(SearchPath, new { search_term = term })
            : await c.PostAsync(SearchPath, new { search_term = term, limit });
        Assert.True(r.Status == 200, r.Raw);
        return r.Json;
    }

    internal static List<string> UserIds(JsonObject result) =>
        result["results"]!.AsArray().Select(u => (string)u!["user_id"]!).ToList();

    /// <summary>Searches until <paramref name="ok"/> holds: the directory follows the events stream, so a
    /// change shows within moments, not at once.</summary>
    internal static async Task<JsonObject> SearchUntilAsync(MatrixClient c, string term, Func<JsonObject, bool> ok, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await SearchAsync(c, term);
            if (ok(result)) return result;
            if (clock.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"{what}: not seen within 15 s; last result {result.ToJsonString()}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Search_UserJoinsASharedPrivateRoom_FoundWithinSeconds()
    {
        var tag = NewTag();
        using var alice = await NewUserAsync(fx, $"Alice {tag}");
        using var bob = await NewUserAsync(fx, $"Bob {tag}");
        Assert.Empty(UserIds(await SearchAsync(alice, tag)));

        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId } });
        await bob.JoinAsync(room);

        var found = await SearchUntilAsync(alice, "bob " + tag, r => UserIds(r).Contains(bob.UserId), "bob after joining alice's room");
        var entry = found["results"]!.AsArray().Single(u => (string)u!["user_id"]! == bob.UserId)!;
        Assert.Equal($"Bob {tag}", (string?)entry["display_name"]);
        Assert.False((bool)found["limited"]!);
        await SearchUntilAsync(bob, tag, r => UserIds(r).Contains(alice.UserId), "alice, seen by bob");

        // Bob leaves: they no longer share a room.
        Assert.Equal(200, (await bob.PostAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(room)}/leave")).Status);
        await SearchUntilAsync(alice, tag, r => !UserIds(r).Contains(bob.UserId), "bob gone after leaving");
    }

    [Fact]
    public async Task Search_SharingNothing_NotFound()
    {
        var tag = NewTag();
        using var alice = await NewUserAsync(fx, $"Alice {tag}");
        using var carol = await NewUserAsync(fx, $"Carol {tag}");
        await carol.CreateRoomAsync(); // a private room of her own

        // A room alice is in with someone else makes sure the directory has moved past carol's room.
        using var dave = await NewUserAsync(fx, $"Dave {tag}");
        var room = await alice.CreateRoomAsync(new { invite = new[] { dave.UserId } });
        await dave.JoinAsync(room);
        var result = await SearchUntilAsync(alice, tag, r => UserIds(r).Contains(dave.UserId), "dave");

        Assert.DoesNotContain(carol.UserId, UserIds(result));
        Assert.DoesNotContain(carol.UserId, UserIds(await SearchAsync(alice, "carol")));
    }

    [Fact]
    public async Task Search_MemberOfAPublicRoom_FoundByAnyone()
    {
        var tag = NewTag();
        using var host = await NewUserAsync(fx, $"Host {tag}");
        using var stranger = await NewUserAsync(fx, $"Stranger {tag}");
        await host.CreateRoomAsync(new { preset = "public_chat" });

        await SearchUntilAsync(stranger, "host " + tag, r => UserIds(r).SequenceEqual([host.UserId]), "the public room's member");
    }

    [Fact]
    public async Task Search_ProfileChange_Reflected()
    {
        var tag = NewTag();
        var newTag = NewTag();
        using var alice = await NewUserAsync(fx, $"Alice {tag}");
        using var bob = await NewUserAsync(fx, $"Bob {tag}");
        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId } });
        await bob.JoinAsync(room);
        await SearchUntilAsync(alice, tag, r => UserIds(r).Contains(bob.UserId), "bob");

        Assert.Equal(200, (await bob.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}/displayname",
            new { displayname = $"Robert {newTag}" })).Status);
        Assert.Equal(200, (await bob.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(bob.UserId)}/avatar_url",
            new { avatar_url = "mxc://localhost/robert" })).Status);

        var found = await SearchUntilAsync(alice, "robert " + newTag, r => UserIds(r).Contains(bob.UserId), "bob's new name");
        var entry = found["results"]![0]!;
        Assert.Equal($"Robert {newTag}", (string?)entry["display_name"]);
        Assert.Equal("mxc://localhost/robert", (string?)entry["avatar_url"]);
        Assert.Empty(UserIds(await SearchAsync(alice, "bob " + tag)));
    }

    [Fact]
    public async Task Search_MoreMatchesThanLimit_Limited()
    {
        var tag = NewTag();
        using var host = await NewUserAsync(fx, $"Host {tag}");
        var room = await host.CreateRoomAsync(new { preset = "public_chat" });
        var members = new List<MatrixClient>();
        for (var i = 0; i < 3; i++)
        {
            var m = await NewUserAsync(fx, $"Member {tag}");
            await m.JoinAsync(room);
            members.Add(m);
        }
        await SearchUntilAsync(host, "member " + tag, r => UserIds(r).Count == 3, "three members");

        var limited = await SearchAsync(host, "member " + tag, limit: 2);
        Assert.Equal(2, UserIds(limited).Count);
        Assert.True((bool)limited["limited"]!);
        var all = await SearchAsync(host, "member " + tag, limit: 3);
        Assert.Equal(3, UserIds(all).Count);
        Assert.False((bool)all["limited"]!);
        foreach (var m in members) m.Dispose();
    }

    [Fact]
    public async Task Search_BadInput_MatrixErrors()
    {
        using var alice = await fx.NewClient().RegisterAsync();

        var missing = await alice.PostAsync(SearchPath, new { limit = 3 });
        Assert.Equal((400, "M_MISSING_PARAM"), (missing.Status, missing.ErrCode));
        var wrongType = await alice.PostAsync(SearchPath, new { search_term = 42 });
        Assert.Equal((400, "M_BAD_JSON"), (wrongType.Status, wrongType.ErrCode));
        var badLimit = await alice.PostAsync(SearchPath, new { search_term = "a", limit = "ten" });
        Assert.Equal((400, "M_INVALID_PARAM"), (badLimit.Status, badLimit.ErrCode));
        var fractional = await alice.PostAsync(SearchPath, new { search_term = "a", limit = 2.5 });
        Assert.Equal((400, "M_INVALID_PARAM"), (fractional.Status, fractional.ErrCode));
        var notJson = await alice.SendAsync(HttpMethod.Post, SearchPath, rawBody: "{not json");
        Assert.Equal((400, "M_NOT_JSON"), (notJson.Status, notJson.ErrCode));
        var array = await alice.SendAsync(HttpMethod.Post, SearchPath, rawBody: "[]");
        Assert.Equal((400, "M_BAD_JSON"), (array.Status, array.ErrCode));

        using var anonymous = fx.NewClient();
        var noToken = await anonymous.PostAsync(SearchPath, new { search_term = "a" });
        Assert.Equal((401, "M_MISSING_TOKEN"), (noToken.Status, noToken.ErrCode));
    }

    [Fact]
    public async Task Search_NegativeOrHugeLimit_Clamped()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        var none = await SearchAsync(alice, "anything", limit: -5);
        Assert.Empty(UserIds(none));
        Assert.Equal(200, (await alice.PostAsync(SearchPath, new { search_term = "a", limit = 100000 })).Status);
    }
}

/// <summary>A gateway with <c>user_directory.search_all_users</c>: every local user is a candidate.</summary>
public sealed class UserDirectorySearchAllUsersTests : IAsyncLifetime
{
    GatewayProcess _gateway = null!;

    public async Task InitializeAsync() =>
        _gateway = await GatewayProcess.StartAsync("user_directory:\n  search_all_users: true");

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Search_SharingNothing_FoundAnywayButNotTheSearcher()
    {
        var tag = "t" + Guid.NewGuid().ToString("N")[..10];
        using var alice = await new MatrixClient(_gateway.BaseUrl).RegisterAsync();
        using var carol = await new MatrixClient(_gateway.BaseUrl).RegisterAsync();
        Assert.Equal(200, (await carol.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(carol.UserId)}/displayname",
            new { displayname = $"Carol {tag}" })).Status);
        Assert.Equal(200, (await alice.PutAsync($"/_matrix/client/v3/profile/{Uri.EscapeDataString(alice.UserId)}/displayname",
            new { displayname = $"Alice {tag}" })).Status);

        // Profiles are written with the directory entry: no wait.
        var result = await UserDirectoryEndpointsTests.SearchAsync(alice, tag);
        Assert.Equal([carol.UserId], UserDirectoryEndpointsTests.UserIds(result));
        var byLocalpart = await UserDirectoryEndpointsTests.SearchAsync(alice, carol.UserId);
        Assert.Equal([carol.UserId], UserDirectoryEndpointsTests.UserIds(byLocalpart));
    }
}

/// <summary>A gateway with <c>user_directory.enabled: false</c>: every search finds nothing.</summary>
public sealed class UserDirectoryDisabledTests : IAsyncLifetime
{
    GatewayProcess _gateway = null!;

    public async Task InitializeAsync() =>
        _gateway = await GatewayProcess.StartAsync("user_directory:\n  enabled: false\n  search_all_users: true");

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    [Fact]
    public async Task Search_Disabled_EmptyResults()
    {
        using var alice = await new MatrixClient(_gateway.BaseUrl).RegisterAsync();
        using var bob = await new MatrixClient(_gateway.BaseUrl).RegisterAsync();

        var r = await alice.PostAsync("/_matrix/client/v3/user_directory/search", new { search_term = bob.UserId });

        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json["results"]!.AsArray());
        Assert.False((bool)r.Json["limited"]!);
    }
}
