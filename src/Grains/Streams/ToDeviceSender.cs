using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>A validated <c>/sendToDevice</c> body: for each local recipient, device ID (or <c>*</c>) →
/// content JSON.</summary>
public sealed record ToDeviceRequest(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Messages)
{
    /// <summary>The largest message accepted for one device, as the event /sync delivers it: Synapse's
    /// MAX_EDU_SIZE (65536 bytes), the size a to-device message must fit in to cross federation.</summary>
    public const int MaxMessageBytes = 65536;

    static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Checks the body of <c>PUT /sendToDevice/{eventType}/{txnId}</c>: <c>messages</c> maps user IDs to
    /// objects mapping device IDs to content objects. As Synapse, user IDs that are not user IDs are
    /// ignored; users of other servers are refused (403 M_FORBIDDEN) while this server does not federate,
    /// before anything is delivered; a message over <see cref="MaxMessageBytes"/> is 413 M_TOO_LARGE.
    /// </summary>
    public static ToDeviceRequest Parse(JsonObject body, string type, string sender, ServerIdentity server)
    {
        var messages = body["messages"] switch
        {
            null => throw MatrixException.MissingParam("Missing 'messages'"),
            JsonObject o => o,
            _ => throw MatrixException.BadJson("'messages' must be an object of user IDs"),
        };
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var (userId, node) in messages)
        {
            if (node is not JsonObject byDevice)
                throw MatrixException.BadJson($"'messages.{userId}' must be an object of device IDs");
            var contents = new Dictionary<string, string>();
            foreach (var (deviceId, content) in byDevice)
            {
                if (content is not JsonObject obj)
                    throw MatrixException.BadJson($"The message for {userId} device {deviceId} must be an object");
                var json = ContentJson(obj);
                if (System.Text.Encoding.UTF8.GetByteCount(EventJson(type, sender, json)) > MaxMessageBytes)
                    throw new MatrixException(413, "M_TOO_LARGE",
                        $"The message for {userId} device {deviceId} is larger than {MaxMessageBytes} bytes");
                contents[deviceId] = json;
            }
            if (!MatrixIds.IsValidUserId(userId)) continue;
            if (!server.IsMine(userId))
                throw MatrixException.Forbidden(
                    $"Cannot send to-device messages to {userId}: users of other servers need federation, which is not available");
            result[userId] = contents;
        }
        return new ToDeviceRequest(result);
    }

    static string ContentJson(JsonObject content)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Compact)) content.WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The event as /sync delivers it (spec: type, sender, content).</summary>
    public static string EventJson(string type, string sender, string contentJson)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Compact))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteString("sender", sender);
            w.WritePropertyName("content");
            w.WriteRawValue(contentJson, skipInputValidation: true);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>
/// Sends a client's to-device messages (Synapse's DeviceMessageHandler.send_device_message, local users
/// only): <c>*</c> becomes every device of the user, devices that do not exist are skipped, and each
/// remaining message goes to the writer grain of its device.
/// </summary>
public sealed class ToDeviceSender(IGrainFactory grains, MyelinDatabase db)
{
    // Deliveries to many devices (a room key shared with a large room) run a few at a time: each takes the
    // stream's write order in turn anyway, and the grain calls overlap.
    const int MaxParallelDeliveries = 8;

    /// <summary>Delivers the messages; returns how many device inboxes received one (retries of a
    /// transaction count none).</summary>
    public async Task<int> SendAsync(string sender, string senderDeviceId, string type, string txnId, ToDeviceRequest request)
    {
        var deliveries = new List<(string UserId, string DeviceId, string ContentJson)>();
        foreach (var (userId, byDevice) in request.Messages)
        {
            if (byDevice.Count == 0) continue;
            var devices = (await db.Devices.GetDevicesAsync(userId)).Select(d => d.DeviceId).ToList();
            // As Synapse: "*" means every device only when it is the one key given.
            if (byDevice.Count == 1 && byDevice.TryGetValue("*", out var toAll))
                deliveries.AddRange(devices.Select(d => (userId, d, toAll)));
            else
                deliveries.AddRange(devices.Where(byDevice.ContainsKey).Select(d => (userId, d, byDevice[d])));
        }

        var delivered = 0;
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = MaxParallelDeliveries }, async (d, _) =>
        {
            var message = new ToDeviceMessage(sender, senderDeviceId, type, txnId, d.ContentJson);
            if (await grains.ToDevice(d.UserId, d.DeviceId).Deliver(message) is not null) Interlocked.Increment(ref delivered);
        });
        return delivered;
    }
}
