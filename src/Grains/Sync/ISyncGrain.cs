namespace Myelin.Grains.Sync;

[GenerateSerializer, Immutable, Alias("myelin.sync-request")]
public sealed record SyncRequest(
    [property: Id(0)] string DeviceId,
    [property: Id(1)] string? Since,
    [property: Id(2)] string? FilterJson,
    [property: Id(3)] bool FullState);

/// <summary>The response body, and what the gateway needs to decide whether to wait for more.</summary>
[GenerateSerializer, Immutable, Alias("myelin.sync-result")]
public sealed record SyncResult(
    [property: Id(0)] string Json,
    [property: Id(1)] bool HasUpdates,
    [property: Id(2)] string NextBatch,
    [property: Id(3)] IReadOnlyList<string> WatchedRooms);

/// <summary>
/// A user's /sync, keyed by user ID (the stickiness Synapse's proxy hash gave sync workers): reads each
/// stream from the client's token up to its current safe position.
/// </summary>
[Alias("myelin.sync")]
public interface ISyncGrain : IGrainWithStringKey
{
    Task<SyncResult> Sync(SyncRequest request);
}
