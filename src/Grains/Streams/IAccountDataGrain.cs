namespace Myelin.Grains.Streams;

/// <summary>
/// The account_data stream's writer for one user (Synapse's account_data stream writer, sharded by user):
/// global and per-room account data, tags (m.tag) included.
/// </summary>
[Alias("myelin.account-data")]
public interface IAccountDataGrain : IGrainWithStringKey
{
    /// <summary>Stores the content (a JSON object) and publishes the change; returns the stream position.</summary>
    Task<long> Put(string? roomId, string type, string contentJson);

    /// <summary>The content, or null when the user has none of that type.</summary>
    Task<string?> Get(string? roomId, string type);
}
