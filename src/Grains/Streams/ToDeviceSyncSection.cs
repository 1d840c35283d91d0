using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains.Sync;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The <c>to_device</c> section of /sync (spec: Send-to-Device messaging, server behaviour): the syncing
/// device's messages after the client's token, oldest first, at most <see cref="Limit"/>. The token the
/// client sends back acknowledges what it received, so messages up to it are deleted. When more are
/// waiting, the next_batch goes only as far as the last message sent, and the rest come next time.
/// </summary>
public sealed class ToDeviceSyncSection(MyelinDatabase db) : ISyncSection
{
    /// <summary>spec: "100 messages is recommended as a reasonable limit" (Synapse's too).</summary>
    public const int Limit = 100;

    const int MaxRemembered = 100_000;

    // For each device, a position up to which its inbox is known to be empty, so that most incremental
    // syncs need not look for acknowledged messages to delete. Once true this stays true: positions only
    // grow, and every row at or below a position this process read up to was committed when it read.
    readonly ConcurrentDictionary<(string UserId, string DeviceId), long> _emptyUpTo = new();

    public async Task AddToAsync(SyncSectionContext sync)
    {
        var device = (sync.UserId, sync.DeviceId);
        var from = sync.Since?.ToDevice ?? 0;
        var emptyUpTo = _emptyUpTo.GetValueOrDefault(device);
        if (from > emptyUpTo)
        {
            await db.DeviceInbox.DeleteMessagesAsync(sync.UserId, sync.DeviceId, from);
            emptyUpTo = from;
        }

        var to = sync.UpTo.ToDevice;
        if (to > from)
        {
            // One more than the limit says whether the limit cut anything off.
            var rows = await db.DeviceInbox.GetMessagesAsync(sync.UserId, sync.DeviceId, from, to, Limit + 1);
            foreach (var row in rows.Take(Limit)) sync.AddToDevice(JsonNode.Parse(row.MessageJson)!.AsObject());
            if (rows.Count > Limit) sync.CapToDevice(rows[Limit - 1].StreamId);
            if (rows.Count == 0) emptyUpTo = Math.Max(emptyUpTo, to);
        }
        Remember(device, emptyUpTo);
    }

    void Remember((string, string) device, long emptyUpTo)
    {
        if (emptyUpTo <= 0) return;
        if (_emptyUpTo.TryGetValue(device, out var known))
        {
            if (known >= emptyUpTo) return;
        }
        // Count takes every lock of the dictionary: only asked when a device is added.
        else if (_emptyUpTo.Count >= MaxRemembered) _emptyUpTo.Clear();
        _emptyUpTo.AddOrUpdate(device, static (_, position) => position, static (_, old, position) => Math.Max(old, position), emptyUpTo);
    }
}
