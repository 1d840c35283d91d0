using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>
/// Which of the <c>pusher_instances</c> sends a user's notifications: Synapse's sharding (SHA-256 of the user ID
/// read as a little-endian integer, modulo the number of instances, in list order), so a user lands on the same
/// instance as Synapse would put them and the split is stable across restarts.
/// </summary>
public static class PusherShards
{
    public static string? InstanceFor(string userId, IReadOnlyList<string> instances)
    {
        if (instances.Count == 0) return null;
        if (instances.Count == 1) return instances[0];
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(userId));
        var value = new BigInteger(hash, isUnsigned: true, isBigEndian: false);
        return instances[(int)(value % instances.Count)];
    }
}
