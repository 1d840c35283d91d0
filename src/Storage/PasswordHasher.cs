namespace Myelin.Storage;

/// <summary>bcrypt password hashes, the format Synapse stores in <c>users.password_hash</c>.</summary>
public static class PasswordHasher
{
    // Synapse's default bcrypt_rounds.
    const int WorkFactor = 12;

    public static string Hash(string password) => BCrypt.Net.BCrypt.HashPassword(password, WorkFactor);

    /// <summary>With an explicit work factor (4..31); tests use a low one to stay fast.</summary>
    public static string Hash(string password, int workFactor) => BCrypt.Net.BCrypt.HashPassword(password, workFactor);

    /// <summary>false when there is no hash (e.g. a user without a password) or it is malformed.</summary>
    public static bool Verify(string password, string? hash)
    {
        if (string.IsNullOrEmpty(hash)) return false;
        try { return BCrypt.Net.BCrypt.Verify(password, hash); }
        catch (BCrypt.Net.SaltParseException) { return false; }
    }
}
