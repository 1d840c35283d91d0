using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Silo.Configuration;

namespace Myelin.Gateway.Endpoints.Client;

public static class VersionsEndpoints
{
    static readonly string[] Versions =
        ["r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1",
         "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11", "v1.12"];

    public static void MapVersions(this WebApplication app)
    {
        app.MapGet("/_matrix/client/versions", GetVersions);
        app.MapGet("/.well-known/matrix/client", GetWellKnownClient);
    }

    /// <summary>`GET /_matrix/client/versions`</summary>
    static IResult GetVersions() => JsonBody.Json(new JsonObject
    {
        ["versions"] = new JsonArray(Versions.Select(v => (JsonNode)v!).ToArray()),
        ["unstable_features"] = new JsonObject(),
    });

    /// <summary>`GET /.well-known/matrix/client`</summary>
    static IResult GetWellKnownClient(HomeserverOptions options) => JsonBody.Json(new JsonObject
    {
        ["m.homeserver"] = new JsonObject { ["base_url"] = options.PublicBaseUrl },
    });
}
