using System.Security.Cryptography;
using System.Text;

namespace Myelin.Matrix;

/// <summary>spec: appendices "Identifier Grammar".</summary>
public static class MatrixIds
{
    /// <summary>spec: user IDs, room IDs (with domain), aliases and event IDs are at most 255 bytes.</summary>
    public const int MaxIdBytes = 255;

    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>
    /// Accepts the historical grammar (spec: "Historical User IDs"): any localpart without ':' or NUL,
    /// even empty, because such senders exist in real rooms and servers MUST accept them.
    /// </summary>
    public static bool IsValidUserId(string? s) => IsSigilLocalpartServer(s, '@', allowEmptyLocalpart: true);

    /// <summary>Room IDs of versions that carry a domain: <c>!opaque:server</c>, with a non-empty opaque part.</summary>
    public static bool IsValidRoomId(string? s) => IsSigilLocalpartServer(s, '!', allowEmptyLocalpart: false);

    /// <summary><c>#alias:server</c>, with a non-empty alias part.</summary>
    public static bool IsValidRoomAlias(string? s) => IsSigilLocalpartServer(s, '#', allowEmptyLocalpart: false);

    /// <summary>
    /// Event IDs are opaque after the sigil; v1/v2 ones carried a domain, v3+ are a hash. Only the
    /// sigil, non-emptiness, the absence of NUL and the 255-byte limit are checked.
    /// </summary>
    public static bool IsValidEventId(string? s) =>
        s is { Length: > 1 } && s[0] == '$' && !s.Contains('\0') && Utf8Length(s) <= MaxIdBytes && !HasLoneSurrogate(s);

    /// <summary>spec: appendices "Server Name": hostname [":" port].</summary>
    public static bool IsValidServerName(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        string host = s;
        if (s[0] == '[')
        {
            int close = s.IndexOf(']');
            if (close < 0)
            {
                return false;
            }

            string rest = s[(close + 1)..];
            if (rest.Length > 0 && (rest[0] != ':' || !IsValidPort(rest[1..])))
            {
                return false;
            }

            return IsValidIPv6(s[1..close]);
        }

        int colon = s.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!IsValidPort(s[(colon + 1)..]))
            {
                return false;
            }

            host = s[..colon];
        }

        if (host.Length == 0)
        {
            return false;
        }

        if (LooksLikeIPv4(host))
        {
            return IsValidIPv4(host);
        }

        // dns-name = 1*255dns-char; dns-char = DIGIT / ALPHA / "-" / "."
        if (host.Length > 255)
        {
            return false;
        }

        foreach (char c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// spec: "User Identifiers" (v1.8+): new localparts use only a-z 0-9 . _ = - / + and are non-empty.
    /// Returns null when acceptable, else a human-readable reason.
    /// </summary>
    public static string? CheckLocalpartForRegistration(string localpart)
    {
        ArgumentNullException.ThrowIfNull(localpart);
        if (localpart.Length == 0)
        {
            return "User ID localpart must not be empty.";
        }

        foreach (char c in localpart)
        {
            bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '=' or '-' or '/' or '+';
            if (!ok)
            {
                return "User ID localpart may only contain the characters a-z, 0-9, '.', '_', '=', '-', '/' and '+'.";
            }
        }

        return null;
    }

    public static bool TryParseUserId(string? s, out string localpart, out string server)
    {
        if (!IsValidUserId(s))
        {
            localpart = "";
            server = "";
            return false;
        }

        int colon = s!.IndexOf(':');
        localpart = s[1..colon];
        server = s[(colon + 1)..];
        return true;
    }

    /// <summary>The part after the first ':' (localparts cannot contain ':'), or null when there is none.</summary>
    public static string? ServerOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        int colon = id.IndexOf(':');
        return colon < 0 ? null : id[(colon + 1)..];
    }

    /// <summary>A room ID in the v1-v11 format: "!" + 18 random letters + ":" + server.</summary>
    public static string NewRoomId(string serverName) => "!" + NewOpaqueId(18) + ":" + serverName;

    /// <summary>Random ASCII letters from a cryptographic RNG, for device IDs, room IDs and the like.</summary>
    public static string NewOpaqueId(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return RandomNumberGenerator.GetString(Letters, length);
    }

    private static bool IsSigilLocalpartServer(string? s, char sigil, bool allowEmptyLocalpart)
    {
        if (s is null || s.Length < 3 || s[0] != sigil)
        {
            return false;
        }

        int colon = s.IndexOf(':');
        if (colon < 0 || (colon == 1 && !allowEmptyLocalpart))
        {
            return false;
        }

        // Localparts may hold any non-surrogate code point except ':' (excluded by taking the first
        // colon) and NUL.
        var local = s.AsSpan(1, colon - 1);
        if (local.Contains('\0') || HasLoneSurrogate(local))
        {
            return false;
        }

        return IsValidServerName(s[(colon + 1)..]) && Utf8Length(s) <= MaxIdBytes;
    }

    private static bool IsValidPort(string p) =>
        p.Length is >= 1 and <= 5 && p.All(char.IsAsciiDigit);

    // A dotted quad of digits is read as IPv4address, whose octets the spec bounds to 0-255; any
    // other run of digits and dots is still a grammatical dns-name.
    private static bool LooksLikeIPv4(string host)
    {
        var parts = host.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit));
    }

    private static bool IsValidIPv4(string host) =>
        host.Split('.').All(p => p.Length <= 3 && int.Parse(p, System.Globalization.CultureInfo.InvariantCulture) <= 255);

    private static bool IsValidIPv6(string addr)
    {
        // IPv6address = 2*45IPv6char; the spec further requires RFC 3513 form, which the runtime
        // parser checks (it rejects zone IDs, which the grammar excludes anyway via '%').
        if (addr.Length is < 2 or > 45)
        {
            return false;
        }

        foreach (char c in addr)
        {
            if (!(char.IsAsciiHexDigit(c) || c == ':' || c == '.'))
            {
                return false;
            }
        }

        return System.Net.IPAddress.TryParse(addr, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
    }

    private static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);

    private static bool HasLoneSurrogate(ReadOnlySpan<char> s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return true;
            }
        }

        return false;
    }
}
