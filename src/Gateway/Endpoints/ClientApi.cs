using Myelin.Gateway.Endpoints.Admin;
using Myelin.Gateway.Endpoints.Client;

namespace Myelin.Gateway.Endpoints;

/// <summary>
/// The endpoint groups of the client-server API (Synapse's CLIENT_SERVLET_FUNCTIONS). Each group maps its
/// routes under every version prefix the routing table names for it.
/// </summary>
public static class ClientApi
{
    /// <summary>Prefixes Synapse serves the client API under (seed: <c>(api/v1|r0|v3|unstable)</c>).</summary>
    public static readonly string[] Prefixes = ["/_matrix/client/v3", "/_matrix/client/r0", "/_matrix/client/api/v1", "/_matrix/client/unstable"];

    public static void MapClientApi(this WebApplication app)
    {
        app.MapVersions();
        foreach (var prefix in Prefixes)
        {
            var g = app.MapGroup(prefix);
            g.MapRegister();
            g.MapLogin();
            g.MapDevices();
            g.MapProfile();
            g.MapRooms();
            g.MapMembership();
            g.MapRoomSend();
            g.MapRoomRead();
            g.MapDirectory();
            g.MapFilter();
            g.MapCapabilities();
            g.MapPushRules();
            g.MapNotifications();
            g.MapPushers();
            g.MapAccountData();
            g.MapTags();
            g.MapToDevice();
            g.MapTyping();
            g.MapReceipts();
            g.MapPresence();
            g.MapSync();
            g.MapLegacySync();
            g.MapUserDirectory();
            g.MapReport();
        }
        var v1 = app.MapGroup("/_matrix/client/v1");
        v1.MapRoomReadV1();
        app.MapAdminApi();
        v1.MapAppservicePing();
        // Media is served only where enable_media_repo says; elsewhere the fallback answers M_UNRECOGNIZED.
        if (app.Services.GetRequiredService<Myelin.Silo.Configuration.HomeserverOptions>().Cluster.WorkerApps.EnableMediaRepo)
        {
            app.MapMedia();
            app.MapMediaAdmin();
        }
    }
}
