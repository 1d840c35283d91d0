namespace Myelin.Matrix;

/// <summary>spec: appendices "Unpadded Base64" and "URL-safe unpadded Base64".</summary>
public static class UnpaddedBase64
{
    public static string Encode(ReadOnlySpan<byte> b) => Convert.ToBase64String(b).TrimEnd('=');

    public static string EncodeUrlSafe(ReadOnlySpan<byte> b) =>
        Encode(b).Replace('+', '-').Replace('/', '_');

    /// <summary>
    /// Accepts padded or unpadded input in either alphabet, as the spec asks decoders to be lenient.
    /// Non-zero trailing bits are tolerated because the spec's own test key seed has them.
    /// </summary>
    public static byte[] Decode(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var text = s.AsSpan().TrimEnd('=');
        if (text.Length % 4 == 1)
        {
            throw new FormatException("Base64 input has an impossible length.");
        }

        var output = new byte[text.Length * 3 / 4];
        int acc = 0, bits = 0, o = 0;
        foreach (char c in text)
        {
            int v = c switch
            {
                >= 'A' and <= 'Z' => c - 'A',
                >= 'a' and <= 'z' => c - 'a' + 26,
                >= '0' and <= '9' => c - '0' + 52,
                '+' or '-' => 62,
                '/' or '_' => 63,
                _ => throw new FormatException($"Invalid base64 character '{c}'."),
            };
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                output[o++] = (byte)(acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }

        return output;
    }
}
