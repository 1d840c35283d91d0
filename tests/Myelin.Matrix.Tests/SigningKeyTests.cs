namespace Myelin.Matrix.Tests;

public class SigningKeyTests
{
    [Fact]
    public void Parse_SynapseKeyFile_ReadsVersionAndKeyId()
    {
        using var key = SigningKey.Parse($"\n  \ned25519 a_AbC1 {SpecVectors.SeedBase64}\n");

        Assert.Equal("a_AbC1", key.Version);
        Assert.Equal("ed25519:a_AbC1", key.KeyId);
    }

    [Fact]
    public void ToFileText_ThenParse_GivesSameKey()
    {
        using var key = SigningKey.Generate();

        using var again = SigningKey.Parse(key.ToFileText());

        Assert.Equal(key.Version, again.Version);
        Assert.Equal(key.PublicKeyBase64, again.PublicKeyBase64);
    }

    [Fact]
    public void Generate_Version_IsAUnderscoreAndFourAlphanumerics()
    {
        using var key = SigningKey.Generate();

        Assert.Matches("^a_[A-Za-z0-9]{4}$", key.Version);
        Assert.Equal(43, key.PublicKeyBase64.Length);
    }

    [Fact]
    public void Generate_TwoKeys_Differ()
    {
        using var a = SigningKey.Generate();
        using var b = SigningKey.Generate();

        Assert.NotEqual(a.PublicKeyBase64, b.PublicKeyBase64);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("ed25519 1")]
    [InlineData("rsa 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")]
    [InlineData("ed25519 1 Zm9v")]
    [InlineData("ed25519 1 !!!!")]
    [InlineData("ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1 extra")]
    public void Parse_BadInput_ThrowsFormatException(string text)
    {
        Assert.Throws<FormatException>(() => SigningKey.Parse(text));
    }
}
