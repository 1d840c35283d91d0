using Myelin.Silo.WorkerApps.Pusher;

namespace Myelin.Silo.Tests.WorkerApps;

public sealed class PusherShardsTests
{
    // Expected instances computed as Synapse does (int.from_bytes(sha256(user_id).digest(), "little") % n), so a
    // user is served by the instance Synapse would pick from the same pusher_instances list.
    [Theory]
    [InlineData("@alice:test", 0, 2)]
    [InlineData("@bob:test", 1, 2)]
    [InlineData("@carol:example.org", 0, 1)]
    [InlineData("@dave:localhost", 1, 0)]
    public void InstanceFor_MatchesSynapsesHash(string user, int ofTwo, int ofThree)
    {
        Assert.Equal(new[] { "a", "b" }[ofTwo], PusherShards.InstanceFor(user, ["a", "b"]));
        Assert.Equal(new[] { "a", "b", "c" }[ofThree], PusherShards.InstanceFor(user, ["a", "b", "c"]));
    }

    [Fact]
    public void InstanceFor_OneOrNoInstance()
    {
        Assert.Equal("master", PusherShards.InstanceFor("@x:y", ["master"]));
        Assert.Null(PusherShards.InstanceFor("@x:y", []));
    }

    [Fact]
    public void InstanceFor_SplitsUsersRoughlyEvenly_AndStably()
    {
        string[] instances = ["p1", "p2", "p3"];
        var users = Enumerable.Range(0, 3000).Select(i => $"@user{i}:example.org").ToList();
        var counts = users.GroupBy(u => PusherShards.InstanceFor(u, instances)).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 850, 1150));
        Assert.All(users, u => Assert.Equal(PusherShards.InstanceFor(u, instances), PusherShards.InstanceFor(u, [.. instances])));
    }
}
