namespace Myelin.Grains.Streams;

/// <summary>A to-device message as the sender gave it, with the client transaction it belongs to.</summary>
[GenerateSerializer, Immutable, Alias("myelin.to-device-message")]
public sealed record ToDeviceMessage(
    [property: Id(0)] string Sender,
    [property: Id(1)] string SenderDeviceId,
    [property: Id(2)] string Type,
    [property: Id(3)] string TxnId,
    [property: Id(4)] string ContentJson);

/// <summary>
/// The to_device stream's writer for one device of a local user (Synapse's to_device stream writer,
/// sharded by recipient device): puts messages in the device's inbox, each once per client transaction,
/// and publishes them on the replication stream. Keyed by <see cref="ToDeviceGrainKey"/>.
/// </summary>
[Alias("myelin.to-device")]
public interface IToDeviceGrain : IGrainWithStringKey
{
    /// <summary>Stores the message for this device; returns its stream position, or null when the
    /// message's transaction already delivered to this device (a retry).</summary>
    Task<long?> Deliver(ToDeviceMessage message);
}

/// <summary>The key of a <see cref="IToDeviceGrain"/>: <c>{userId} {deviceId}</c>. A user ID has no space
/// after its localpart (server names have none, and the localpart ends at the first colon), so the first
/// space after the first colon separates them whatever the device ID holds.</summary>
public static class ToDeviceGrainKey
{
    public static string Format(string userId, string deviceId) => userId + " " + deviceId;

    public static (string UserId, string DeviceId) Parse(string key)
    {
        var colon = key.IndexOf(':');
        var space = colon < 0 ? -1 : key.IndexOf(' ', colon);
        if (space < 0) throw new FormatException($"not a to-device grain key: '{key}'");
        return (key[..space], key[(space + 1)..]);
    }
}
