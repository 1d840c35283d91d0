using System.Text;
using System.Text.RegularExpressions;

namespace Myelin.Gateway.Routing;

/// <summary>
/// Where nginx sends requests: the gateways, optionally a separate set for initial syncs and for media.
/// Addresses are <c>host:port</c> (<c>[v6]:port</c> for IPv6); <see cref="Listen"/> is a port or
/// <c>address:port</c>. <see cref="StateDirectory"/>, when set, holds nginx's pid file, temporary files
/// and logs (for running nginx unprivileged); otherwise they go where a container's nginx keeps them.
/// </summary>
public sealed record NginxTopology(
    IReadOnlyList<string> Gateways,
    IReadOnlyList<string> InitialSync,
    IReadOnlyList<string> Media,
    string Listen,
    string? StateDirectory)
{
    /// <summary>The pool initial syncs go to: <see cref="InitialSync"/>, or every gateway.</summary>
    public IReadOnlyList<string> InitialSyncServers => InitialSync.Count > 0 ? InitialSync : Gateways;
    /// <summary>The media instances: <see cref="Media"/>, or every gateway (each serves media unless
    /// <c>enable_media_repo: false</c>).</summary>
    public IReadOnlyList<string> MediaServers => Media.Count > 0 ? Media : Gateways;

    /// <summary>The <c>routes --nginx</c> arguments that give this topology (the generated file names them).</summary>
    public IEnumerable<string> ToArguments()
    {
        yield return "--nginx";
        foreach (var g in Gateways) { yield return "--gateway"; yield return g; }
        foreach (var g in InitialSync) { yield return "--initial-sync"; yield return g; }
        foreach (var g in Media) { yield return "--media"; yield return g; }
        yield return "--listen";
        yield return Listen;
        if (StateDirectory is not null) { yield return "--state-dir"; yield return StateDirectory; }
    }
}

/// <summary>How nginx spreads the requests of one routing-table pattern over the gateways.</summary>
public enum NginxPool
{
    /// <summary><c>/sync</c>: with <c>since</c> to <see cref="Sync"/>, without (an initial sync) to <see cref="InitialSync"/>.</summary>
    SyncBySince,
    /// <summary>Long-polls, hashed by the user part of the access token: a user's requests stay on one gateway.</summary>
    Sync,
    /// <summary>Initial syncs, hashed by user as well, on their own upstream (their own gateways if given).</summary>
    InitialSync,
    /// <summary>Event sending, hashed by the room ID in the path.</summary>
    Room,
    /// <summary>Inbound federation transactions, hashed by the sending server's address.</summary>
    FederationInbound,
    /// <summary>The media repository, round robin over the media instances.</summary>
    Media,
    /// <summary>Round robin over every gateway.</summary>
    Client,
}

/// <summary>
/// The nginx configuration for N gateways, generated from the routing table (Synapse issues 12139 and
/// 2554: admins keep nginx regexes in sync with the code by hand). Every table pattern becomes a
/// <c>location</c> whose upstream follows from its group and owner (<see cref="PoolOf"/>), so a new
/// endpoint group is routed without editing a file. The user-hashing follows the sync-worker example of
/// Synapse's worker documentation. None of it is needed for correctness (any gateway serves any request);
/// the hashing is for locality: warm caches and notifiers for a user's long-polls, one room's sends on one
/// gateway.
/// </summary>
public static class NginxConfig
{
    public const string SyncUpstream = "myelin_sync";
    public const string InitialSyncUpstream = "myelin_initial_sync";
    public const string RoomUpstream = "myelin_room";
    public const string FederationInboundUpstream = "myelin_federation_inbound";
    public const string MediaUpstream = "myelin_media";
    public const string ClientUpstream = "myelin_client";

    /// <summary>The pool a pattern's requests go to.</summary>
    public static NginxPool PoolOf(RouteEntry e)
    {
        if (e.Group == "Sync")
        {
            if (e.Pattern.Contains("initialSync", StringComparison.Ordinal)) return NginxPool.InitialSync;
            return e.Pattern.EndsWith("/sync$", StringComparison.Ordinal) ? NginxPool.SyncBySince : NginxPool.Sync;
        }
        if (e.Owner == Owners.Media) return NginxPool.Media;
        if (e.Group is "RoomSend" or "Membership" && e.Pattern.Contains("/rooms/", StringComparison.Ordinal)) return NginxPool.Room;
        if (e.Group == "Federation" && e.Pattern.EndsWith("/federation/v1/send/", StringComparison.Ordinal)) return NginxPool.FederationInbound;
        return NginxPool.Client;
    }

