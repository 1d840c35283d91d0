namespace Myelin.Matrix.Tests;

public class RoomVersionsTests
{
    [Fact]
    public void Get_KnownIds_ReturnsVersionsWithSpecFlags()
    {
        var v10 = RoomVersions.Get("10")!;
        var v11 = RoomVersions.Get("11")!;

        Assert.Equal((false, false, true, true), (v10.UpdatedRedactionRules, v10.CreatorIsSender, v10.IntegerOnlyPowerLevels, v10.KnockRestricted));
        Assert.Equal((true, true, true, true), (v11.UpdatedRedactionRules, v11.CreatorIsSender, v11.IntegerOnlyPowerLevels, v11.KnockRestricted));
    }

    [Theory]
    [InlineData("9")]
    [InlineData("12")]
    [InlineData("")]
    [InlineData("org.example.custom")]
    public void Get_UnsupportedId_ReturnsNull(string id)
    {
        Assert.Null(RoomVersions.Get(id));
    }

    [Fact]
    public void Default_IsV10AndSupported()
    {
        Assert.Same(RoomVersions.V10, RoomVersions.Default);
        Assert.Equal(["10", "11"], RoomVersions.Supported.Select(v => v.Id));
    }
}
