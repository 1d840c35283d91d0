using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class DevicesEndpoints
{
    static readonly string[][] DeleteFlows = [["m.login.password"]];

    /// <summary>Synapse's MAX_DEVICE_DISPLAY_NAME_LEN.</summary>
    const int MaxDisplayNameLength = 100;

    public static void MapDevices(this RouteGroupBuilder g)
    {
        g.MapGet("/devices", GetDevices);
        g.MapGet("/devices/{deviceId}", GetDevice);
        g.MapPut("/devices/{deviceId}", UpdateDevice);
        g.MapDelete("/devices/{deviceId}", DeleteDevice);
        g.MapPost("/delete_devices", DeleteDevices);
    }

    /// <summary>`GET /_matrix/client/v3/devices`</summary>
    static async Task<IResult> GetDevices(HttpContext ctx, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var devices = await db.Devices.GetDevicesAsync(me.UserId);
        return JsonBody.Json(new JsonObject
        {
            ["devices"] = new JsonArray(devices.Select(d => (JsonNode)DeviceJson(d)).ToArray()),
        });
    }

    /// <summary>`GET /_matrix/client/v3/devices/{deviceId}`</summary>
    static async Task<IResult> GetDevice(HttpContext ctx, string deviceId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var device = await db.Devices.GetDeviceAsync(me.UserId, deviceId) ?? throw MatrixException.NotFound("No device found");
        return JsonBody.Json(DeviceJson(device));
    }

    /// <summary>`PUT /_matrix/client/v3/devices/{deviceId}`</summary>
    static async Task<IResult> UpdateDevice(HttpContext ctx, string deviceId, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        var displayName = body.OptString("display_name");
        if (displayName is not null && displayName.EnumerateRunes().Count() > MaxDisplayNameLength)
            throw new MatrixException(400, "M_TOO_LARGE", $"Device display name is too long (max {MaxDisplayNameLength})");
        // Only application services may create devices here (spec v1.17); everyone else updates.
        if (await db.Devices.GetDeviceAsync(me.UserId, deviceId) is null) throw MatrixException.NotFound("Unknown device");
        // An absent (or null) display_name leaves the name unchanged.
        if (displayName is not null) await db.Devices.UpdateDisplayNameAsync(me.UserId, deviceId, displayName);
        return JsonBody.Empty();
    }

    /// <summary>`DELETE /_matrix/client/v3/devices/{deviceId}`</summary>
    static async Task<IResult> DeleteDevice(HttpContext ctx, string deviceId, MyelinDatabase db,
        UserInteractiveAuth uia, AccessTokens tokens)
    {
        var me = await ctx.AuthAsync();
        // Synapse treats a missing body as {} (older clients sent none): the answer is the auth challenge.
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);
        await uia.RequireAsync(body, DeleteFlows, me.UserId);
        await DeleteAsync(me.UserId, [deviceId], db, tokens);
        return JsonBody.Empty();
    }

    /// <summary>`POST /_matrix/client/v3/delete_devices`</summary>
    static async Task<IResult> DeleteDevices(HttpContext ctx, MyelinDatabase db, UserInteractiveAuth uia, AccessTokens tokens)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        // The body is checked before the auth stages, as Synapse does.
        var devices = body.OptStringList("devices") ?? throw MatrixException.MissingParam("Missing 'devices'");
        await uia.RequireAsync(body, DeleteFlows, me.UserId);
        await DeleteAsync(me.UserId, devices, db, tokens);
        return JsonBody.Empty();
    }

    /// <summary>Devices already gone count as deleted (spec: "or had been removed previously").</summary>
    static async Task DeleteAsync(string userId, IReadOnlyCollection<string> deviceIds, MyelinDatabase db, AccessTokens tokens)
    {
        // The store deletes the devices' tokens with them; the cache must not keep answering for them.
        await db.Devices.DeleteDevicesAsync(userId, deviceIds);
        tokens.ForgetUser(userId);
    }

    /// <summary>The device as Synapse lists it: every field present, null when unknown.</summary>
    static JsonObject DeviceJson(Device d) => new()
    {
        ["user_id"] = d.UserId,
        ["device_id"] = d.DeviceId,
        ["display_name"] = d.DisplayName,
        ["last_seen_ip"] = d.LastSeenIp,
        ["last_seen_ts"] = d.LastSeenTs,
    };
}
