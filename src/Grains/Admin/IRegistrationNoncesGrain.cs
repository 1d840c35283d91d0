namespace Myelin.Grains.Admin;

/// <summary>
/// The one-time nonces of shared-secret registration (<c>/_synapse/admin/v1/register</c>). Synapse keeps them in
/// the main process's memory; here one grain holds them for the whole cluster, so a nonce fetched through one
/// gateway is good on another.
/// </summary>
[Alias("myelin.registration-nonces")]
public interface IRegistrationNoncesGrain : IGrainWithIntegerKey
{
    /// <summary>A new nonce, good for <see cref="RegistrationNoncesGrain.Lifetime"/>.</summary>
    Task<string> Issue();

    /// <summary>Uses the nonce up: true when it was issued and has not expired or been used.</summary>
    Task<bool> Take(string nonce);
}
