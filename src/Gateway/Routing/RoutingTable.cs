namespace Myelin.Gateway.Routing;

/// <summary>Who does the work behind a route: a grain type, a worker app, or the gateway itself.</summary>
public static class Owners
{
    public const string Gateway = "gateway";
    public const string Room = "RoomGrain";
    public const string Sync = "SyncGrain";
    public const string Accounts = "gateway (accounts store)";
    public const string Typing = "TypingGrain";
    public const string ToDevice = "ToDeviceGrain";
    public const string Receipts = "ReceiptsGrain";
    public const string Presence = "PresenceGrain";
    public const string AccountData = "AccountDataGrain";
    public const string PushRules = "PushRulesGrain";
    public const string Federation = "federation";
    public const string Media = "media_repository";
    public const string UserDirectory = "user_dir";
    public const string Sso = "sso";
    public const string Admin = "gateway (admin API)";
}

/// <summary>
/// One row of the routing table: an endpoint pattern exactly as Synapse's worker documentation writes it
/// (<c>seed/workers.md</c>), the endpoint group serving it, the owner of the work, whether it is
/// implemented, and a sample path that the pattern matches (used by tests and the routes command). The
/// nginx configuration <c>routes --nginx</c> writes is generated from these rows (<see cref="NginxConfig"/>).
/// </summary>
public sealed record RouteEntry(string Pattern, string Group, string Owner, bool Implemented, string SamplePath)
{
    /// <summary>The HTTP methods of the endpoints under this pattern (<see cref="RouteMethods"/>).</summary>
    public IReadOnlyList<string> Methods => RouteMethods.For(Pattern);
}

/// <summary>
/// Every endpoint pattern of Synapse's worker documentation, bound to the group that serves it. A pattern
/// not implemented yet is answered <c>404 M_UNRECOGNIZED</c> by the fallback, and the README says "missing".
/// </summary>
public static class RoutingTable
{
    const string R = "!r:localhost";
    const string U = "@u:localhost";

