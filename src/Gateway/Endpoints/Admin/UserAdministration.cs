using System.Text.Json.Nodes;
using Myelin.Gateway.Endpoints.Client;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>
/// What the user admin endpoints do besides reading and writing rows (Synapse's deactivate-account and
/// set-password handlers): logging a user out everywhere, deactivating, and the admin view of a user.
/// </summary>
public sealed class UserAdministration(MyelinDatabase db, IGrainFactory grains, StreamFanout fanout, AccessTokens tokens,
    ILogger<UserAdministration> log)
{
    /// <summary>Synapse's user types (UserTypes.ALL_USER_TYPES).</summary>
    public static readonly string[] UserTypes = ["support", "bot"];
    public const int MaxPasswordLength = 512;

    /// <summary>Every device and access token of the user goes, on every gateway (their token caches are told over the caches stream).</summary>
    public async Task LogOutEverywhereAsync(string userId)
    {
        var devices = await db.Devices.GetDevicesAsync(userId);
        await db.Devices.DeleteDevicesAsync(userId, devices.Select(d => d.DeviceId).ToList());
        await db.AccessTokens.DeleteAllForUserAsync(userId);
        tokens.ForgetUser(userId);
        await CachesStream.InvalidateAsync(fanout, CachesStream.UserTokens, userId);
    }

    /// <summary>Synapse's set_password: a new hash, and every session ended unless told otherwise.</summary>
    public async Task SetPasswordAsync(string userId, string password, bool logoutDevices, int bcryptRounds)
    {
        CheckPassword(password);
        await db.Accounts.SetPasswordHashAsync(userId, PasswordHasher.Hash(password, bcryptRounds));
        if (logoutDevices) await LogOutEverywhereAsync(userId);
    }

    public static void CheckPassword(string password)
    {
        if (password.Length > MaxPasswordLength || password.Contains('\0')) throw MatrixException.InvalidParam("Invalid password");
    }

    /// <summary>
    /// Synapse's deactivate_account: ends every session, wipes the password, leaves every room (and rejects
    /// every invite), drops the user's account data; with <paramref name="erase"/> also the profile, marking
    /// the user erased. A room that refuses the leave does not stop the rest.
    /// </summary>
    public async Task DeactivateAsync(string userId, bool erase)
    {
        await db.Accounts.SetDeactivatedAsync(userId, true);
        await LogOutEverywhereAsync(userId);
        await db.Admin.ClearPasswordAsync(userId);
        if (erase)
        {
            await db.Accounts.SetDisplayNameAsync(userId, null);
            await db.Accounts.SetAvatarUrlAsync(userId, null);
            await db.Admin.SetErasedAsync(userId, true);
        }
        await LeaveAllRoomsAsync(userId);
    }

    /// <summary>The user leaves every room they are joined to, invited to or knocking on, one room at a time.</summary>
    public async Task<List<string>> LeaveAllRoomsAsync(string userId)
    {
        var left = new List<string>();
        var content = RoomsEndpoints.MemberContent("leave", null).ToJsonString();
        foreach (var row in await db.Events.GetMembershipsForUserAsync(userId))
        {
            if (row.Membership is not ("join" or "invite" or "knock")) continue;
            try
            {
                await grains.Room(row.RoomId).Send(new EventDraft("m.room.member", userId, userId, content), null);
                left.Add(row.RoomId);
            }
            catch (MatrixException e)
            {
                log.LogWarning("{UserId} could not leave {RoomId}: {Error}", userId, row.RoomId, e.Message);
            }
        }
        return left;
    }

    /// <summary>Synapse's admin view of one user (GET /_synapse/admin/v2/users/{userId}).</summary>
    public static JsonObject Describe(AdminUser u) => new()
    {
        ["name"] = u.UserId,
        ["displayname"] = u.DisplayName,
        ["threepids"] = new JsonArray(),
        ["avatar_url"] = u.AvatarUrl,
        ["is_guest"] = u.IsGuest,
        ["admin"] = u.IsAdmin,
        ["deactivated"] = u.Deactivated,
        ["erased"] = u.Erased,
        ["shadow_banned"] = false,
        ["creation_ts"] = u.CreationTs,
        ["last_seen_ts"] = u.LastSeenTs,
        ["appservice_id"] = null,
        ["consent_server_notice_sent"] = null,
        ["consent_version"] = null,
        ["consent_ts"] = null,
        ["external_ids"] = new JsonArray(),
        ["user_type"] = u.UserType,
        ["locked"] = false,
        ["suspended"] = false,
    };

    /// <summary>One entry of the user list (GET /_synapse/admin/v2/users).</summary>
    public static JsonObject ListEntry(AdminUser u) => new()
    {
        ["name"] = u.UserId,
        ["is_guest"] = u.IsGuest,
        ["admin"] = u.IsAdmin,
        ["user_type"] = u.UserType,
        ["deactivated"] = u.Deactivated,
        ["erased"] = u.Erased,
        ["shadow_banned"] = false,
        ["displayname"] = u.DisplayName,
        ["avatar_url"] = u.AvatarUrl,
        ["creation_ts"] = u.CreationTs,
        ["last_seen_ts"] = u.LastSeenTs,
        ["locked"] = false,
    };
}
