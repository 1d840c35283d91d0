using System.Collections.Concurrent;
using Myelin.Grains;
using Myelin.Grains.Sync;

namespace Myelin.Gateway.Http;

/// <summary>
/// The last /sync answer this gateway gave each device: its next_batch, the filter it was built with, and
/// the rooms it watched. A client long-polls again at once with that next_batch; when no stream has moved
/// past it since, the sync grain would read nothing, so the request goes straight to the
/// <see cref="SyncNotifier"/> and reaches the grain only when woken — one grain call per update a member
/// sees instead of two (in a 1,000-member room every typing change wakes 999 of these).
/// </summary>
public sealed class LastSyncs
{
    const int MaxDevices = 100_000;

    sealed record Answer(string NextBatch, string? FilterJson, IReadOnlyList<string> WatchedRooms);

    readonly ConcurrentDictionary<(string UserId, string DeviceId), Answer> _answers = new();

    /// <summary>Keeps what a long-poll from the result's next_batch needs. A result carrying to-device
    /// messages is not kept: the sync from its next_batch acknowledges them and must reach the grain, which
    /// deletes them.</summary>
    public void Remember(Requester me, string? filterJson, SyncResult result)
    {
        var key = (me.UserId, me.DeviceId);
        if (result.SentToDevice)
        {
            _answers.TryRemove(key, out _);
            return;
        }
        _answers.SetBounded(key, new Answer(result.NextBatch, filterJson, result.WatchedRooms), MaxDevices);
    }

    /// <summary>The rooms the device's last answer watched, if <paramref name="since"/> is that answer's
    /// next_batch and the filter is the same; null otherwise.</summary>
    public IReadOnlyList<string>? WatchedRooms(Requester me, string since, string? filterJson) =>
        _answers.TryGetValue((me.UserId, me.DeviceId), out var a) && a.NextBatch == since && a.FilterJson == filterJson
            ? a.WatchedRooms : null;
}
