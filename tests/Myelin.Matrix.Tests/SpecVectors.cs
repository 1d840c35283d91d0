namespace Myelin.Matrix.Tests;

/// <summary>spec: appendices "Cryptographic Test Vectors".</summary>
internal static class SpecVectors
{
    public const string SeedBase64 = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
    public const string ServerName = "domain";
    public const string KeyId = "ed25519:1";

    public static SigningKey Key() => SigningKey.Parse($"ed25519 1 {SeedBase64}");
}
