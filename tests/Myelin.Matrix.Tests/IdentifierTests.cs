namespace Myelin.Matrix.Tests;

public class IdentifierTests
{
    [Theory]
    [InlineData("matrix.org")]
    [InlineData("matrix.org:8888")]
    [InlineData("1.2.3.4")]
    [InlineData("1.2.3.4:1234")]
    [InlineData("[1234:5678::abcd]")]
    [InlineData("[1234:5678::abcd]:5678")]
    [InlineData("localhost")]
    [InlineData("my-host.example.com:65535")]
    [InlineData("[::1]")]
    [InlineData("[::ffff:1.2.3.4]:8448")]
    public void IsValidServerName_SpecExamplesAndVariants_ReturnsTrue(string name)
    {
        Assert.True(MatrixIds.IsValidServerName(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(":8448")]
    [InlineData("matrix.org:")]
    [InlineData("matrix.org:123456")]
    [InlineData("matrix.org:80a")]
    [InlineData("matrix_org")]
    [InlineData("matrix.org/path")]
    [InlineData("mätrix.org")]
    [InlineData("1.2.3.256")]
    [InlineData("[1234:5678::abcd")]
    [InlineData("[1234:5678::abcd]x")]
    [InlineData("[not:ipv6:zz]")]
    [InlineData("[1]")]
    [InlineData("1234:5678::abcd")]
    public void IsValidServerName_Malformed_ReturnsFalse(string? name)
    {
        Assert.False(MatrixIds.IsValidServerName(name));
    }

    [Fact]
    public void IsValidServerName_DnsNameOver255Chars_ReturnsFalse()
    {
        Assert.True(MatrixIds.IsValidServerName(new string('a', 255)));
        Assert.False(MatrixIds.IsValidServerName(new string('a', 256)));
    }

    [Theory]
    [InlineData("@alice:example.org")]
    [InlineData("@a.b_c=d-e/f+g:example.org:8448")]
    [InlineData("@Alice:example.org")] // historical: upper case
    [InlineData("@alice!#$%:example.org")] // historical punctuation
    [InlineData("@日本:example.org")] // historical: non-ASCII
    [InlineData("@:example.org")] // historical: empty localpart must still be accepted
    [InlineData("@alice:[::1]:8448")]
    public void IsValidUserId_CurrentOrHistoricalGrammar_ReturnsTrue(string id)
    {
        Assert.True(MatrixIds.IsValidUserId(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("alice:example.org")]
    [InlineData("!alice:example.org")]
    [InlineData("@alice")]
    [InlineData("@alice:")]
    [InlineData("@alice:exa mple.org")]
    [InlineData("@al\0ice:example.org")]
    public void IsValidUserId_Malformed_ReturnsFalse(string? id)
    {
        Assert.False(MatrixIds.IsValidUserId(id));
    }

    [Fact]
    public void IsValidUserId_LoneSurrogateInLocalpart_ReturnsFalse()
    {
        // Not an InlineData: xunit's test-case serialisation would replace the lone surrogate.
        Assert.False(MatrixIds.IsValidUserId("@ali\uD800ce:example.org"));
        Assert.True(MatrixIds.IsValidUserId("@ali\uD83D\uDE00ce:example.org"));
    }

    [Fact]
    public void IsValidUserId_LengthLimit_Is255Bytes()
    {
        const string server = ":example.org";
        string ok = "@" + new string('a', 255 - 1 - server.Length) + server;
        string tooLong = "@" + new string('a', 256 - 1 - server.Length) + server;
        // A two-byte character makes a 254-char ID 255 bytes and a 255-char ID 256 bytes.
        string multiByte = "@é" + new string('a', 255 - 3 - server.Length) + server;

        Assert.Equal(255, ok.Length);
        Assert.True(MatrixIds.IsValidUserId(ok));
        Assert.False(MatrixIds.IsValidUserId(tooLong));
        Assert.True(MatrixIds.IsValidUserId(multiByte));
        Assert.False(MatrixIds.IsValidUserId(multiByte.Replace("@é", "@éa")));
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("a.b_c=d-e/f+g")]
    [InlineData("0123456789")]
    public void CheckLocalpartForRegistration_AllowedCharacters_ReturnsNull(string localpart)
    {
        Assert.Null(MatrixIds.CheckLocalpartForRegistration(localpart));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Alice")]
    [InlineData("al ice")]
    [InlineData("alice:x")]
    [InlineData("alice!")]
    [InlineData("al*ce")]
    [InlineData("josé")]
    public void CheckLocalpartForRegistration_ForbiddenLocalpart_ReturnsReason(string localpart)
    {
        Assert.False(string.IsNullOrEmpty(MatrixIds.CheckLocalpartForRegistration(localpart)));
    }

    [Fact]
    public void TryParseUserId_ServerWithPort_SplitsAtFirstColon()
    {
        Assert.True(MatrixIds.TryParseUserId("@alice:example.org:8448", out var local, out var server));
        Assert.Equal("alice", local);
        Assert.Equal("example.org:8448", server);
    }

    [Fact]
    public void TryParseUserId_Invalid_ReturnsFalseAndEmptyParts()
    {
        Assert.False(MatrixIds.TryParseUserId("alice", out var local, out var server));
        Assert.Equal("", local);
        Assert.Equal("", server);
    }

    [Theory]
    [InlineData("!abc:example.org", true)]
    [InlineData("!abc:example.org:8448", true)]
    [InlineData("!:example.org", false)]
    [InlineData("!abc", false)]
    [InlineData("#abc:example.org", false)]
    [InlineData("!abc:bad_server", false)]
    public void IsValidRoomId_Examples_ReturnsExpected(string id, bool expected)
    {
        Assert.Equal(expected, MatrixIds.IsValidRoomId(id));
    }

    [Theory]
    [InlineData("#room:example.org", true)]
    [InlineData("#ünï cödé:example.org", true)]
    [InlineData("#room", false)]
    [InlineData("#:example.org", false)]
    [InlineData("room:example.org", false)]
    [InlineData("#ro\0om:example.org", false)]
    public void IsValidRoomAlias_Examples_ReturnsExpected(string alias, bool expected)
    {
        Assert.Equal(expected, MatrixIds.IsValidRoomAlias(alias));
    }

    [Theory]
    [InlineData("$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", true)]
    [InlineData("$abc:example.org", true)]
    [InlineData("$", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg", false)]
    public void IsValidEventId_Examples_ReturnsExpected(string? id, bool expected)
    {
        Assert.Equal(expected, MatrixIds.IsValidEventId(id));
    }

    [Fact]
    public void IsValidEventId_Over255Bytes_ReturnsFalse()
    {
        Assert.True(MatrixIds.IsValidEventId("$" + new string('a', 254)));
        Assert.False(MatrixIds.IsValidEventId("$" + new string('a', 255)));
    }

    [Theory]
    [InlineData("@alice:example.org", "example.org")]
    [InlineData("!room:example.org:8448", "example.org:8448")]
    [InlineData("$hashonly", null)]
    public void ServerOf_Ids_ReturnsPartAfterFirstColon(string id, string? expected)
    {
        Assert.Equal(expected, MatrixIds.ServerOf(id));
    }

    [Fact]
    public void NewRoomId_ServerName_Is18LettersThenServer()
    {
        var id = MatrixIds.NewRoomId("example.org");

        Assert.Matches("^![A-Za-z]{18}:example\\.org$", id);
        Assert.True(MatrixIds.IsValidRoomId(id));
        Assert.NotEqual(id, MatrixIds.NewRoomId("example.org"));
    }

    [Fact]
    public void NewOpaqueId_Length_ReturnsThatManyLetters()
    {
        Assert.Matches("^[A-Za-z]{10}$", MatrixIds.NewOpaqueId(10));
        Assert.Equal("", MatrixIds.NewOpaqueId(0));
    }
}
