using System.Text;

namespace Myelin.Matrix.Tests;

public class Base64Tests
{
    // spec: appendices "Unpadded Base64" examples.
    [Theory]
    [InlineData("", "")]
    [InlineData("f", "Zg")]
    [InlineData("fo", "Zm8")]
    [InlineData("foo", "Zm9v")]
    [InlineData("foob", "Zm9vYg")]
    [InlineData("fooba", "Zm9vYmE")]
    [InlineData("foobar", "Zm9vYmFy")]
    public void Encode_SpecExample_MatchesSpec(string input, string expected)
    {
        Assert.Equal(expected, UnpaddedBase64.Encode(Encoding.ASCII.GetBytes(input)));
        Assert.Equal(input, Encoding.ASCII.GetString(UnpaddedBase64.Decode(expected)));
    }

    [Fact]
    public void EncodeUrlSafe_BytesNeedingChars62And63_UsesMinusAndUnderscore()
    {
        byte[] data = [0xFB, 0xFF, 0xBF];

        Assert.Equal("+/+/", UnpaddedBase64.Encode(data));
        Assert.Equal("-_-_", UnpaddedBase64.EncodeUrlSafe(data));
    }

    [Theory]
    [InlineData("Zm8=")]
    [InlineData("Zm8")]
    public void Decode_PaddedOrUnpadded_Decodes(string input)
    {
        Assert.Equal("fo"u8.ToArray(), UnpaddedBase64.Decode(input));
    }

    [Fact]
    public void Decode_UrlSafeAlphabet_Decodes()
    {
        Assert.Equal(new byte[] { 0xFB, 0xFF, 0xBF }, UnpaddedBase64.Decode("-_-_"));
    }

    [Theory]
    [InlineData("Z")]
    [InlineData("Zm9v!")]
    [InlineData("Zm 9v")]
    public void Decode_Malformed_ThrowsFormatException(string input)
    {
        Assert.Throws<FormatException>(() => UnpaddedBase64.Decode(input));
    }

    [Fact]
    public void Decode_SpecTestSeedWithNonZeroTrailingBits_Gives32Bytes()
    {
        Assert.Equal(32, UnpaddedBase64.Decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1").Length);
    }
}
