using System.Collections.Concurrent;
using Myelin.LoadTest.Client;
using Myelin.LoadTest.Delivery;

namespace Myelin.LoadTest.World;

/// <summary>A user the harness can act as.</summary>
public sealed record LoadUser(int Index, string Username, string Password, Session Session)
{
    public string UserId => Session.UserId;
    public string Token => Session.AccessToken;
}

/// <summary>A room and its members (user indices).</summary>
public sealed record LoadRoom(int Index, string RoomId, IReadOnlyList<int> Members);

public sealed record LoadWorld(IReadOnlyList<LoadUser> Users, IReadOnlyList<LoadRoom> Rooms, string Tag);

/// <summary>Setup failed in a way the run cannot go on from; the message says which request and why.</summary>
public sealed class SetupException(string message) : Exception(message);

/// <summary>
/// Registers users, creates rooms and joins members so the world matches a <see cref="RoomLayout"/>,
/// reusing whatever a saved <see cref="WorldFile"/> already holds.
/// </summary>
public sealed class WorldBuilder(IMatrixClient client, int concurrency, string? sharedSecret, Action<string> log)
{
    public async Task<LoadWorld> BuildAsync(Uri serverUrl, RoomLayout layout, int historyPerRoom, string? worldPath, CancellationToken ct)
    {
        var file = worldPath is null ? null : WorldFile.TryLoad(worldPath);
        if (file is not null && file.ServerUrl != serverUrl.ToString())
        {
            log($"world file {worldPath} was made for {file.ServerUrl}; making a new world for {serverUrl}");
            file = null;
        }
        file ??= new WorldFile { ServerUrl = serverUrl.ToString(), Tag = NewTag() };

        try
        {
            var users = await EnsureUsersAsync(file, layout.Users, ct);
            var rooms = await EnsureRoomsAsync(file, layout, users, ct);
            await EnsureHistoryAsync(file, rooms, users, historyPerRoom, ct);
            return new LoadWorld(users, rooms, file.Tag);
        }
        finally
        {
            // Saved even after a partial failure, so what was made is reused next time.
            if (worldPath is not null)
                file.Save(worldPath);
        }
    }

    private static string NewTag() => Guid.NewGuid().ToString("N")[..8];

    private async Task<IReadOnlyList<LoadUser>> EnsureUsersAsync(WorldFile file, int count, CancellationToken ct)
    {
        while (file.Users.Count < count)
        {
            var i = file.Users.Count;
            file.Users.Add(new WorldUser { Username = $"lt{file.Tag}u{i}", Password = $"lt-{file.Tag}-{i}-pw" });
        }

        var made = 0;
        var result = new LoadUser[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), Options(ct), async (i, token) =>
        {
            var u = file.Users[i];
            result[i] = new LoadUser(i, u.Username, u.Password, await SessionForAsync(u, token));
            var n = Interlocked.Increment(ref made);
            if (n % 50 == 0 || n == count)
                log($"users ready: {n}/{count}");
        });
        return result;
    }

    private async Task<Session> SessionForAsync(WorldUser u, CancellationToken ct)
    {
        if (u.AccessToken is not null && u.UserId is not null)
        {
            var who = await client.WhoAmIAsync(u.AccessToken, ct);
            if (who.IsSuccess)
                return new Session(u.UserId, u.AccessToken, u.DeviceId);
        }

        MatrixResult<Session> r;
        if (u.UserId is null)
        {
            r = sharedSecret is null
                ? await client.RegisterAsync(u.Username, u.Password, ct)
                : await client.RegisterWithSharedSecretAsync(u.Username, u.Password, sharedSecret, ct);
            if (r.ErrCode == "M_USER_IN_USE")
                r = await client.LoginAsync(u.Username, u.Password, ct);
        }
        else
        {
            r = await client.LoginAsync(u.Username, u.Password, ct);
        }
        if (!r.IsSuccess)
            throw new SetupException($"could not register or log in {u.Username}: {r}");

        u.UserId = r.Value!.UserId;
        u.AccessToken = r.Value.AccessToken;
        u.DeviceId = r.Value.DeviceId;
        return r.Value;
    }

    private async Task<IReadOnlyList<LoadRoom>> EnsureRoomsAsync(WorldFile file, RoomLayout layout, IReadOnlyList<LoadUser> users, CancellationToken ct)
    {
        var roomCount = layout.Members.Count;
        var created = new WorldRoom?[roomCount];
        for (var r = 0; r < Math.Min(roomCount, file.Rooms.Count); r++)
            created[r] = file.Rooms[r];

        await Parallel.ForEachAsync(Enumerable.Range(file.Rooms.Count, Math.Max(0, roomCount - file.Rooms.Count)), Options(ct), async (r, token) =>
        {
            var creator = users[layout.Members[r][0]];
            var res = await client.CreateRoomAsync(creator.Token, $"loadtest {file.Tag} room {r}", token);
            if (!res.IsSuccess)
                throw new SetupException($"could not create room {r} as {creator.UserId}: {res}");
            created[r] = new WorldRoom { RoomId = res.Value!, Members = [creator.UserId] };
        });
        for (var r = file.Rooms.Count; r < roomCount; r++)
            file.Rooms.Add(created[r]!);

        // Joins are what remains: members the layout wants that the world does not have yet.
        var joins = new ConcurrentBag<(int Room, int User)>();
        for (var r = 0; r < roomCount; r++)
        {
            var have = file.Rooms[r].Members.ToHashSet(StringComparer.Ordinal);
            foreach (var u in layout.Members[r])
                if (!have.Contains(users[u].UserId))
                    joins.Add((r, u));
        }
        var total = joins.Count;
        var done = 0;
        var gate = new Lock();
        await Parallel.ForEachAsync(joins, Options(ct), async (j, token) =>
        {
            var room = file.Rooms[j.Room];
            var res = await client.JoinRoomAsync(users[j.User].Token, room.RoomId, token);
            if (!res.IsSuccess)
                throw new SetupException($"{users[j.User].UserId} could not join {room.RoomId}: {res}");
            lock (gate)
                room.Members.Add(users[j.User].UserId);
            var n = Interlocked.Increment(ref done);
            if (n % 100 == 0 || n == total)
                log($"joins done: {n}/{total}");
        });

        return Enumerable.Range(0, roomCount).Select(r => new LoadRoom(r, file.Rooms[r].RoomId, layout.Members[r])).ToList();
    }

    private async Task EnsureHistoryAsync(WorldFile file, IReadOnlyList<LoadRoom> rooms, IReadOnlyList<LoadUser> users, int perRoom, CancellationToken ct)
    {
        await Parallel.ForEachAsync(rooms, Options(ct), async (room, token) =>
        {
            var stored = file.Rooms[room.Index];
            var sender = users[room.Members[0]];
            while (stored.History < perRoom)
            {
                var marker = new MessageMarker($"history-{file.Tag}", $"h{room.Index}-{stored.History}", stored.History);
                var res = await client.SendMessageAsync(sender.Token, room.RoomId, $"lt-{file.Tag}-h{room.Index}-{stored.History}",
                    marker.ToContent($"history message {stored.History}"), token);
                if (!res.IsSuccess)
                    throw new SetupException($"could not send history into {room.RoomId}: {res}");
                stored.History++;
            }
        });
    }

    private ParallelOptions Options(CancellationToken ct) => new() { MaxDegreeOfParallelism = concurrency, CancellationToken = ct };
}
