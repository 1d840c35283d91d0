using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Silo.Configuration;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;
using Xunit.Sdk;

namespace Myelin.Silo.Tests.WorkerApps;

/// <summary>State events for the directory's tests (membership and publicity).</summary>
internal static class DirectoryEvents
{
    static long _depth;

    public static NewEvent Member(string room, string user, string membership, object? extra = null) =>
        Create(room, "m.room.member", user, user,
            extra is null ? new Dictionary<string, object?> { ["membership"] = membership }
                : new Dictionary<string, object?>(JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(extra))!) { ["membership"] = membership },
            membership);

    public static NewEvent JoinRules(string room, string sender, string rule) =>
        Create(room, "m.room.join_rules", "", sender, new { join_rule = rule }, null);

    static NewEvent Create(string room, string type, string stateKey, string sender, object content, string? membership)
    {
        var id = "$" + Guid.NewGuid().ToString("N");
        var depth = Interlocked.Increment(ref _depth);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var json = JsonSerializer.Serialize(new { event_id = id, room_id = room, type, state_key = stateKey, sender, depth, origin_server_ts = ts, content });
        return new NewEvent(id, room, type, stateKey, sender, depth, ts, json, membership);
    }

    public static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new XunitException($"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }
}

public sealed class UserDirectoryUpdaterTests : IAsyncLifetime
{
    LocalEventsNode _node = null!;
    MyelinDatabase _db = null!;
    InMemoryReplicationBus _bus = null!;
    EventsStream _stream = null!;
    EventPersister _persister = null!;
    readonly HomeserverOptions _options = HomeserverOptions.FromConfig(ConfigLoader.FromYaml("server_name: test"));

    public async Task InitializeAsync()
    {
        _node = await LocalEventsNode.StartAsync("userdir");
        (_db, _bus, _stream, _persister) = (_node.Db, _node.Bus, _node.Stream, _node.Persister);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
    }

    UserDirectoryUpdater NewUpdater() =>
        new(_db, _bus, new WorkerAppPositions(), TimeProvider.System, _options, NullLogger<UserDirectoryUpdater>.Instance);

    static string NewRoom() => $"!{Guid.NewGuid():N}:test";
    static string NewUser() => $"@u{Guid.NewGuid():N}:test";

    async Task<string> NewLocalUserAsync()
    {
        var user = NewUser();
        await _db.Accounts.CreateUserAsync(user, null, false, false, 1);
        return user;
    }

    Task<bool> SharesAsync(string user, string other) =>
        _db.UserDirectory.GetUsersSharingPrivateRoomsWithAsync(user).ContinueWith(t => t.Result.Contains(other));

    Task<bool> InPublicRoomAsync(string user, string room) =>
        _db.UserDirectory.GetPublicRoomsOfUserAsync(user).ContinueWith(t => t.Result.Contains(room));

    [Fact]
    public async Task FirstStart_ExistingRooms_PopulatedFromCurrentState()
    {
        string publicRoom = NewRoom(), privateRoom = NewRoom();
        string a = await NewLocalUserAsync(), b = await NewLocalUserAsync();
        await _db.Rooms.CreateRoomAsync(new RoomRecord(publicRoom, "10", a, false, 1));
        await _db.Rooms.CreateRoomAsync(new RoomRecord(privateRoom, "10", a, false, 1));
        await _persister.PersistAsync([DirectoryEvents.JoinRules(publicRoom, a, "public"), DirectoryEvents.Member(publicRoom, a, "join")]);
        await _persister.PersistAsync([DirectoryEvents.Member(privateRoom, a, "join"), DirectoryEvents.Member(privateRoom, b, "join")]);

        var app = NewUpdater();
        await app.StartAsync(default);
        await DirectoryEvents.UntilAsync(async () => await _db.WorkerAppPositions.GetAsync(UserDirectoryUpdater.AppName, "master", StreamNames.Events) is not null, "the app starting");
        await app.StopAsync(default);

        Assert.True(await InPublicRoomAsync(a, publicRoom));
        Assert.True(await SharesAsync(a, b));
        Assert.True(await SharesAsync(b, a));
        Assert.Equal(2, app.PopulatedRooms);
    }

    [Fact]
    public async Task Following_JoinsLeavesAndPublicityChanges_TablesFollowTheRooms()
    {
        var app = NewUpdater();
        await app.StartAsync(default);
        await DirectoryEvents.UntilAsync(async () => await _db.WorkerAppPositions.GetAsync(UserDirectoryUpdater.AppName, "master", StreamNames.Events) is not null, "the app starting");
        string room = NewRoom(), a = await NewLocalUserAsync(), b = await NewLocalUserAsync(), c = await NewLocalUserAsync();

        await _persister.PersistAsync([DirectoryEvents.JoinRules(room, a, "invite"), DirectoryEvents.Member(room, a, "join")]);
        await _persister.PersistAsync([DirectoryEvents.Member(room, b, "join")]);
        await DirectoryEvents.UntilAsync(() => SharesAsync(a, b), "a and b sharing the room");

        await _persister.PersistAsync([DirectoryEvents.Member(room, c, "join"), DirectoryEvents.Member(room, b, "leave")]);
        await DirectoryEvents.UntilAsync(async () => await SharesAsync(a, c) && !await SharesAsync(a, b), "c in, b out");

        await _persister.PersistAsync([DirectoryEvents.JoinRules(room, a, "public")]);
        await DirectoryEvents.UntilAsync(async () => await InPublicRoomAsync(a, room) && await InPublicRoomAsync(c, room), "the room public");
        Assert.False(await SharesAsync(a, c));
        Assert.False(await InPublicRoomAsync(b, room));

        // A remote user's join brings their profile from the event.
        var remote = $"@r{Guid.NewGuid():N}:elsewhere";
        await _persister.PersistAsync([DirectoryEvents.Member(room, remote, "join", new { displayname = "Far Away", avatar_url = "mxc://elsewhere/x" })]);
        await DirectoryEvents.UntilAsync(async () => await _db.UserDirectory.GetEntryAsync(remote) is not null, "the remote user's entry");
        Assert.Equal(new DirectoryUser(remote, "Far Away", "mxc://elsewhere/x"), await _db.UserDirectory.GetEntryAsync(remote));
        Assert.True(await InPublicRoomAsync(remote, room));
        await app.StopAsync(default);
    }
}
