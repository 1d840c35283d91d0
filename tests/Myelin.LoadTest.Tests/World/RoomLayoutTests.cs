using Myelin.LoadTest.World;

namespace Myelin.LoadTest.Tests.World;

public class RoomLayoutTests
{
    [Fact]
    public void PowerLawSizes_Exponent1_FollowsUsersOverRank()
    {
        Assert.Equal([100, 50, 33, 25, 20], RoomLayout.PowerLawSizes(100, 5, 1.0));
    }

    [Fact]
    public void PowerLawSizes_ManyRooms_NeverBelowTwoNorAboveUsers()
    {
        var sizes = RoomLayout.PowerLawSizes(10, 200, 2.0);
        Assert.All(sizes, s => Assert.InRange(s, 2, 10));
        Assert.Equal(10, sizes[0]);
        Assert.True(sizes.Zip(sizes.Skip(1)).All(p => p.First >= p.Second), "sizes are non-increasing");
        Assert.True(sizes.Count(s => s == 2) > 150, "most rooms are small");
    }

    [Fact]
    public void PowerLaw_SameSeed_SameMembership()
    {
        var a = RoomLayout.PowerLaw(30, 8, 1.2, seed: 7);
        var b = RoomLayout.PowerLaw(30, 8, 1.2, seed: 7);
        Assert.Equal(a.Members.Select(m => string.Join(",", m)), b.Members.Select(m => string.Join(",", m)));
    }

    [Fact]
    public void PowerLaw_Members_AreDistinctValidUsersAndEveryUserHasARoom()
    {
        var layout = RoomLayout.PowerLaw(25, 12, 1.5, seed: 3);
        var sizes = RoomLayout.PowerLawSizes(25, 12, 1.5);
        for (var r = 0; r < 12; r++)
        {
            Assert.Equal(layout.Members[r].Count, layout.Members[r].Distinct().Count());
            Assert.True(layout.Members[r].Count >= sizes[r]);
            Assert.All(layout.Members[r], u => Assert.InRange(u, 0, 24));
        }
        Assert.All(layout.RoomsOfUsers(), rooms => Assert.NotEmpty(rooms));
    }

    [Fact]
    public void Full_EveryUserInEveryRoom()
    {
        var layout = RoomLayout.Full(4, 3);
        Assert.All(layout.RoomsOfUsers(), rooms => Assert.Equal([0, 1, 2], rooms));
    }

    [Fact]
    public void PowerLawSizes_OneUser_RoomsOfOne()
    {
        Assert.Equal([1, 1], RoomLayout.PowerLawSizes(1, 2, 1.0));
    }
}
