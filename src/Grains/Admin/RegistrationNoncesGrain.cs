using System.Security.Cryptography;

namespace Myelin.Grains.Admin;

public sealed class RegistrationNoncesGrain(TimeProvider time) : Grain, IRegistrationNoncesGrain
{
    /// <summary>Synapse's NONCE_TIMEOUT.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    readonly Dictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);

    public Task<string> Issue()
    {
        DropExpired();
        // Synapse: token_hex(64), 128 hex digits.
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(64));
        _nonces[nonce] = time.GetUtcNow();
        return Task.FromResult(nonce);
    }

    public Task<bool> Take(string nonce)
    {
        DropExpired();
        return Task.FromResult(_nonces.Remove(nonce));
    }

    void DropExpired()
    {
        var now = time.GetUtcNow();
        foreach (var (nonce, issued) in _nonces.ToList())
            if (now - issued > Lifetime) _nonces.Remove(nonce);
    }
}
