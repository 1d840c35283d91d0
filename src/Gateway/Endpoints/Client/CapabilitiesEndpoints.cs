using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Matrix;

namespace Myelin.Gateway.Endpoints.Client;

public static class CapabilitiesEndpoints
{
    public static void MapCapabilities(this RouteGroupBuilder g) => g.MapGet("/capabilities", GetCapabilities);

    /// <summary>`GET /_matrix/client/v3/capabilities`</summary>
    static async Task<IResult> GetCapabilities(HttpContext ctx, ServerIdentity server)
    {
        await ctx.AuthAsync();
        var available = new JsonObject();
        foreach (var version in RoomVersions.Supported) available[version.Id] = "stable";
        return JsonBody.Json(new JsonObject
        {
            ["capabilities"] = new JsonObject
            {
                ["m.room_versions"] = new JsonObject
                {
                    ["default"] = server.DefaultRoomVersion.Id,
                    ["available"] = available,
                },
                ["m.change_password"] = Enabled(true),
                ["m.set_displayname"] = Enabled(true),
                ["m.set_avatar_url"] = Enabled(true),
                ["m.3pid_changes"] = Enabled(false),
                ["m.get_login_token"] = Enabled(false),
                // spec v1.16: only the two classic fields can be changed here (see ProfileEndpoints).
                ["m.profile_fields"] = new JsonObject
                {
                    ["enabled"] = true,
                    ["allowed"] = new JsonArray("displayname", "avatar_url"),
                },
            },
        });
    }

    static JsonObject Enabled(bool enabled) => new() { ["enabled"] = enabled };
}