    public static readonly IReadOnlyList<RouteEntry> Entries =
    [
        // Sync requests
        new(@"^/_matrix/client/(r0|v3)/sync$", "Sync", Owners.Sync, true, "/_matrix/client/v3/sync"),
        new(@"^/_matrix/client/(api/v1|r0|v3)/events$", "Sync", Owners.Sync, true, "/_matrix/client/v3/events"),
        new(@"^/_matrix/client/(api/v1|r0|v3)/initialSync$", "Sync", Owners.Sync, true, "/_matrix/client/v3/initialSync"),
        new(@"^/_matrix/client/(api/v1|r0|v3)/rooms/[^/]+/initialSync$", "Sync", Owners.Sync, true, $"/_matrix/client/v3/rooms/{R}/initialSync"),

        // Federation requests
        new(@"^/_matrix/federation/v1/event/", "Federation", Owners.Federation, false, "/_matrix/federation/v1/event/$e"),
        new(@"^/_matrix/federation/v1/state/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/state/{R}"),
        new(@"^/_matrix/federation/v1/state_ids/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/state_ids/{R}"),
        new(@"^/_matrix/federation/v1/backfill/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/backfill/{R}"),
        new(@"^/_matrix/federation/v1/get_missing_events/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/get_missing_events/{R}"),
        new(@"^/_matrix/federation/v1/publicRooms", "Federation", Owners.Federation, false, "/_matrix/federation/v1/publicRooms"),
        new(@"^/_matrix/federation/v1/query/", "Federation", Owners.Federation, false, "/_matrix/federation/v1/query/profile"),
        new(@"^/_matrix/federation/v1/make_join/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/make_join/{R}/{U}"),
        new(@"^/_matrix/federation/v1/make_leave/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/make_leave/{R}/{U}"),
        new(@"^/_matrix/federation/(v1|v2)/send_join/", "Federation", Owners.Federation, false, $"/_matrix/federation/v2/send_join/{R}/$e"),
        new(@"^/_matrix/federation/(v1|v2)/send_leave/", "Federation", Owners.Federation, false, $"/_matrix/federation/v2/send_leave/{R}/$e"),
        new(@"^/_matrix/federation/v1/make_knock/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/make_knock/{R}/{U}"),
        new(@"^/_matrix/federation/v1/send_knock/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/send_knock/{R}/$e"),
        new(@"^/_matrix/federation/(v1|v2)/invite/", "Federation", Owners.Federation, false, $"/_matrix/federation/v2/invite/{R}/$e"),
        new(@"^/_matrix/federation/v1/event_auth/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/event_auth/{R}/$e"),
        new(@"^/_matrix/federation/v1/timestamp_to_event/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/timestamp_to_event/{R}"),
        new(@"^/_matrix/federation/v1/exchange_third_party_invite/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/exchange_third_party_invite/{R}"),
        new(@"^/_matrix/federation/v1/user/devices/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/user/devices/{U}"),
        new(@"^/_matrix/key/v2/query", "Federation", Owners.Federation, false, "/_matrix/key/v2/query"),
        new(@"^/_matrix/federation/v1/hierarchy/", "Federation", Owners.Federation, false, $"/_matrix/federation/v1/hierarchy/{R}"),
        new(@"^/_matrix/federation/v1/send/", "Federation", Owners.Federation, false, "/_matrix/federation/v1/send/txn1"),

        // Client API requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/createRoom$", "Rooms", Owners.Room, true, "/_matrix/client/v3/createRoom"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/publicRooms$", "Directory", Owners.Gateway, true, "/_matrix/client/v3/publicRooms"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/joined_members$", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/joined_members"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/context/.*$", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/context/$e"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/members$", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/members"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state$", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/state"),
        new(@"^/_matrix/client/v1/rooms/.*/hierarchy$", "Spaces", Owners.Room, false, $"/_matrix/client/v1/rooms/{R}/hierarchy"),
        new(@"^/_matrix/client/(v1|unstable)/rooms/.*/relations/", "Relations", Owners.Room, false, $"/_matrix/client/v1/rooms/{R}/relations/$e"),
        new(@"^/_matrix/client/v1/rooms/.*/threads$", "Relations", Owners.Room, false, $"/_matrix/client/v1/rooms/{R}/threads"),
        new(@"^/_matrix/client/unstable/im.nheko.summary/summary/.*$", "Spaces", Owners.Room, false, $"/_matrix/client/unstable/im.nheko.summary/summary/{R}"),
        new(@"^/_matrix/client/(r0|v3|unstable)/account/3pid$", "Account", Owners.Accounts, false, "/_matrix/client/v3/account/3pid"),
        new(@"^/_matrix/client/(r0|v3|unstable)/account/whoami$", "Login", Owners.Accounts, true, "/_matrix/client/v3/account/whoami"),
        new(@"^/_matrix/client/(r0|v3|unstable)/devices$", "Devices", Owners.Accounts, true, "/_matrix/client/v3/devices"),
        new(@"^/_matrix/client/versions$", "Versions", Owners.Gateway, true, "/_matrix/client/versions"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/voip/turnServer$", "Voip", Owners.Gateway, false, "/_matrix/client/v3/voip/turnServer"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/event/", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/event/$e"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/joined_rooms$", "RoomRead", Owners.Room, true, "/_matrix/client/v3/joined_rooms"),
        new(@"^/_matrix/client/v1/rooms/.*/timestamp_to_event$", "RoomRead", Owners.Room, false, $"/_matrix/client/v1/rooms/{R}/timestamp_to_event"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases", "Directory", Owners.Gateway, true, $"/_matrix/client/v3/rooms/{R}/aliases"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/search$", "Search", Owners.Gateway, false, "/_matrix/client/v3/search"),
        new(@"^/_matrix/client/(r0|v3|unstable)/user/.*/filter(/|$)", "Filter", Owners.Accounts, true, $"/_matrix/client/v3/user/{U}/filter"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/directory/room/.*$", "Directory", Owners.Gateway, true, "/_matrix/client/v3/directory/room/#a:localhost"),
        new(@"^/_matrix/client/(r0|v3|unstable)/capabilities$", "Capabilities", Owners.Gateway, true, "/_matrix/client/v3/capabilities"),
        new(@"^/_matrix/client/(r0|v3|unstable)/notifications$", "Notifications", Owners.PushRules, true, "/_matrix/client/v3/notifications"),

        // Encryption requests
        new(@"^/_matrix/client/(r0|v3|unstable)/keys/query$", "Keys", Owners.Gateway, false, "/_matrix/client/v3/keys/query"),
        new(@"^/_matrix/client/(r0|v3|unstable)/keys/changes$", "Keys", Owners.Gateway, false, "/_matrix/client/v3/keys/changes"),
        new(@"^/_matrix/client/(r0|v3|unstable)/keys/claim$", "Keys", Owners.Gateway, false, "/_matrix/client/v3/keys/claim"),
        new(@"^/_matrix/client/(r0|v3|unstable)/room_keys/", "Keys", Owners.Gateway, false, "/_matrix/client/v3/room_keys/version"),
        new(@"^/_matrix/client/(r0|v3|unstable)/keys/upload/", "Keys", Owners.Gateway, false, "/_matrix/client/v3/keys/upload/dev"),
        new(@"^/_matrix/client/v3/keys/upload", "Keys", Owners.Gateway, false, "/_matrix/client/v3/keys/upload"),

        // Registration/login requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/login$", "Login", Owners.Accounts, true, "/_matrix/client/v3/login"),
        new(@"^/_matrix/client/(r0|v3|unstable)/register$", "Register", Owners.Accounts, true, "/_matrix/client/v3/register"),
        new(@"^/_matrix/client/(r0|v3|unstable)/register/available$", "Register", Owners.Accounts, true, "/_matrix/client/v3/register/available"),
        new(@"^/_matrix/client/v1/register/m.login.registration_token/validity$", "Register", Owners.Accounts, false, "/_matrix/client/v1/register/m.login.registration_token/validity"),
        new(@"^/_matrix/client/(r0|v3|unstable)/password_policy$", "Register", Owners.Accounts, false, "/_matrix/client/v3/password_policy"),

        // Event sending requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/redact", "RoomSend", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/redact/$e/t1"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/send", "RoomSend", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/send/m.room.message/t1"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state/", "RoomSend", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/state/m.room.name/"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$", "Membership", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/join"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/join/", "Membership", Owners.Room, true, $"/_matrix/client/v3/join/{R}"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/knock/", "Membership", Owners.Room, false, $"/_matrix/client/v3/knock/{R}"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/profile/", "Profile", Owners.Accounts, true, $"/_matrix/client/v3/profile/{U}"),

        // User directory search requests
        new(@"^/_matrix/client/(r0|v3|unstable)/user_directory/search$", "UserDirectory", Owners.UserDirectory, true, "/_matrix/client/v3/user_directory/search"),

        // Push rules requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/pushrules/", "PushRules", Owners.PushRules, true, "/_matrix/client/v3/pushrules/"),
        new(@"^/_matrix/client/unstable/org.matrix.msc4140/delayed_events", "DelayedEvents", Owners.Room, false, "/_matrix/client/unstable/org.matrix.msc4140/delayed_events"),

        // Account data requests
        new(@"^/_matrix/client/(r0|v3|unstable)/.*/tags", "Tags", Owners.AccountData, true, $"/_matrix/client/v3/user/{U}/rooms/{R}/tags"),
        new(@"^/_matrix/client/(r0|v3|unstable)/.*/account_data", "AccountData", Owners.AccountData, true, $"/_matrix/client/v3/user/{U}/account_data/m.direct"),

        // Presence requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/presence/", "Presence", Owners.Presence, true, $"/_matrix/client/v3/presence/{U}/status"),

        // Pagination requests
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/messages$", "RoomRead", Owners.Room, true, $"/_matrix/client/v3/rooms/{R}/messages"),

        // SSO
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/login/sso/redirect", "Sso", Owners.Sso, false, "/_matrix/client/v3/login/sso/redirect"),
        new(@"^/_synapse/client/pick_idp$", "Sso", Owners.Sso, false, "/_synapse/client/pick_idp"),
        new(@"^/_synapse/client/pick_username", "Sso", Owners.Sso, false, "/_synapse/client/pick_username/account_details"),
        new(@"^/_synapse/client/new_user_consent$", "Sso", Owners.Sso, false, "/_synapse/client/new_user_consent"),
        new(@"^/_synapse/client/sso_register$", "Sso", Owners.Sso, false, "/_synapse/client/sso_register"),
        new(@"^/_synapse/client/oidc/callback$", "Sso", Owners.Sso, false, "/_synapse/client/oidc/callback"),
        new(@"^/_synapse/client/saml2/authn_response$", "Sso", Owners.Sso, false, "/_synapse/client/saml2/authn_response"),
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/login/cas/ticket$", "Sso", Owners.Sso, false, "/_matrix/client/v3/login/cas/ticket"),

        // Stream writers
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/typing", "Typing", Owners.Typing, true, $"/_matrix/client/v3/rooms/{R}/typing/{U}"),
        new(@"^/_matrix/client/(r0|v3|unstable)/sendToDevice/", "ToDevice", Owners.ToDevice, true, "/_matrix/client/v3/sendToDevice/m.test/t1"),
        new(@"^/_matrix/client/(r0|v3|unstable)/rooms/.*/receipt", "Receipts", Owners.Receipts, true, $"/_matrix/client/v3/rooms/{R}/receipt/m.read/$e"),
        new(@"^/_matrix/client/(r0|v3|unstable)/rooms/.*/read_markers", "Receipts", Owners.Receipts, true, $"/_matrix/client/v3/rooms/{R}/read_markers"),

        // Media repository
        new(@"^/_matrix/media/", "Media", Owners.Media, true, "/_matrix/media/v3/config"),
        new(@"^/_matrix/client/v1/media/", "Media", Owners.Media, true, "/_matrix/client/v1/media/config"),
        new(@"^/_matrix/federation/v1/media/", "Media", Owners.Media, false, "/_matrix/federation/v1/media/download/m"),
        new(@"^/_synapse/admin/v1/purge_media_cache$", "MediaAdmin", Owners.Media, true, "/_synapse/admin/v1/purge_media_cache"),
        new(@"^/_synapse/admin/v1/room/.*/media.*$", "MediaAdmin", Owners.Media, true, $"/_synapse/admin/v1/room/{R}/media"),
        new(@"^/_synapse/admin/v1/user/.*/media.*$", "MediaAdmin", Owners.Media, true, $"/_synapse/admin/v1/user/{U}/media/quarantine"),
        new(@"^/_synapse/admin/v1/media/.*$", "MediaAdmin", Owners.Media, true, "/_synapse/admin/v1/media/localhost/m"),
        new(@"^/_synapse/admin/v1/quarantine_media/.*$", "MediaAdmin", Owners.Media, true, $"/_synapse/admin/v1/quarantine_media/{R}"),
        new(@"^/_synapse/admin/v1/users/.*/media$", "MediaAdmin", Owners.Media, true, $"/_synapse/admin/v1/users/{U}/media"),

        // Reporting content (not in the seed: served by the main process in Synapse)
        new(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/report/", "Report", Owners.Gateway, true, $"/_matrix/client/v3/rooms/{R}/report/$e"),

        // Admin API (not in the seed: Synapse serves it on the main process; any gateway serves it here)
        new(@"^/_synapse/admin/v1/register$", "AdminRegister", Owners.Admin, true, "/_synapse/admin/v1/register"),
        new(@"^/_synapse/admin/v1/server_version$", "AdminServerVersion", Owners.Admin, true, "/_synapse/admin/v1/server_version"),
        new(@"^/_synapse/admin/v2/users$", "AdminUsers", Owners.Admin, true, "/_synapse/admin/v2/users"),
        new(@"^/_synapse/admin/v2/users/[^/]+$", "AdminUsers", Owners.Admin, true, $"/_synapse/admin/v2/users/{U}"),
        new(@"^/_synapse/admin/v1/deactivate/[^/]+$", "AdminUsers", Owners.Admin, true, $"/_synapse/admin/v1/deactivate/{U}"),
        new(@"^/_synapse/admin/v1/reset_password/[^/]+$", "AdminUsers", Owners.Admin, true, $"/_synapse/admin/v1/reset_password/{U}"),
        new(@"^/_synapse/admin/v1/whois/[^/]+$", "AdminUsers", Owners.Admin, true, "/_synapse/admin/v1/whois/@other:localhost"),
        new(@"^/_synapse/admin/v1/users/[^/]+/admin$", "AdminUsers", Owners.Admin, true, $"/_synapse/admin/v1/users/{U}/admin"),
        new(@"^/_synapse/admin/v1/rooms$", "AdminRooms", Owners.Admin, true, "/_synapse/admin/v1/rooms"),
        new(@"^/_synapse/admin/v1/rooms/[^/]+$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v1/rooms/{R}"),
        new(@"^/_synapse/admin/v1/rooms/[^/]+/members$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v1/rooms/{R}/members"),
        new(@"^/_synapse/admin/v1/rooms/[^/]+/state$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v1/rooms/{R}/state"),
        new(@"^/_synapse/admin/v2/rooms/[^/]+$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v2/rooms/{R}"),
        new(@"^/_synapse/admin/v2/rooms/[^/]+/delete_status$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v2/rooms/{R}/delete_status"),
        new(@"^/_synapse/admin/v2/rooms/delete_status/[^/]+$", "AdminRooms", Owners.Admin, true, "/_synapse/admin/v2/rooms/delete_status/d1"),
        new(@"^/_synapse/admin/v1/purge_history/[^/]+(/[^/]+)?$", "AdminRooms", Owners.Admin, true, $"/_synapse/admin/v1/purge_history/{R}"),
        new(@"^/_synapse/admin/v1/purge_history_status/[^/]+$", "AdminRooms", Owners.Admin, true, "/_synapse/admin/v1/purge_history_status/p1"),
        new(@"^/_synapse/admin/v1/event_reports$", "AdminReports", Owners.Admin, true, "/_synapse/admin/v1/event_reports"),
        new(@"^/_synapse/admin/v1/event_reports/[^/]+$", "AdminReports", Owners.Admin, true, "/_synapse/admin/v1/event_reports/1"),
    ];
}
