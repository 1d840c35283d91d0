using System.Security.Cryptography;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace Myelin.Matrix;

/// <summary>A server's Ed25519 signing key, in the form Synapse keeps it on disk.</summary>
public sealed class SigningKey : IDisposable
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    private readonly Key _key;
    private readonly byte[] _seed;

    private SigningKey(string version, byte[] seed)
    {
        Version = version;
        _seed = seed;
        _key = Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey,
            new KeyCreationParameters { ExportPolicy = KeyExportPolicies.None });
        PublicKeyBase64 = UnpaddedBase64.Encode(_key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The key version, e.g. "a_AbCd"; the part after "ed25519:" in the key ID.</summary>
    public string Version { get; }

    /// <summary>spec: appendices "Signing Details" — algorithm + ":" + version.</summary>
    public string KeyId => "ed25519:" + Version;

    public string PublicKeyBase64 { get; }

    /// <summary>A fresh key whose version is "a_" + 4 random alphanumerics, as Synapse generates them.</summary>
    public static SigningKey Generate() =>
        new("a_" + RandomNumberGenerator.GetString(Alphanumerics, 4), RandomNumberGenerator.GetBytes(32));

    /// <summary>Builds a key from a 32-byte Ed25519 seed, e.g. the spec's test vector seed.</summary>
    public static SigningKey FromSeed(string version, ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new FormatException("An Ed25519 seed is 32 bytes.");
        }

        if (string.IsNullOrEmpty(version) || version.Any(char.IsWhiteSpace))
        {
            throw new FormatException("A key version must be non-empty and contain no whitespace.");
        }

        return new SigningKey(version, seed.ToArray());
    }

    /// <summary>
    /// Reads a Synapse signing key file: the first non-empty line is "ed25519 &lt;version&gt; &lt;base64 seed&gt;".
    /// </summary>
    public static SigningKey Parse(string fileText)
    {
        ArgumentNullException.ThrowIfNull(fileText);
        var line = fileText.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0)
            ?? throw new FormatException("The signing key file is empty.");
        var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3)
        {
            throw new FormatException("Expected \"ed25519 <version> <base64 seed>\".");
        }

        if (parts[0] != "ed25519")
        {
            throw new FormatException($"Unsupported signing key algorithm \"{parts[0]}\".");
        }

        return FromSeed(parts[1], UnpaddedBase64.Decode(parts[2]));
    }

    public string ToFileText() => $"ed25519 {Version} {UnpaddedBase64.Encode(_seed)}\n";

    public byte[] Sign(ReadOnlySpan<byte> data) => Ed25519.Sign(_key, data);

    /// <summary>False for any malformed key or signature rather than throwing: callers only need a verdict.</summary>
    public static bool Verify(string publicKeyBase64, ReadOnlySpan<byte> data, string signatureBase64)
    {
        byte[] keyBytes, signature;
        try
        {
            keyBytes = UnpaddedBase64.Decode(publicKeyBase64);
            signature = UnpaddedBase64.Decode(signatureBase64);
        }
        catch (FormatException)
        {
            return false;
        }

        if (!PublicKey.TryImport(Ed25519, keyBytes, KeyBlobFormat.RawPublicKey, out var publicKey) || publicKey is null)
        {
            return false;
        }

        return Ed25519.Verify(publicKey, data, signature);
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>spec: appendices "Signing JSON" and server-server API "Signing Events".</summary>
public static class JsonSigning
{
    public static void SignJson(JsonObject obj, string serverName, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(key);
        var signature = key.Sign(CanonicalJson.Serialize(EventHashing.CopyWithout(obj, "signatures", "unsigned")));
        AddSignature(obj, serverName, key.KeyId, UnpaddedBase64.Encode(signature));
    }

    /// <summary>spec: appendices "Checking for a Signature", for one server and one known key.</summary>
    public static bool VerifyJson(JsonObject obj, string serverName, string keyId, string publicKeyBase64)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (!keyId.StartsWith("ed25519:", StringComparison.Ordinal))
        {
            return false;
        }

        if (obj["signatures"] is not JsonObject sigs || sigs[serverName] is not JsonObject serverSigs
            || serverSigs[keyId] is not JsonValue sigValue || !sigValue.TryGetValue(out string? signature))
        {
            return false;
        }

        byte[] canonical;
        try
        {
            canonical = CanonicalJson.Serialize(EventHashing.CopyWithout(obj, "signatures", "unsigned"));
        }
        catch (CanonicalJsonException)
        {
            return false;
        }

        return SigningKey.Verify(publicKeyBase64, canonical, signature);
    }

    /// <summary>
    /// spec: server-server API "Adding hashes and signatures to outgoing events": signs the redacted
    /// form so the signature survives redaction. The content hash must already be present.
    /// </summary>
    public static void SignEvent(JsonObject pdu, string serverName, SigningKey key, RoomVersion v)
    {
        ArgumentNullException.ThrowIfNull(pdu);
        var redacted = Redaction.Redact(pdu, v);
        SignJson(redacted, serverName, key);
        pdu["signatures"] = redacted["signatures"]!.DeepClone();
    }

    /// <summary>Verifies an event's signature the way it was made: over its redacted form.</summary>
    public static bool VerifyEvent(JsonObject pdu, string serverName, string keyId, string publicKeyBase64, RoomVersion v) =>
        VerifyJson(Redaction.Redact(pdu, v), serverName, keyId, publicKeyBase64);

    private static void AddSignature(JsonObject obj, string serverName, string keyId, string signature)
    {
        if (obj["signatures"] is not JsonObject sigs)
        {
            sigs = new JsonObject();
            obj["signatures"] = sigs;
        }

        if (sigs[serverName] is not JsonObject serverSigs)
        {
            serverSigs = new JsonObject();
            sigs[serverName] = serverSigs;
        }

        serverSigs[keyId] = signature;
    }
}
