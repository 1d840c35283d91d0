using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Streams;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Send-to-device messaging (spec: client-server API "Send-to-Device messaging").</summary>
public static class ToDeviceEndpoints
{
    public static void MapToDevice(this RouteGroupBuilder g)
    {
        g.MapPut("/sendToDevice/{eventType}/{txnId}", Send);
    }

    /// <summary>`PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId}`</summary>
    static async Task<IResult> Send(HttpContext ctx, string eventType, string txnId, ToDeviceSender sender, ServerIdentity server)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var type = RoomAccess.DecodeSlashes(eventType);
        if (type.Length is 0 or > 255) throw MatrixException.InvalidParam("Invalid event type");
        var request = ToDeviceRequest.Parse(body, type, me.UserId, server);
        // A retry of the transaction (same device, type and txnId) delivers nothing again: the device
        // writers remember it, and the answer is the same {}.
        await sender.SendAsync(me.UserId, me.DeviceId, type, txnId, request);
        return JsonBody.Empty();
    }
}
