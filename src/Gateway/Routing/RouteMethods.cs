namespace Myelin.Gateway.Routing;

/// <summary>
/// The HTTP methods each routing-table pattern covers, as the spec defines the endpoints under it (every
/// endpoint the pattern matches, whether Myelin serves it yet or not). Kept beside the table rather than in
/// its rows so that flipping a row to implemented stays a one-word change; a test checks that every row has
/// an entry here and that, for implemented rows, the methods are exactly those the gateway maps
/// (its OpenAPI document).
/// </summary>
public static class RouteMethods
{
    const string Get = "GET", Post = "POST", Put = "PUT", Delete = "DELETE";

    static readonly Dictionary<string, string[]> ByPattern = new()
    {
        // Sync requests
        [@"^/_matrix/client/(r0|v3)/sync$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3)/events$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3)/initialSync$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3)/rooms/[^/]+/initialSync$"] = [Get],

        // Federation requests
        [@"^/_matrix/federation/v1/event/"] = [Get],
        [@"^/_matrix/federation/v1/state/"] = [Get],
        [@"^/_matrix/federation/v1/state_ids/"] = [Get],
        [@"^/_matrix/federation/v1/backfill/"] = [Get],
        [@"^/_matrix/federation/v1/get_missing_events/"] = [Post],
        [@"^/_matrix/federation/v1/publicRooms"] = [Get, Post],
        [@"^/_matrix/federation/v1/query/"] = [Get],
        [@"^/_matrix/federation/v1/make_join/"] = [Get],
        [@"^/_matrix/federation/v1/make_leave/"] = [Get],
        [@"^/_matrix/federation/(v1|v2)/send_join/"] = [Put],
        [@"^/_matrix/federation/(v1|v2)/send_leave/"] = [Put],
        [@"^/_matrix/federation/v1/make_knock/"] = [Get],
        [@"^/_matrix/federation/v1/send_knock/"] = [Put],
        [@"^/_matrix/federation/(v1|v2)/invite/"] = [Put],
        [@"^/_matrix/federation/v1/event_auth/"] = [Get],
        [@"^/_matrix/federation/v1/timestamp_to_event/"] = [Get],
        [@"^/_matrix/federation/v1/exchange_third_party_invite/"] = [Put],
        [@"^/_matrix/federation/v1/user/devices/"] = [Get],
        [@"^/_matrix/key/v2/query"] = [Get, Post],
        [@"^/_matrix/federation/v1/hierarchy/"] = [Get],
        [@"^/_matrix/federation/v1/send/"] = [Put],

        // Client API requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/createRoom$"] = [Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/publicRooms$"] = [Get, Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/joined_members$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/context/.*$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/members$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state$"] = [Get],
        [@"^/_matrix/client/v1/rooms/.*/hierarchy$"] = [Get],
        [@"^/_matrix/client/(v1|unstable)/rooms/.*/relations/"] = [Get],
        [@"^/_matrix/client/v1/rooms/.*/threads$"] = [Get],
        [@"^/_matrix/client/unstable/im.nheko.summary/summary/.*$"] = [Get],
        [@"^/_matrix/client/(r0|v3|unstable)/account/3pid$"] = [Get, Post],
        [@"^/_matrix/client/(r0|v3|unstable)/account/whoami$"] = [Get],
        [@"^/_matrix/client/(r0|v3|unstable)/devices$"] = [Get],
        [@"^/_matrix/client/versions$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/voip/turnServer$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/event/"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/joined_rooms$"] = [Get],
        [@"^/_matrix/client/v1/rooms/.*/timestamp_to_event$"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable/.*)/rooms/.*/aliases"] = [Get],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/search$"] = [Post],
        [@"^/_matrix/client/(r0|v3|unstable)/user/.*/filter(/|$)"] = [Get, Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/directory/room/.*$"] = [Get, Put, Delete],
        [@"^/_matrix/client/(r0|v3|unstable)/capabilities$"] = [Get],
        [@"^/_matrix/client/(r0|v3|unstable)/notifications$"] = [Get],

        // Encryption requests
        [@"^/_matrix/client/(r0|v3|unstable)/keys/query$"] = [Post],
        [@"^/_matrix/client/(r0|v3|unstable)/keys/changes$"] = [Get],
        [@"^/_matrix/client/(r0|v3|unstable)/keys/claim$"] = [Post],
        [@"^/_matrix/client/(r0|v3|unstable)/room_keys/"] = [Get, Post, Put, Delete],
        [@"^/_matrix/client/(r0|v3|unstable)/keys/upload/"] = [Post],
        [@"^/_matrix/client/v3/keys/upload"] = [Post],

        // Registration/login requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/login$"] = [Get, Post],
        [@"^/_matrix/client/(r0|v3|unstable)/register$"] = [Post],
        [@"^/_matrix/client/(r0|v3|unstable)/register/available$"] = [Get],
        [@"^/_matrix/client/v1/register/m.login.registration_token/validity$"] = [Get],
        [@"^/_matrix/client/(r0|v3|unstable)/password_policy$"] = [Get],

        // Event sending requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/redact"] = [Post, Put],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/send"] = [Post, Put],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state/"] = [Get, Put],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$"] = [Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/join/"] = [Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/knock/"] = [Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/profile/"] = [Get, Put, Delete],

        // User directory search requests
        [@"^/_matrix/client/(r0|v3|unstable)/user_directory/search$"] = [Post],

        // Push rules requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/pushrules/"] = [Get, Put, Delete],
        [@"^/_matrix/client/unstable/org.matrix.msc4140/delayed_events"] = [Get, Post],

        // Account data requests
        [@"^/_matrix/client/(r0|v3|unstable)/.*/tags"] = [Get, Put, Delete],
        [@"^/_matrix/client/(r0|v3|unstable)/.*/account_data"] = [Get, Put],

        // Presence requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/presence/"] = [Get, Put],

        // Pagination requests
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/messages$"] = [Get],

        // SSO
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/login/sso/redirect"] = [Get],
        [@"^/_synapse/client/pick_idp$"] = [Get],
        [@"^/_synapse/client/pick_username"] = [Get, Post],
        [@"^/_synapse/client/new_user_consent$"] = [Get, Post],
        [@"^/_synapse/client/sso_register$"] = [Get],
        [@"^/_synapse/client/oidc/callback$"] = [Get, Post],
        [@"^/_synapse/client/saml2/authn_response$"] = [Post],
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/login/cas/ticket$"] = [Get],

        // Stream writers
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/typing"] = [Put],
        [@"^/_matrix/client/(r0|v3|unstable)/sendToDevice/"] = [Put],
        [@"^/_matrix/client/(r0|v3|unstable)/rooms/.*/receipt"] = [Post],
        [@"^/_matrix/client/(r0|v3|unstable)/rooms/.*/read_markers"] = [Post],

        // Media repository
        [@"^/_matrix/media/"] = [Get, Post, Put],
        [@"^/_matrix/client/v1/media/"] = [Get],
        [@"^/_matrix/federation/v1/media/"] = [Get],
        [@"^/_synapse/admin/v1/purge_media_cache$"] = [Post],
        [@"^/_synapse/admin/v1/room/.*/media.*$"] = [Get, Post],
        [@"^/_synapse/admin/v1/user/.*/media.*$"] = [Post],
        [@"^/_synapse/admin/v1/media/.*$"] = [Get, Post, Delete],
        [@"^/_synapse/admin/v1/quarantine_media/.*$"] = [Post],
        [@"^/_synapse/admin/v1/users/.*/media$"] = [Get, Delete],

        // Event reports and Synapse's admin API
        [@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/report/"] = [Post],
        [@"^/_synapse/admin/v1/register$"] = [Get, Post],
        [@"^/_synapse/admin/v1/server_version$"] = [Get],
        [@"^/_synapse/admin/v2/users$"] = [Get],
        [@"^/_synapse/admin/v2/users/[^/]+$"] = [Get, Put],
        [@"^/_synapse/admin/v1/deactivate/[^/]+$"] = [Post],
        [@"^/_synapse/admin/v1/reset_password/[^/]+$"] = [Post],
        [@"^/_synapse/admin/v1/whois/[^/]+$"] = [Get],
        [@"^/_synapse/admin/v1/users/[^/]+/admin$"] = [Get, Put],
        [@"^/_synapse/admin/v1/rooms$"] = [Get],
        [@"^/_synapse/admin/v1/rooms/[^/]+$"] = [Get],
        [@"^/_synapse/admin/v1/rooms/[^/]+/members$"] = [Get],
        [@"^/_synapse/admin/v1/rooms/[^/]+/state$"] = [Get],
        [@"^/_synapse/admin/v2/rooms/[^/]+$"] = [Delete],
        [@"^/_synapse/admin/v2/rooms/[^/]+/delete_status$"] = [Get],
        [@"^/_synapse/admin/v2/rooms/delete_status/[^/]+$"] = [Get],
        [@"^/_synapse/admin/v1/purge_history/[^/]+(/[^/]+)?$"] = [Post],
        [@"^/_synapse/admin/v1/purge_history_status/[^/]+$"] = [Get],
        [@"^/_synapse/admin/v1/event_reports$"] = [Get],
        [@"^/_synapse/admin/v1/event_reports/[^/]+$"] = [Get, Delete],
    };

    /// <summary>Every pattern listed here (a test checks each is a row of the table).</summary>
    public static IEnumerable<string> Patterns => ByPattern.Keys;

    /// <summary>The methods of <paramref name="pattern"/>; empty when the pattern has no entry here.</summary>
    public static IReadOnlyList<string> For(string pattern) => ByPattern.TryGetValue(pattern, out var m) ? m : [];
}
