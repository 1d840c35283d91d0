using System.Text.Json.Nodes;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

public sealed class ToDeviceGrain(MyelinDatabase db, ToDeviceWriter writer, TimeProvider time) : Grain, IToDeviceGrain
{
    /// <summary>How long a transaction ID is remembered (as event_txn_id: Synapse keeps them a day).</summary>
    public static readonly TimeSpan TxnLifetime = TimeSpan.FromDays(1);
    static readonly TimeSpan TxnCleanupEvery = TimeSpan.FromHours(1);

    DateTimeOffset _nextTxnCleanup = DateTimeOffset.MinValue;

    public async Task<long?> Deliver(ToDeviceMessage message)
    {
        var (userId, deviceId) = ToDeviceGrainKey.Parse(this.GetPrimaryKeyString());
        var position = await writer.WriteAsync(userId, deviceId, message);
        // The device's expired transactions go now and then, off the stream's write order.
        var now = time.GetUtcNow();
        if (now >= _nextTxnCleanup)
        {
            _nextTxnCleanup = now + TxnCleanupEvery;
            await db.DeviceInbox.DeleteTxnsOlderThanAsync(userId, deviceId, (now - TxnLifetime).ToUnixTimeMilliseconds());
        }
        return position;
    }
}

/// <summary>
/// Writes to-device messages: the row commits in position order across processes (see
/// <see cref="IStreamIdGenerator.WriteAtNextAsync"/>), then goes out on the replication stream in
/// Synapse's ToDeviceStream row shape, <c>{"entity": user_id}</c>, which wakes the recipient's /sync
/// on every process; readers fetch the message itself from the database.
/// </summary>
public sealed class ToDeviceWriter(MyelinDatabase db, StreamFanout fanout, TimeProvider time)
{
    public async Task<long?> WriteAsync(string userId, string deviceId, ToDeviceMessage message)
    {
        var json = ToDeviceRequest.EventJson(message.Type, message.Sender, message.ContentJson);
        var txn = new ToDeviceTxn(message.Sender, message.SenderDeviceId, message.Type, message.TxnId);
        var position = await db.DeviceInbox.AddMessageAsync(userId, deviceId, json, txn,
            time.GetUtcNow().ToUnixTimeMilliseconds());
        if (position is not { } p) return null;
        await fanout.PublishAsync(StreamNames.ToDevice, p, new JsonObject { ["entity"] = userId }.ToJsonString());
        return p;
    }
}
