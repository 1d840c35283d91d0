using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Room tags (spec: "Room Tagging"): stored as the room's m.tag account data.</summary>
public static class TagsEndpoints
{
    const string TagType = "m.tag";
    const int MaxTagLength = 255;

    public static void MapTags(this RouteGroupBuilder g)
    {
        g.MapGet("/user/{userId}/rooms/{roomId}/tags", GetTags);
        g.MapPut("/user/{userId}/rooms/{roomId}/tags/{tag}", PutTag);
        g.MapDelete("/user/{userId}/rooms/{roomId}/tags/{tag}", DeleteTag);
    }

    /// <summary>`GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags`</summary>
    static async Task<IResult> GetTags(HttpContext ctx, string userId, string roomId, IGrainFactory grains)
    {
        var me = await AccountDataEndpoints.OwnerAsync(ctx, userId);
        var tags = await ReadTagsAsync(grains, me.UserId, RoomAccess.CheckRoomId(roomId));
        return JsonBody.Json(new JsonObject { ["tags"] = tags });
    }

    /// <summary>`PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}`</summary>
    static async Task<IResult> PutTag(HttpContext ctx, string userId, string roomId, string tag, IGrainFactory grains)
    {
        var me = await AccountDataEndpoints.OwnerAsync(ctx, userId);
        var room = RoomAccess.CheckRoomId(roomId);
        var name = CheckTag(tag);
        var body = await JsonBody.ReadObjectAsync(ctx.Request);
        if (body["order"] is { } order && !(order is JsonValue v && v.GetValueKind() == JsonValueKind.Number))
            throw MatrixException.BadJson("'order' must be a number");
        var tags = await ReadTagsAsync(grains, me.UserId, room);
        tags[name] = body.DeepClone();
        await grains.AccountData(me.UserId).Put(room, TagType, new JsonObject { ["tags"] = tags }.ToJsonString());
        return JsonBody.Empty();
    }

    /// <summary>`DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}`</summary>
    static async Task<IResult> DeleteTag(HttpContext ctx, string userId, string roomId, string tag, IGrainFactory grains)
    {
        var me = await AccountDataEndpoints.OwnerAsync(ctx, userId);
        var room = RoomAccess.CheckRoomId(roomId);
        var name = CheckTag(tag);
        var tags = await ReadTagsAsync(grains, me.UserId, room);
        // Deleting a tag the room does not have succeeds, as in Synapse.
        if (tags.Remove(name))
            await grains.AccountData(me.UserId).Put(room, TagType, new JsonObject { ["tags"] = tags }.ToJsonString());
        return JsonBody.Empty();
    }

    static async Task<JsonObject> ReadTagsAsync(IGrainFactory grains, string userId, string roomId)
    {
        var json = await grains.AccountData(userId).Get(roomId, TagType);
        return json is not null && JsonNode.Parse(json)?["tags"] is JsonObject tags ? tags.DeepClone().AsObject() : new JsonObject();
    }

    static string CheckTag(string tag)
    {
        var t = RoomAccess.DecodeSlashes(tag);
        if (t.Length is 0 or > MaxTagLength) throw MatrixException.InvalidParam("Invalid tag");
        return t;
    }
}
