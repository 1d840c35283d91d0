using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class SigningTests
{
    [Fact]
    public void SignJson_EmptyObject_ProducesSpecSignature()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject();

        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        Assert.Equal(
            "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
            (string?)obj["signatures"]?["domain"]?["ed25519:1"]);
    }

    [Fact]
    public void SignJson_ObjectWithValues_ProducesSpecSignatureAndKeepsValues()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject { ["one"] = 1, ["two"] = "Two" };

        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        Assert.Equal(
            "{\"one\":1,\"signatures\":{\"domain\":{\"ed25519:1\":\"KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw\"}},\"two\":\"Two\"}",
            CanonicalJson.ToCanonicalString(obj));
    }

    [Fact]
    public void SignJson_UnsignedAndExistingSignatures_AreExcludedFromSignatureAndKept()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject
        {
            ["unsigned"] = new JsonObject { ["age_ts"] = 5 },
            ["signatures"] = new JsonObject { ["other.example"] = new JsonObject { ["ed25519:x"] = "abc" } },
        };

        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        // Same signature as the spec's empty-object vector: neither key is covered.
        Assert.Equal(
            "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ",
            (string?)obj["signatures"]?["domain"]?["ed25519:1"]);
        Assert.Equal("abc", (string?)obj["signatures"]?["other.example"]?["ed25519:x"]);
        Assert.Equal(5, (int?)obj["unsigned"]?["age_ts"]);
    }

    [Fact]
    public void VerifyJson_SignedBySpecKey_ReturnsTrue()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject { ["one"] = 1, ["two"] = "Two" };
        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        Assert.True(JsonSigning.VerifyJson(obj, "domain", "ed25519:1", key.PublicKeyBase64));
    }

    [Fact]
    public void VerifyJson_ContentTamperedAfterSigning_ReturnsFalse()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject { ["one"] = 1 };
        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);
        obj["one"] = 2;

        Assert.False(JsonSigning.VerifyJson(obj, "domain", "ed25519:1", key.PublicKeyBase64));
    }

    [Fact]
    public void VerifyJson_UnsignedChangedAfterSigning_ReturnsTrue()
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject { ["one"] = 1 };
        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);
        obj["unsigned"] = new JsonObject { ["age"] = 10 };

        Assert.True(JsonSigning.VerifyJson(obj, "domain", "ed25519:1", key.PublicKeyBase64));
    }

    [Theory]
    [InlineData("other.server", "ed25519:1")]
    [InlineData("domain", "ed25519:2")]
    [InlineData("domain", "curve25519:1")]
    public void VerifyJson_NoSignatureForServerOrKey_ReturnsFalse(string server, string keyId)
    {
        using var key = SpecVectors.Key();
        var obj = new JsonObject();
        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        Assert.False(JsonSigning.VerifyJson(obj, server, keyId, key.PublicKeyBase64));
    }

    [Fact]
    public void VerifyJson_WrongPublicKey_ReturnsFalse()
    {
        using var key = SpecVectors.Key();
        using var other = SigningKey.Generate();
        var obj = new JsonObject();
        JsonSigning.SignJson(obj, SpecVectors.ServerName, key);

        Assert.False(JsonSigning.VerifyJson(obj, "domain", "ed25519:1", other.PublicKeyBase64));
    }

    [Fact]
    public void Verify_GarbageKeyOrSignature_ReturnsFalse()
    {
        Assert.False(SigningKey.Verify("not base64!", [1, 2, 3], "AAAA"));
        Assert.False(SigningKey.Verify("AAAA", [1, 2, 3], "AAAA"));
    }

    [Fact]
    public void Sign_ThenVerify_RoundTrips()
    {
        using var key = SigningKey.Generate();
        byte[] data = "hello"u8.ToArray();

        var signature = UnpaddedBase64.Encode(key.Sign(data));

        Assert.True(SigningKey.Verify(key.PublicKeyBase64, data, signature));
        Assert.False(SigningKey.Verify(key.PublicKeyBase64, "hellO"u8, signature));
    }

    [Fact]
    public void SignEvent_MinimalEvent_ProducesSpecHashAndSignature()
    {
        using var key = SpecVectors.Key();
        var pdu = JsonNode.Parse("""
            {
                "room_id": "!x:domain",
                "sender": "@a:domain",
                "origin": "domain",
                "origin_server_ts": 1000000,
                "signatures": {},
                "hashes": {},
                "type": "X",
                "content": {},
                "prev_events": [],
                "auth_events": [],
                "depth": 3,
                "unsigned": { "age_ts": 1000000 }
            }
            """)!.AsObject();

        EventHashing.AddContentHash(pdu);
        JsonSigning.SignEvent(pdu, SpecVectors.ServerName, key, RoomVersions.V10);

        Assert.Equal("5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos", (string?)pdu["hashes"]?["sha256"]);
        Assert.Equal(
            "KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg",
            (string?)pdu["signatures"]?["domain"]?["ed25519:1"]);
        Assert.Equal(1000000, (int?)pdu["unsigned"]?["age_ts"]);
    }

    [Fact]
    public void SignEvent_RedactableMessage_ProducesSpecHashAndSignatureAndKeepsContent()
    {
        using var key = SpecVectors.Key();
        var pdu = JsonNode.Parse("""
            {
                "content": { "body": "Here is the message content" },
                "event_id": "$0:domain",
                "origin": "domain",
                "origin_server_ts": 1000000,
                "type": "m.room.message",
                "room_id": "!r:domain",
                "sender": "@u:domain",
                "signatures": {},
                "unsigned": { "age_ts": 1000000 }
            }
            """)!.AsObject();

        EventHashing.AddContentHash(pdu);
        JsonSigning.SignEvent(pdu, SpecVectors.ServerName, key, RoomVersions.V10);

        Assert.Equal("onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g", (string?)pdu["hashes"]?["sha256"]);
        Assert.Equal(
            "Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA",
            (string?)pdu["signatures"]?["domain"]?["ed25519:1"]);
        Assert.Equal("Here is the message content", (string?)pdu["content"]?["body"]);
    }

    [Fact]
    public void VerifyEvent_SignedEventLaterRedacted_StillVerifies()
    {
        using var key = SigningKey.Generate();
        var pdu = new JsonObject
        {
            ["type"] = "m.room.message",
            ["room_id"] = "!r:example.org",
            ["sender"] = "@u:example.org",
            ["content"] = new JsonObject { ["body"] = "secret" },
            ["origin_server_ts"] = 1,
        };
        EventHashing.AddContentHash(pdu);
        JsonSigning.SignEvent(pdu, "example.org", key, RoomVersions.V11);

        var redacted = Redaction.Redact(pdu, RoomVersions.V11);

        Assert.True(JsonSigning.VerifyEvent(pdu, "example.org", key.KeyId, key.PublicKeyBase64, RoomVersions.V11));
        Assert.True(JsonSigning.VerifyEvent(redacted, "example.org", key.KeyId, key.PublicKeyBase64, RoomVersions.V11));
    }

    [Fact]
    public void VerifyEvent_ProtectedFieldTampered_ReturnsFalse()
    {
        using var key = SigningKey.Generate();
        var pdu = new JsonObject
        {
            ["type"] = "m.room.message",
            ["room_id"] = "!r:example.org",
            ["sender"] = "@u:example.org",
            ["content"] = new JsonObject(),
        };
        EventHashing.AddContentHash(pdu);
        JsonSigning.SignEvent(pdu, "example.org", key, RoomVersions.V10);
        pdu["sender"] = "@mallory:example.org";

        Assert.False(JsonSigning.VerifyEvent(pdu, "example.org", key.KeyId, key.PublicKeyBase64, RoomVersions.V10));
    }
}
