using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class CanonicalJsonTests
{
    // spec: appendices "Canonical JSON" — "Examples".
    [Theory]
    [InlineData("{}", "{}")]
    [InlineData("{\n  \"one\": 1,\n  \"two\": \"Two\"\n}", "{\"one\":1,\"two\":\"Two\"}")]
    [InlineData("{\n  \"b\": \"2\",\n  \"a\": \"1\"\n}", "{\"a\":\"1\",\"b\":\"2\"}")]
    [InlineData("{\"b\":\"2\",\"a\":\"1\"}", "{\"a\":\"1\",\"b\":\"2\"}")]
    [InlineData(
        "{\"auth\":{\"success\":true,\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\",\"three_pids\":[{\"medium\":\"email\",\"address\":\"john.doe@example.org\"},{\"medium\":\"msisdn\",\"address\":\"123456789\"}]}}}",
        "{\"auth\":{\"mxid\":\"@john.doe:example.com\",\"profile\":{\"display_name\":\"John Doe\",\"three_pids\":[{\"address\":\"john.doe@example.org\",\"medium\":\"email\"},{\"address\":\"123456789\",\"medium\":\"msisdn\"}]},\"success\":true}}")]
    [InlineData("{\"a\": \"日本語\"}", "{\"a\":\"日本語\"}")]
    [InlineData("{\"本\": 2, \"日\": 1}", "{\"日\":1,\"本\":2}")]
    [InlineData("{\"a\": \"\\u65E5\"}", "{\"a\":\"日\"}")]
    [InlineData("{\"a\": null}", "{\"a\":null}")]
    [InlineData("{\"a\": -0, \"b\": 1e10}", "{\"a\":0,\"b\":10000000000}")]
    public void ToCanonicalString_SpecExample_ProducesSpecOutput(string input, string expected)
    {
        Assert.Equal(expected, CanonicalJson.ToCanonicalString(JsonNode.Parse(input)));
    }

    [Fact]
    public void Serialize_NonAscii_EmitsRawUtf8Bytes()
    {
        var bytes = CanonicalJson.Serialize(new JsonObject { ["a"] = "é" });

        Assert.Equal(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0xA9, (byte)'"', (byte)'}' }, bytes);
    }

    [Theory]
    [InlineData("\"\\u0000\"", "\"\\u0000\"")]
    [InlineData("\"\\u001f\"", "\"\\u001f\"")]
    [InlineData("\"\\b\\t\\n\\f\\r\"", "\"\\b\\t\\n\\f\\r\"")]
    [InlineData("\"\\\"\\\\\"", "\"\\\"\\\\\"")]
    [InlineData("\"\\/\"", "\"/\"")]
    [InlineData("\"<>&'\"", "\"<>&'\"")]
    [InlineData("\"\\u007f\"", "\"\u007f\"")]
    public void ToCanonicalString_Escapes_UsesShortestForm(string input, string expected)
    {
        Assert.Equal(expected, CanonicalJson.ToCanonicalString(JsonNode.Parse(input)));
    }

    [Fact]
    public void ToCanonicalString_AstralKeyVersusPrivateUseKey_SortsByCodePoint()
    {
        // U+1F600 is encoded as surrogates D83D DE00, which sort below U+E000 in UTF-16 but above it
        // by code point.
        var obj = new JsonObject { ["\U0001F600"] = 1, ["\uE000"] = 2 };

        Assert.Equal("{\"\uE000\":2,\"\U0001F600\":1}", CanonicalJson.ToCanonicalString(obj));
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("1.0")]
    [InlineData("9007199254740992")]
    [InlineData("-9007199254740992")]
    [InlineData("1e300")]
    public void Serialize_FloatOrOutOfRangeFromParsedJson_Throws(string number)
    {
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(JsonNode.Parse("{\"n\":" + number + "}")));
    }

    [Fact]
    public void Serialize_ClrDouble_Throws()
    {
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["n"] = 2.5 }));
    }

    [Fact]
    public void Serialize_ClrLongOutOfRange_Throws()
    {
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["n"] = 1L << 53 }));
    }

    [Theory]
    [InlineData(9007199254740991L)]
    [InlineData(-9007199254740991L)]
    public void ToCanonicalString_RangeBoundaries_Accepted(long value)
    {
        Assert.Equal(value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            CanonicalJson.ToCanonicalString(JsonValue.Create(value)));
    }

    [Fact]
    public void ToCanonicalString_MixedClrValues_SerialisesNested()
    {
        var node = new JsonObject
        {
            ["z"] = new JsonArray(1, "two", true, false, null),
            ["a"] = new JsonObject { ["y"] = (short)3, ["x"] = 4u },
        };

        Assert.Equal("{\"a\":{\"x\":4,\"y\":3},\"z\":[1,\"two\",true,false,null]}", CanonicalJson.ToCanonicalString(node));
    }

    [Fact]
    public void Serialize_UnpairedSurrogate_Throws()
    {
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["a"] = "x\uD800y" }));
    }

    [Fact]
    public void ToCanonicalString_ClrValuesSerialisedAsStrings_WrittenAsStrings()
    {
        var node = new JsonObject { ["g"] = JsonValue.Create(Guid.Empty), ["c"] = JsonValue.Create('x') };

        Assert.Equal("{\"c\":\"x\",\"g\":\"00000000-0000-0000-0000-000000000000\"}", CanonicalJson.ToCanonicalString(node));
    }
}
