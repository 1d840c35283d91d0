namespace Myelin.LoadTest.World;

/// <summary>
/// Which users belong to which rooms. Room k (1-based) has about users / k^exponent members, at least two:
/// one room with everyone, a few large ones and many small ones, as on real servers.
/// The first member of each room creates it.
/// </summary>
public sealed class RoomLayout
{
    private RoomLayout(int users, IReadOnlyList<IReadOnlyList<int>> members)
    {
        Users = users;
        Members = members;
    }

    public int Users { get; }

    /// <summary>For each room, the indices of its member users; element 0 is the creator.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Members { get; }

    public static IReadOnlyList<int> PowerLawSizes(int users, int rooms, double exponent)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rooms, 1);
        var minimum = Math.Min(2, users);
        return Enumerable.Range(1, rooms)
            .Select(k => Math.Clamp((int)Math.Round(users / Math.Pow(k, exponent)), minimum, users))
            .ToList();
    }

    /// <summary>Power-law sizes with members drawn at random (deterministic for a seed); every user is in some room.</summary>
    public static RoomLayout PowerLaw(int users, int rooms, double exponent, int seed)
    {
        var random = new Random(seed);
        var sizes = PowerLawSizes(users, rooms, exponent);
        var members = new List<List<int>>(rooms);
        foreach (var size in sizes)
        {
            var pool = Enumerable.Range(0, users).ToArray();
            // Partial Fisher-Yates: the first `size` entries become a uniform random sample.
            for (var i = 0; i < size; i++)
            {
                var j = random.Next(i, users);
                (pool[i], pool[j]) = (pool[j], pool[i]);
            }
            members.Add(pool.Take(size).ToList());
        }

        var inSomeRoom = members.SelectMany(m => m).ToHashSet();
        for (var u = 0; u < users; u++)
        {
            if (!inSomeRoom.Contains(u))
                members[random.Next(rooms)].Add(u);
        }
        return new RoomLayout(users, members);
    }

    /// <summary>Every user in every room: what initial-sync needs ("users joined to many rooms").</summary>
    public static RoomLayout Full(int users, int rooms) =>
        new(users, Enumerable.Range(0, rooms).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, users).ToList()).ToList());

    /// <summary>The rooms each user belongs to, by room index.</summary>
    public IReadOnlyList<IReadOnlyList<int>> RoomsOfUsers()
    {
        var result = Enumerable.Range(0, Users).Select(_ => new List<int>()).ToList();
        for (var r = 0; r < Members.Count; r++)
            foreach (var u in Members[r])
                result[u].Add(r);
        return result;
    }
}
