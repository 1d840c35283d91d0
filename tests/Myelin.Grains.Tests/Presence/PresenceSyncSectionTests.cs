using System.Text.Json.Nodes;
using Myelin.Grains.Presence;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Myelin.Matrix;

namespace Myelin.Grains.Tests.Presence;

public sealed class PresenceSyncSectionTests : IAsyncLifetime
{
    PresenceTestWorld _w = null!;
    string _me = "", _friend = "", _stranger = "", _room = "";
    long _token;

    public async Task InitializeAsync()
    {
        _w = await PresenceTestWorld.CreateAsync();
        (_me, _friend, _stranger, _room) = (PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser(), PresenceTestWorld.NewUser(), PresenceTestWorld.NewRoom());
        await _w.SetMembershipAsync(_room, _me);
        await _w.SetMembershipAsync(_room, _friend);
        await _w.SetMembershipAsync(PresenceTestWorld.NewRoom(), _stranger);
    }

    public async Task DisposeAsync() => await _w.DisposeAsync();

    void Set(string user, string state, string? statusMsg = null) =>
        _w.Cache.Apply(new UserPresence(user, state, statusMsg, _w.Now - 1000, _w.Now, _w.Now, state == PresenceStates.Online), ++_token);

    SyncToken Current => new(Events: 0, Presence: _w.Bus.Position(StreamNames.Presence));

    async Task<IReadOnlyList<JsonNode>> SyncAsync(SyncToken? since, IReadOnlyList<string>? joined = null, IReadOnlySet<string>? inFull = null,
        PresenceOptions? options = null, SyncFilter? filter = null)
    {
        var section = new PresenceSyncSection(_w.Cache, _w.Rooms, _w.Db, options ?? new PresenceOptions(), _w.Time);
        var context = new SyncSectionContext(_me, "DEV", filter ?? SyncFilter.Default, since, Current, false,
            joined ?? [_room], inFull ?? new HashSet<string>());
        await section.AddToAsync(context);
        return context.Presence;
    }

    static IEnumerable<string> Senders(IReadOnlyList<JsonNode> events) => events.Select(e => (string)e!["sender"]!).Order();

    [Fact]
    public async Task Initial_CurrentPresenceOfRoomMatesAndSelf_OfflineAndStrangersLeftOut()
    {
        var offlineMate = PresenceTestWorld.NewUser();
        await _w.SetMembershipAsync(_room, offlineMate);
        Set(_me, PresenceStates.Online);
        Set(_friend, PresenceStates.Unavailable, "away");
        Set(offlineMate, PresenceStates.Offline);
        Set(_stranger, PresenceStates.Online);

        var events = await SyncAsync(since: null);

        Assert.Equal(new[] { _me, _friend }.Order(), Senders(events));
        var friend = events.Single(e => (string)e!["sender"]! == _friend)!;
        Assert.Equal("m.presence", (string?)friend["type"]);
        Assert.Equal("unavailable", (string?)friend["content"]!["presence"]);
        Assert.Equal("away", (string?)friend["content"]!["status_msg"]);
        Assert.Equal(1000, (long?)friend["content"]!["last_active_ago"]);
    }

    [Fact]
    public async Task Incremental_OnlyChangesOfRoomMatesAndSelfSinceTheToken()
    {
        Set(_friend, PresenceStates.Online);
        var since = Current;
        Set(_stranger, PresenceStates.Online);
        Assert.Empty(await SyncAsync(since));

        Set(_friend, PresenceStates.Offline);
        Set(_me, PresenceStates.Unavailable);

        var events = await SyncAsync(since);

        Assert.Equal(new[] { _me, _friend }.Order(), Senders(events));
        Assert.Equal("offline", (string?)events.Single(e => (string)e!["sender"]! == _friend)!["content"]!["presence"]);
    }

    [Fact]
    public async Task Incremental_RoomMateLeftTheRoom_NoLongerSeen()
    {
        var since = Current;
        await _w.SetMembershipAsync(_room, _friend, "leave");

        Set(_friend, PresenceStates.Online);

        Assert.Empty(await SyncAsync(since));
    }

    [Fact]
    public async Task Incremental_RoomJoinedSinceTheToken_CarriesItsMembersPresence()
    {
        var other = PresenceTestWorld.NewRoom();
        var member = PresenceTestWorld.NewUser();
        await _w.SetMembershipAsync(other, member);
        Set(member, PresenceStates.Online);
        var since = Current;
        await _w.SetMembershipAsync(other, _me);

        var events = await SyncAsync(since, joined: [_room, other], inFull: new HashSet<string> { other });

        Assert.Equal([member], Senders(events).ToArray());
    }

    [Fact]
    public async Task Disabled_NoPresence()
    {
        Set(_friend, PresenceStates.Online);

        Assert.Empty(await SyncAsync(since: null, options: new PresenceOptions(Enabled: false, Tracked: false)));
    }

    [Fact]
    public async Task FilterExcludingPresence_NoPresence()
    {
        Set(_friend, PresenceStates.Online);
        var filter = SyncFilter.Parse(new JsonObject { ["presence"] = new JsonObject { ["not_types"] = new JsonArray("*") } });

        Assert.Empty(await SyncAsync(since: null, filter: filter));
    }
}
