using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>spec: server-server API "Calculating the content hash" / "reference hash"; rooms v4+ "Event IDs".</summary>
public static class EventHashing
{
    public static string ComputeContentHash(JsonObject pdu)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        var copy = CopyWithout(pdu, "unsigned", "signatures", "hashes");
        return UnpaddedBase64.Encode(SHA256.HashData(CanonicalJson.Serialize(copy)));
    }

    public static void AddContentHash(JsonObject pdu)
    {
        var hash = ComputeContentHash(pdu);
        pdu["hashes"] = new JsonObject { ["sha256"] = hash };
    }

    public static string ComputeReferenceHash(JsonObject pdu, RoomVersion v) =>
        UnpaddedBase64.Encode(ReferenceHashBytes(pdu, v));

    /// <summary>spec: rooms v4+ "Event IDs": "$" + URL-safe unpadded base64 of the reference hash.</summary>
    public static string ComputeEventId(JsonObject pdu, RoomVersion v) =>
        "$" + UnpaddedBase64.EncodeUrlSafe(ReferenceHashBytes(pdu, v));

    private static byte[] ReferenceHashBytes(JsonObject pdu, RoomVersion v)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        var redacted = Redaction.Redact(pdu, v);
        redacted.Remove("signatures");
        redacted.Remove("unsigned");
        redacted.Remove("age_ts");
        // In v4+ the event ID is derived from this hash, so a stored copy carrying its own
        // "event_id" must not feed into it (a v4+ PDU on the wire never has one).
        redacted.Remove("event_id");
        return SHA256.HashData(CanonicalJson.Serialize(redacted));
    }

    /// <summary>A deep copy of the object minus the given top-level keys.</summary>
    internal static JsonObject CopyWithout(JsonObject obj, params string[] excluded)
    {
        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (Array.IndexOf(excluded, key) < 0)
            {
                copy[key] = value?.DeepClone();
            }
        }

        return copy;
    }
}
