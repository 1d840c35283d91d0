using Myelin.Gateway.Http;
using Myelin.Grains.Streams;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>
/// Synapse's admin API under <c>/_synapse/admin</c> (Synapse's register_servlets_for_client_rest_resource):
/// one group per area. Every endpoint but shared-secret registration and the server version asks for a
/// server admin's access token (403 M_FORBIDDEN for anyone else).
/// </summary>
public static class AdminApi
{
    public const string Prefix = "/_synapse/admin";

    public static IServiceCollection AddMyelinAdmin(this IServiceCollection services)
    {
        services.AddSingleton<UserAdministration>();
        services.AddSingleton<RoomAdministration>();
        return services;
    }

    public static void MapAdminApi(this WebApplication app)
    {
        var g = app.MapGroup(Prefix);
        g.MapServerVersion();
        g.MapRegisterAdmin();
        g.MapUsersAdmin();
        g.MapRoomsAdmin();
        g.MapReportsAdmin();

        // A user deactivated or logged out through another gateway: this one's token cache lets go too.
        var tokens = app.Services.GetRequiredService<AccessTokens>();
        app.Services.GetRequiredService<CachesStream>().On(CachesStream.UserTokens, keys =>
        {
            if (keys.Count > 0) tokens.ForgetUser(keys[0]);
        });
    }
}
