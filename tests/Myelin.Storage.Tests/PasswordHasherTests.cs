namespace Myelin.Storage.Tests;

public sealed class PasswordHasherTests
{
    [Fact]
    public void Verify_RightPassword_ReturnsTrue()
    {
        var hash = PasswordHasher.Hash("correct horse", workFactor: 4);

        Assert.StartsWith("$2", hash);
        Assert.True(PasswordHasher.Verify("correct horse", hash));
    }

    [Fact]
    public void Verify_WrongPassword_ReturnsFalse()
    {
        var hash = PasswordHasher.Hash("correct horse", workFactor: 4);

        Assert.False(PasswordHasher.Verify("battery staple", hash));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-bcrypt-hash")]
    public void Verify_NoOrMalformedHash_ReturnsFalse(string? hash)
    {
        Assert.False(PasswordHasher.Verify("anything", hash));
    }

    [Fact]
    public void Hash_Default_UsesWorkFactor12()
    {
        Assert.StartsWith("$2a$12$", PasswordHasher.Hash("pw"));
    }
}
