using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

/// <summary>
/// Builds room state for auth-rule tests. Every room and user gets fresh random IDs, so tests share
/// nothing. The creator is joined and, unless told otherwise, a power levels event gives them 100.
/// </summary>
internal sealed class TestRoom
{
    private readonly Dictionary<(string Type, string StateKey), AuthEvent> _state = new();
    private int _counter;

    private TestRoom(RoomVersion version, string server)
    {
        Version = version;
        Server = server;
        RoomId = MatrixIds.NewRoomId(server);
        Creator = NewUser();
    }

    public RoomVersion Version { get; }
    public string Server { get; }
    public string RoomId { get; }
    public string Creator { get; }
    public AuthEvent CreateEvent => _state[("m.room.create", "")];
    public IReadOnlyDictionary<(string Type, string StateKey), AuthEvent> State => _state;

    public static TestRoom New(string version, bool withPowerLevels = true, JsonObject? extraCreateContent = null)
    {
        var room = new TestRoom(RoomVersions.Get(version)!, "example.org");
        var createContent = extraCreateContent?.DeepClone().AsObject() ?? new JsonObject();
        createContent["room_version"] = version;
        if (!room.Version.CreatorIsSender)
        {
            createContent["creator"] = room.Creator;
        }

        room.Set(room.Event("m.room.create", "", room.Creator, createContent, prevEvents: []));
        room.SetMember(room.Creator, "join");
        if (withPowerLevels)
        {
            room.SetPowerLevels(new JsonObject { ["users"] = new JsonObject { [room.Creator] = 100 } });
        }

        return room;
    }

    public static RoomVersion V(string version) => RoomVersions.Get(version)!;

    public string NewUser(string? server = null) =>
        "@" + MatrixIds.NewOpaqueId(8).ToLowerInvariant() + ":" + (server ?? Server);

    public AuthEvent Event(string type, string? stateKey, string sender, JsonObject content, IReadOnlyList<string>? prevEvents = null) =>
        new("$e" + (++_counter) + MatrixIds.NewOpaqueId(6), type, stateKey, sender, content,
            prevEvents ?? ["$prev" + _counter], RoomId);

    public AuthEvent Member(string sender, string target, string membership, JsonObject? extra = null)
    {
        var content = extra?.DeepClone().AsObject() ?? new JsonObject();
        content["membership"] = membership;
        return Event("m.room.member", target, sender, content);
    }

    public void Set(AuthEvent ev) => _state[(ev.Type, ev.StateKey!)] = ev;

    public void SetMember(string user, string membership) => Set(Member(user, user, membership));

    public void SetPowerLevels(JsonObject content) => Set(Event("m.room.power_levels", "", Creator, content));

    public void SetJoinRule(string rule) => Set(Event("m.room.join_rules", "", Creator, new JsonObject { ["join_rule"] = rule }));

    /// <summary>Adds a joined user with the given power level to the existing power levels event.</summary>
    public string JoinedUser(long level = 0)
    {
        var user = NewUser();
        SetMember(user, "join");
        if (level != 0)
        {
            var pl = _state[("m.room.power_levels", "")].Content.DeepClone().AsObject();
            pl["users"]![user] = level;
            SetPowerLevels(pl);
        }

        return user;
    }

    public AuthResult Check(AuthEvent ev) => EventAuth.Check(Version, ev, _state);
}
