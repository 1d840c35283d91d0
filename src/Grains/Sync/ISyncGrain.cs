namespace Myelin.Grains.Sync;

/// <param name="OmitBodyWithoutUpdates">The caller long-polls when nothing is new: a result without updates
/// then comes without a body (it would be thrown away).</param>
[GenerateSerializer, Immutable, Alias("myelin.sync-request")]
public sealed record SyncRequest(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string? Since,
    [property: Id(2)] string? FilterJson,
    [property: Id(3)] bool FullState,
    [property: Id(4)] bool OmitBodyWithoutUpdates = false);

/// <summary>The response body, and what the gateway needs to decide whether to wait for more.</summary>
/// <param name="Body">The response as UTF-8 JSON; null only when the request asked to omit a body without updates.</param>
/// <param name="SentToDevice">The response carries to-device messages, which the next sync from its
/// next_batch acknowledges (and so deletes): that sync must reach the grain.</param>
[GenerateSerializer, Immutable, Alias("myelin.sync-result")]
public sealed record SyncResult(
    [property: Id(0)] byte[]? Body,
    [property: Id(1)] bool HasUpdates,
    [property: Id(2)] string NextBatch,
    [property: Id(3)] IReadOnlyList<string> WatchedRooms,
    [property: Id(4)] bool SentToDevice = false);

/// <summary>
/// A user's /sync, keyed by user ID (the stickiness Synapse's proxy hash gave sync workers): reads each
/// stream from the client's token up to its current safe position.
/// </summary>
[Alias("myelin.sync")]
public interface ISyncGrain : IGrainWithStringKey
{
    Task<SyncResult> Sync(SyncRequest request);
}
