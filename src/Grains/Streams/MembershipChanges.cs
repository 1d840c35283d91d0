using System.Collections.Concurrent;

namespace Myelin.Grains.Streams;

/// <summary>
/// The events-stream position of each user's latest membership change on this process. The events stream
/// records a batch's changes here BEFORE it publishes the batch's position on the bus, so whoever reads
/// position P from the bus also sees every change at or below P. A reader holding a user's memberships
/// as of position L knows they are still current at P when <see cref="LastChange"/> is at most L. (A flag
/// set by a bus subscriber is not enough: subscribers run after the position moved, so a sync could read
/// the new position and still see the old flag.)
/// </summary>
public sealed class MembershipChanges
{
    readonly ConcurrentDictionary<string, long> _last = new();

    public void Record(IEnumerable<string> userIds, long position)
    {
        foreach (var user in userIds)
            _last.AddOrUpdate(user, position, (_, old) => Math.Max(old, position));
    }

    /// <summary>Position of the user's latest membership change seen here (0 when none).</summary>
    public long LastChange(string userId) => _last.GetValueOrDefault(userId);
}
