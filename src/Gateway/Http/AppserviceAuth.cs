using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Http;

/// <summary>
/// spec: application service API, "Identity assertion" — a request made with a service's <c>as_token</c>
/// acts as the service's sender, or as the user named by <c>?user_id=</c> when that user is one of the
/// service's users and exists (Synapse: 403 M_FORBIDDEN otherwise). No device: the service is not a device.
/// </summary>
public static class AppserviceAuth
{
    public static async Task<Requester> AuthAsync(HttpContext ctx, ApplicationService service, string token)
    {
        var userId = service.Sender;
        if (ctx.Request.Query.TryGetValue("user_id", out var asked) && asked.ToString() is { Length: > 0 } masquerade
            && masquerade != service.Sender)
        {
            if (!service.IsInterestedInUser(masquerade))
                throw MatrixException.Forbidden($"Application service cannot masquerade as this user ({masquerade}).");
            var db = ctx.RequestServices.GetRequiredService<MyelinDatabase>();
            if (await db.Accounts.GetUserAsync(masquerade) is null)
                throw MatrixException.Forbidden($"Application service has not registered this user ({masquerade})");
            userId = masquerade;
        }
        return new Requester(userId, DeviceId: "", TokenId: 0, AccessToken: token, IsGuest: false, Appservice: service);
    }
}