    /// <summary>What a location of the pool passes the request to.</summary>
    public static string ProxyTarget(NginxPool pool) => pool switch
    {
        // A variable target: nginx looks the value up among the upstream blocks below.
        NginxPool.SyncBySince => "http://$myelin_sync_pool",
        NginxPool.Sync => "http://" + SyncUpstream,
        NginxPool.InitialSync => "http://" + InitialSyncUpstream,
        NginxPool.Room => "http://" + RoomUpstream,
        NginxPool.FederationInbound => "http://" + FederationInboundUpstream,
        NginxPool.Media => "http://" + MediaUpstream,
        _ => "http://" + ClientUpstream,
    };

    /// <summary>The upstream block(s) of the pool, as the routes table shows them.</summary>
    public static string UpstreamOf(NginxPool pool) =>
        pool == NginxPool.SyncBySince ? $"{SyncUpstream}|{InitialSyncUpstream}" : ProxyTarget(pool)["http://".Length..];

    static readonly Regex Address = new(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$", RegexOptions.CultureInvariant);

    /// <summary>Null when <paramref name="value"/> is a <c>host:port</c> nginx accepts, else why not.</summary>
    public static string? CheckAddress(string value)
    {
        var m = Address.Match(value);
        if (!m.Success) return $"'{value}' is not host:port";
        return int.Parse(m.Groups[2].Value) is >= 1 and <= 65535 ? null : $"'{value}': the port must be 1 to 65535";
    }

    /// <summary>Null when <paramref name="value"/> is a port or <c>address:port</c>, else why not.</summary>
    public static string? CheckListen(string value) =>
        Regex.IsMatch(value, @"^\d{1,5}$")
            ? int.Parse(value) is >= 1 and <= 65535 ? null : $"'{value}': the port must be 1 to 65535"
            : CheckAddress(value);

    public static string Generate(NginxTopology t) => Generate(t, RoutingTable.Entries);

    public static string Generate(NginxTopology t, IReadOnlyList<RouteEntry> entries)
    {
        if (t.Gateways.Count == 0) throw new ArgumentException("at least one gateway", nameof(t));
        var state = t.StateDirectory?.TrimEnd('/');
        string Temp(string name) => state is null ? $"/tmp/nginx_{name}" : $"{state}/{name}";
        var log = state is null ? "/var/log/nginx/" : state + "/";

        var w = new StringBuilder();
        void L(string line = "") => w.Append(line).Append('\n');

        L("# nginx in front of Myelin's gateways. GENERATED from the gateway's routing table");
        L("# (src/Gateway/Routing/RoutingTable.cs, NginxConfig.cs): do not edit; run again");
        L($"#   dotnet Myelin.Gateway.dll routes {string.Join(' ', t.ToArguments())}");
        L("# Every pattern of the table is a location below; its upstream follows from its group:");
        L("#   /sync with a `since` token     -> myelin_sync, hashed by the user part of the access token (sticky)");
        L("#   /sync without `since`          -> myelin_initial_sync, its own upstream, hashed by user as well");
        L("#   legacy /events, /initialSync   -> the same split");
        L("#   event sending (send, state, redact, membership) -> myelin_room, hashed by the room ID");
        L("#   inbound federation transactions -> myelin_federation_inbound, hashed by the sender's address");
        L("#   media repository               -> myelin_media (the media instances)");
        L("#   everything else                -> myelin_client, round robin over every gateway");
        L("# Any gateway can serve any request; the hashing only keeps related requests together.");
        L();
        L("worker_processes auto;");
        L($"pid {(state is null ? "/tmp/nginx.pid" : state + "/nginx.pid")};");
        L();
        L("events {");
        L("    worker_connections 4096;");
        L("}");
        L();
        L("http {");
        L("    default_type application/octet-stream;");
        L("    server_tokens off;");
        L();
        L($"    client_body_temp_path {Temp("client_body")};");
        L($"    proxy_temp_path {Temp("proxy")};");
        L($"    fastcgi_temp_path {Temp("fastcgi")};");
        L($"    uwsgi_temp_path {Temp("uwsgi")};");
        L($"    scgi_temp_path {Temp("scgi")};");
        L();
        L("    log_format myelin '$remote_addr [$time_local] \"$request\" $status $body_bytes_sent '");
        L("                      '$request_time upstream=$upstream_addr user=$myelin_user';");
        L($"    access_log {log}access.log myelin;");
        L($"    error_log {log}error.log warn;");
        L();
        L("    # --- who is asking ----------------------------------------------------------------------------");
        L("    # Access tokens are syt_<unpadded urlsafe base64 localpart>_<random>_<crc>, as Synapse's. The random");
        L("    # part is letters and the crc base62, so the localpart is everything between \"syt_\" and the last");
        L("    # two underscores (urlsafe base64 may itself hold \"_\"). Any other token hashes as a whole.");
        L("    map $arg_access_token $myelin_user_from_query {");
        L("        default $arg_access_token;");
        L("        \"~^syt_(?<query_localpart>.+)_[^_]+_[^_]+$\" $query_localpart;");
        L("    }");
        L();
        L("    map $http_authorization $myelin_user {");
        L("        default $http_authorization;");
        L("        \"~*^bearer\\s+syt_(?<header_localpart>.+)_[^_]+_[^_]+$\" $header_localpart;");
        L("        # No Authorization header: the access_token query parameter (deprecated by the spec, still used).");
        L("        \"\" $myelin_user_from_query;");
        L("    }");
        L();
        L("    # An initial sync (no `since`) goes to its own upstream.");
        L("    map $arg_since $myelin_sync_pool {");
        L($"        default {SyncUpstream};");
        L($"        \"\" {InitialSyncUpstream};");
        L("    }");
        L();
        L("    # The room an event is sent to: the path segment after /rooms/ (decoded: %21 and ! hash alike).");
        L("    map $uri $myelin_room {");
        L("        default $uri;");
        L("        \"~/rooms/(?<room_segment>[^/]+)/\" $room_segment;");
        L("    }");
        L();
        L("    # --- the upstreams ------------------------------------------------------------------------------");
        Upstream(w, SyncUpstream, "hash $myelin_user consistent", t.Gateways, 32);
        Upstream(w, InitialSyncUpstream, "hash $myelin_user consistent", t.InitialSyncServers, 8);
        Upstream(w, RoomUpstream, "hash $myelin_room consistent", t.Gateways, 16);
        Upstream(w, FederationInboundUpstream, "hash $remote_addr consistent", t.Gateways, 8);
        Upstream(w, MediaUpstream, null, t.MediaServers, 8);
        Upstream(w, ClientUpstream, null, t.Gateways, 32);
        L("    server {");
        L($"        listen {t.Listen};");
        L("        server_name _;");
        L();
        L("        # Media uploads; the gateways enforce their own max_upload_size / max_request_body_size.");
        L("        client_max_body_size 100m;");
        L();
        L("        proxy_http_version 1.1;");
        L("        proxy_set_header Connection \"\";");
        L("        proxy_set_header Host $host;");
        L("        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;");
        L("        proxy_set_header X-Forwarded-Proto $scheme;");
        L("        # Long-polling /sync and /events hold a request for up to the client's timeout (30 s typically).");
        L("        proxy_read_timeout 180s;");
        L("        proxy_send_timeout 180s;");
        L("        # A long-poll must reach the client the moment it ends.");
        L("        proxy_buffering off;");
        L();
        L($"        # --- the routing table: {entries.Count} patterns ---------------------------------------------------");
        L("        # nginx tries regex locations in order and takes the first match: the hashed pools come first, so");
        L("        # that where patterns overlap (rooms/.*/state/ and rooms/.*/state$) the more specific pool wins.");
        foreach (var pool in Enum.GetValues<NginxPool>())
        {
            var rows = entries.Where(e => PoolOf(e) == pool).ToList();
            if (rows.Count == 0) continue;
            L();
            L($"        # {Describe(pool)}");
            foreach (var e in rows)
                L($"        location ~ {Quote(e.Pattern)} {{ proxy_pass {ProxyTarget(pool)}; }}  # {e.Group}: {e.Owner}");
        }
        L();
        L("        # Anything the table does not list (logout, /.well-known, admin API, ...): round robin.");
        L("        location / {");
        L($"            proxy_pass {ProxyTarget(NginxPool.Client)};");
        L("        }");
        L("    }");
        L("}");
        return w.ToString();
    }

    static string Describe(NginxPool pool) => pool switch
    {
        NginxPool.SyncBySince => "Sync: with `since` hashed by user to myelin_sync, without to myelin_initial_sync",
        NginxPool.Sync => "Long-polls: hashed by user",
        NginxPool.InitialSync => "Initial syncs: their own upstream, hashed by user",
        NginxPool.Room => "Event sending: hashed by room ID",
        NginxPool.FederationInbound => "Inbound federation transactions: hashed by the sender's address",
        NginxPool.Media => "Media repository: the media instances",
        _ => "Everything else in the table: round robin",
    };

    static void Upstream(StringBuilder w, string name, string? balance, IReadOnlyList<string> servers, int keepalive)
    {
        w.Append("    upstream ").Append(name).Append(" {\n");
        if (balance is not null) w.Append("        ").Append(balance).Append(";\n");
        foreach (var s in servers) w.Append("        server ").Append(s).Append(";\n");
        w.Append("        keepalive ").Append(keepalive).Append(";\n");
        w.Append("    }\n\n");
    }

    /// <summary>A pattern as an nginx quoted string (quoted: a regex may hold <c>{</c>, <c>;</c> or spaces).</summary>
    static string Quote(string pattern)
    {
        // nginx unescapes \" \' \\ \n \r \t inside quotes; a pattern needing those would change meaning.
        if (pattern.Contains('"') || Regex.IsMatch(pattern, @"\\[""'\\nrt]"))
            throw new InvalidOperationException($"routing pattern {pattern} cannot be written as an nginx string");
        return "\"" + pattern + "\"";
    }
}
