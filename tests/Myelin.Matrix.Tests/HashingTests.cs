using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Myelin.Matrix.Tests;

public class HashingTests
{
    private static JsonObject MessagePdu() => JsonNode.Parse("""
        {
            "auth_events": ["$create", "$pl", "$member"],
            "content": { "body": "hello", "msgtype": "m.text" },
            "depth": 7,
            "hashes": { "sha256": "ignored-by-content-hash" },
            "origin": "example.org",
            "origin_server_ts": 1700000000000,
            "prev_events": ["$prev"],
            "room_id": "!room:example.org",
            "sender": "@alice:example.org",
            "signatures": { "example.org": { "ed25519:1": "sig" } },
            "type": "m.room.message",
            "unsigned": { "age_ts": 1700000000000 }
        }
        """)!.AsObject();

    private static string Sha256Base64(string s) => UnpaddedBase64.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public void ComputeContentHash_Event_HashesCanonicalJsonWithoutUnsignedSignaturesHashes()
    {
        // Written out by hand from the spec's definition: drop unsigned, signatures, hashes; sort keys.
        const string expected = """{"auth_events":["$create","$pl","$member"],"content":{"body":"hello","msgtype":"m.text"},"depth":7,"origin":"example.org","origin_server_ts":1700000000000,"prev_events":["$prev"],"room_id":"!room:example.org","sender":"@alice:example.org","type":"m.room.message"}""";

        Assert.Equal(Sha256Base64(expected), EventHashing.ComputeContentHash(MessagePdu()));
    }

    [Fact]
    public void ComputeReferenceHash_V10_HashesRedactedFormKeepingOrigin()
    {
        var pdu = MessagePdu();
        EventHashing.AddContentHash(pdu);
        string contentHash = (string)pdu["hashes"]!["sha256"]!;
        string expected = $$"""{"auth_events":["$create","$pl","$member"],"content":{},"depth":7,"hashes":{"sha256":"{{contentHash}}"},"origin":"example.org","origin_server_ts":1700000000000,"prev_events":["$prev"],"room_id":"!room:example.org","sender":"@alice:example.org","type":"m.room.message"}""";

        Assert.Equal(Sha256Base64(expected), EventHashing.ComputeReferenceHash(pdu, RoomVersions.V10));
    }

    [Fact]
    public void ComputeReferenceHash_V11_HashesRedactedFormWithoutOrigin()
    {
        var pdu = MessagePdu();
        EventHashing.AddContentHash(pdu);
        string contentHash = (string)pdu["hashes"]!["sha256"]!;
        string expected = $$"""{"auth_events":["$create","$pl","$member"],"content":{},"depth":7,"hashes":{"sha256":"{{contentHash}}"},"origin_server_ts":1700000000000,"prev_events":["$prev"],"room_id":"!room:example.org","sender":"@alice:example.org","type":"m.room.message"}""";

        Assert.Equal(Sha256Base64(expected), EventHashing.ComputeReferenceHash(pdu, RoomVersions.V11));
    }

    [Fact]
    public void ComputeEventId_Event_IsDollarUrlSafeReferenceHash()
    {
        var pdu = MessagePdu();
        EventHashing.AddContentHash(pdu);

        var id = EventHashing.ComputeEventId(pdu, RoomVersions.V10);

        string expected = "$" + EventHashing.ComputeReferenceHash(pdu, RoomVersions.V10).Replace('+', '-').Replace('/', '_');
        Assert.Equal(expected, id);
        Assert.Matches("^\\$[A-Za-z0-9_-]{43}$", id);
    }

    [Fact]
    public void ComputeEventId_SignaturesUnsignedOrEventIdChanged_IsUnchanged()
    {
        var pdu = MessagePdu();
        EventHashing.AddContentHash(pdu);
        var id = EventHashing.ComputeEventId(pdu, RoomVersions.V11);

        pdu["signatures"] = new JsonObject { ["other.org"] = new JsonObject { ["ed25519:x"] = "y" } };
        pdu["unsigned"] = new JsonObject { ["age"] = 1 };
        pdu["event_id"] = id;

        Assert.Equal(id, EventHashing.ComputeEventId(pdu, RoomVersions.V11));
    }

    [Fact]
    public void ComputeEventId_ContentChangedAndRehashed_Changes()
    {
        var pdu = MessagePdu();
        EventHashing.AddContentHash(pdu);
        var id = EventHashing.ComputeEventId(pdu, RoomVersions.V10);

        pdu["content"]!["body"] = "goodbye";
        EventHashing.AddContentHash(pdu);

        Assert.NotEqual(id, EventHashing.ComputeEventId(pdu, RoomVersions.V10));
    }

    [Fact]
    public void ComputeEventId_OriginOnlyDiffers_SameInV11DifferentInV10()
    {
        var a = MessagePdu();
        var b = MessagePdu();
        b["origin"] = "elsewhere.org";
        a["hashes"] = new JsonObject { ["sha256"] = "fixed" };
        b["hashes"] = new JsonObject { ["sha256"] = "fixed" };

        Assert.Equal(EventHashing.ComputeEventId(a, RoomVersions.V11), EventHashing.ComputeEventId(b, RoomVersions.V11));
        Assert.NotEqual(EventHashing.ComputeEventId(a, RoomVersions.V10), EventHashing.ComputeEventId(b, RoomVersions.V10));
    }

    [Fact]
    public void AddContentHash_ExistingHashes_ReplacedNotIncluded()
    {
        var pdu = MessagePdu();
        var expected = EventHashing.ComputeContentHash(pdu);

        EventHashing.AddContentHash(pdu);
        EventHashing.AddContentHash(pdu);

        Assert.Equal(expected, (string?)pdu["hashes"]!["sha256"]);
    }
}
