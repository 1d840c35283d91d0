using System.Security.Cryptography;
using System.Text;

namespace Myelin.Storage;

/// <summary>How access tokens are stored: the SHA-256 of the token's UTF-8 bytes, lowercase hex.</summary>
public static class AccessTokenHash
{
    public static string Compute(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
