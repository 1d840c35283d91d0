using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Myelin.Gateway.Http;
using Myelin.Gateway.Routing;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

/// <summary>The nginx configuration generated from the routing table (<c>routes --nginx</c>).</summary>
public sealed class NginxConfigTests
{
    static readonly NginxTopology Two = new(["127.0.0.1:8081", "127.0.0.1:8082"], [], [], "8008", null);

    static RouteEntry Row(string pattern) => RoutingTable.Entries.Single(e => e.Pattern == pattern);

    static string Generate(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = RoutesCommand.Run(["routes", "--nginx", .. args], output, error);
        Assert.True(code == 0, $"routes --nginx exited with {code}: {error}");
        return output.ToString();
    }

    /// <summary>The value a <c>map</c> gives <paramref name="input"/>, evaluated as nginx does: the exact
    /// strings first, then the regexes in order (<c>~*</c> ignoring case), else the default.</summary>
    static string MapValue(string config, string source, string target, string input, Dictionary<string, string>? variables = null)
    {
        var block = Regex.Match(config, "map " + Regex.Escape(source) + " " + Regex.Escape(target) + @" \{(?<body>[^}]*)\}");
        Assert.True(block.Success, $"no map {source} {target}");
        var rules = block.Groups["body"].Value.Split('\n').Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => Regex.Match(l, @"^(?<key>""[^""]*""|\S+)\s+(?<value>\S+);$"))
            .Select(m => (Key: m.Groups["key"].Value.Trim('"'), Value: m.Groups["value"].Value)).ToList();
        string Resolve(string value, Match? m)
        {
            if (!value.StartsWith('$')) return value;
            var name = value[1..];
            if (m is not null && m.Groups[name].Success) return m.Groups[name].Value;
            if (variables is not null && variables.TryGetValue(name, out var v)) return v;
            return name == source[1..] ? input : throw new InvalidOperationException($"unknown variable {value}");
        }
        foreach (var r in rules.Where(r => r.Key != "default" && !r.Key.StartsWith('~')))
            if (r.Key == input) return Resolve(r.Value, null);
        foreach (var r in rules.Where(r => r.Key.StartsWith('~')))
        {
            var ignoreCase = r.Key.StartsWith("~*", StringComparison.Ordinal);
            var m = Regex.Match(input, r.Key[(ignoreCase ? 2 : 1)..], ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
            if (m.Success) return Resolve(r.Value, m);
        }
        return Resolve(rules.Single(r => r.Key == "default").Value, null);
    }

    static string Base64Url(string localpart) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(localpart)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [Theory]
    [InlineData(@"^/_matrix/client/(r0|v3)/sync$", NginxPool.SyncBySince)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3)/events$", NginxPool.Sync)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3)/initialSync$", NginxPool.InitialSync)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3)/rooms/[^/]+/initialSync$", NginxPool.InitialSync)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/send", NginxPool.Room)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state/", NginxPool.Room)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/redact", NginxPool.Room)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/(join|invite|leave|ban|unban|kick)$", NginxPool.Room)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/join/", NginxPool.Client)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/state$", NginxPool.Client)]
    [InlineData(@"^/_matrix/federation/v1/send/", NginxPool.FederationInbound)]
    [InlineData(@"^/_matrix/federation/v1/send_knock/", NginxPool.Client)]
    [InlineData(@"^/_matrix/federation/v1/event/", NginxPool.Client)]
    [InlineData(@"^/_matrix/media/", NginxPool.Media)]
    [InlineData(@"^/_matrix/client/v1/media/", NginxPool.Media)]
    [InlineData(@"^/_synapse/admin/v1/purge_media_cache$", NginxPool.Media)]
    [InlineData(@"^/_matrix/client/versions$", NginxPool.Client)]
    [InlineData(@"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/typing", NginxPool.Client)]
    public void PoolOf_TablePattern_IsItsBalancing(string pattern, NginxPool pool)
    {
        Assert.Equal(pool, NginxConfig.PoolOf(Row(pattern)));
    }

    [Fact]
    public void Generate_EveryTablePattern_IsOneLocationToItsPoolsUpstream()
    {
        var config = NginxConfig.Generate(Two);
        var locations = Regex.Matches(config, @"location ~ ""(?<pattern>[^""]+)"" \{ proxy_pass (?<target>[^;]+); \}")
            .Select(m => (Pattern: m.Groups["pattern"].Value, Target: m.Groups["target"].Value)).ToList();
        Assert.Equal(RoutingTable.Entries.Count, locations.Count);
        foreach (var e in RoutingTable.Entries)
            Assert.Equal(NginxConfig.ProxyTarget(NginxConfig.PoolOf(e)), Assert.Single(locations, l => l.Pattern == e.Pattern).Target);
        Assert.Contains("location / {\n            proxy_pass http://myelin_client;", config);
    }

    [Fact]
    public void Generate_NewTableRow_GetsALocationWithoutOtherChanges()
    {
        RouteEntry[] rows = [.. RoutingTable.Entries,
            new(@"^/_matrix/client/v1/rooms/.*/example$", "Example", Owners.Room, false, "/_matrix/client/v1/rooms/!r:x/example"),
            new(@"^/_matrix/media/v9/example$", "Example", Owners.Media, false, "/_matrix/media/v9/example")];
        var config = NginxConfig.Generate(Two, rows);
        Assert.Contains(@"location ~ ""^/_matrix/client/v1/rooms/.*/example$"" { proxy_pass http://myelin_client; }  # Example: RoomGrain", config);
        Assert.Contains(@"location ~ ""^/_matrix/media/v9/example$"" { proxy_pass http://myelin_media; }", config);
    }

    [Fact]
    public void Generate_HashedLocations_ComeBeforeRoundRobinOnes()
    {
        // nginx takes the first regex location that matches: /rooms/x/state/y must reach the room hash,
        // not a round-robin pattern listed earlier in the table.
        var lines = NginxConfig.Generate(Two).Split('\n').Where(l => l.TrimStart().StartsWith("location ~", StringComparison.Ordinal)).ToList();
        var lastHashed = lines.FindLastIndex(l => !l.Contains("http://myelin_client;") && !l.Contains("http://myelin_media;"));
        var firstRoundRobin = lines.FindIndex(l => l.Contains("http://myelin_client;"));
        Assert.True(lastHashed < firstRoundRobin);
        Assert.StartsWith(@"        location ~ ""^/_matrix/client/(r0|v3)/sync$"" { proxy_pass http://$myelin_sync_pool; }", lines[0]);
    }

    [Fact]
    public void Generate_UpstreamKeys_AreUserSinceRoomAndAddress()
    {
        var config = NginxConfig.Generate(Two);
        string Upstream(string name) => Regex.Match(config, $@"upstream {name} \{{(?<body>[^}}]*)\}}").Groups["body"].Value;
        Assert.Contains("hash $myelin_user consistent;", Upstream("myelin_sync"));
        Assert.Contains("hash $myelin_user consistent;", Upstream("myelin_initial_sync"));
        Assert.Contains("hash $myelin_room consistent;", Upstream("myelin_room"));
        Assert.Contains("hash $remote_addr consistent;", Upstream("myelin_federation_inbound"));
        Assert.DoesNotContain("hash", Upstream("myelin_client"));
        Assert.DoesNotContain("hash", Upstream("myelin_media"));
        foreach (var name in new[] { "myelin_sync", "myelin_initial_sync", "myelin_room", "myelin_federation_inbound", "myelin_media", "myelin_client" })
        {
            Assert.Contains("server 127.0.0.1:8081;", Upstream(name));
            Assert.Contains("server 127.0.0.1:8082;", Upstream(name));
        }
    }

    [Fact]
    public void Generate_InitialSyncAndMediaServers_GetTheirOwnUpstreams()
    {
        var config = Generate("--gateway", "10.0.0.1:8008", "--gateway", "10.0.0.2:8008", "--initial-sync", "10.0.0.3:8008",
            "--media", "10.0.0.4:8008", "--media", "[::1]:8009", "--listen", "127.0.0.1:8443");
        string Upstream(string name) => Regex.Match(config, $@"upstream {name} \{{(?<body>[^}}]*)\}}").Groups["body"].Value;
        Assert.Equal(["10.0.0.3:8008"], Regex.Matches(Upstream("myelin_initial_sync"), @"server (\S+);").Select(m => m.Groups[1].Value));
        Assert.Equal(["10.0.0.4:8008", "[::1]:8009"], Regex.Matches(Upstream("myelin_media"), @"server (\S+);").Select(m => m.Groups[1].Value));
        Assert.Equal(["10.0.0.1:8008", "10.0.0.2:8008"], Regex.Matches(Upstream("myelin_sync"), @"server (\S+);").Select(m => m.Groups[1].Value));
        Assert.Contains("listen 127.0.0.1:8443;", config);
        Assert.Contains("#   dotnet Myelin.Gateway.dll routes --nginx --gateway 10.0.0.1:8008 --gateway 10.0.0.2:8008 --initial-sync 10.0.0.3:8008 --media 10.0.0.4:8008 --media [::1]:8009 --listen 127.0.0.1:8443\n", config);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("user1?>?")] // urlsafe base64 dXNlcjE_Pj8: the token's localpart part itself holds a "_"
    [InlineData("u_with-dots.and=signs/")]
    public void UserMap_MyelinToken_HashesByLocalpart_FromHeaderOrQuery(string localpart)
    {
        var config = NginxConfig.Generate(Two);
        var token = AccessTokens.Generate(localpart);
        var other = AccessTokens.Generate(localpart);
        Assert.NotEqual(token, other);
        var b64 = Base64Url(localpart);

        Assert.Equal(b64, MapValue(config, "$http_authorization", "$myelin_user", "Bearer " + token));
        Assert.Equal(b64, MapValue(config, "$http_authorization", "$myelin_user", "bearer " + other));
        var fromQuery = MapValue(config, "$arg_access_token", "$myelin_user_from_query", token);
        Assert.Equal(b64, fromQuery);
        Assert.Equal(b64, MapValue(config, "$http_authorization", "$myelin_user", "",
            new() { ["myelin_user_from_query"] = fromQuery }));
    }

    [Fact]
    public void UserMap_OtherToken_HashesAsAWhole()
    {
        var config = NginxConfig.Generate(Two);
        Assert.Equal("Bearer opaque-token", MapValue(config, "$http_authorization", "$myelin_user", "Bearer opaque-token"));
        Assert.Equal("opaque", MapValue(config, "$arg_access_token", "$myelin_user_from_query", "opaque"));
    }

    [Theory]
    [InlineData("", "myelin_initial_sync")]
    [InlineData("s72_3_0_1", "myelin_sync")]
    public void SinceMap_InitialSync_GoesToItsOwnUpstream(string since, string upstream)
    {
        Assert.Equal(upstream, MapValue(NginxConfig.Generate(Two), "$arg_since", "$myelin_sync_pool", since));
    }

    [Theory]
    [InlineData("/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/t1", "!abc:example.org")]
    [InlineData("/_matrix/client/r0/rooms/!abc:example.org/state/m.room.name/", "!abc:example.org")]
    [InlineData("/_matrix/client/v3/rooms/!abc:example.org/redact/$e/t2", "!abc:example.org")]
    [InlineData("/_matrix/client/unstable/rooms/!abc:example.org/invite", "!abc:example.org")]
    public void RoomMap_EventSending_HashesByRoomId(string uri, string room)
    {
        Assert.Equal(room, MapValue(NginxConfig.Generate(Two), "$uri", "$myelin_room", uri));
    }

    [Fact]
    public void Generate_StateDirectory_HoldsPidTemporaryFilesAndLogs()
    {
        var config = Generate("--gateway", "127.0.0.1:8081", "--state-dir", "/srv/nginx-state/");
        Assert.Contains("pid /srv/nginx-state/nginx.pid;", config);
        Assert.Contains("proxy_temp_path /srv/nginx-state/proxy;", config);
        Assert.Contains("access_log /srv/nginx-state/access.log myelin;", config);
        Assert.Contains("error_log /srv/nginx-state/error.log warn;", config);
        Assert.DoesNotContain("/tmp/", config);
        Assert.DoesNotContain("/var/log", config);
    }

    [Theory]
    [InlineData(new string[0], "at least one --gateway")]
    [InlineData(new[] { "--gateway" }, "--gateway needs a value")]
    [InlineData(new[] { "--gateway", "localhost" }, "not host:port")]
    [InlineData(new[] { "--gateway", "localhost:0" }, "1 to 65535")]
    [InlineData(new[] { "--gateway", "localhost:70000" }, "1 to 65535")]
    [InlineData(new[] { "--gateway", "a;b:80" }, "not host:port")]
    [InlineData(new[] { "--gateway", "a:80", "--gateway", "a:80" }, "listed twice")]
    [InlineData(new[] { "--gateway", "a:80", "--listen", "eighty" }, "not host:port")]
    [InlineData(new[] { "--gateway", "a:80", "--media", "b" }, "--media")]
    [InlineData(new[] { "--gateway", "a:80", "--state-dir", "has space" }, "not a directory")]
    [InlineData(new[] { "--gateway", "a:80", "--format", "json" }, "unknown argument '--format'")]
    [InlineData(new[] { "--gateway", "a:80", "--bogus", "x" }, "unknown argument '--bogus'")]
    public void Run_BadNginxArguments_Exit2WithTheProblemAndUsage(string[] args, string problem)
    {
        var error = new StringWriter();
        var output = new StringWriter();
        Assert.Equal(2, RoutesCommand.Run(["routes", "--nginx", .. args], output, error));
        Assert.Contains(problem, error.ToString());
        Assert.Contains("usage: routes", error.ToString());
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void Run_Out_WritesTheFile()
    {
        var dir = NginxProcess.NewDirectory();
        try
        {
            var file = Path.Combine(dir, "myelin.conf");
            var output = new StringWriter();
            Assert.Equal(0, RoutesCommand.Run(["routes", "--nginx", "--gateway", "127.0.0.1:8081", "--out", file], output, new StringWriter()));
            Assert.Equal(NginxConfig.Generate(new(["127.0.0.1:8081"], [], [], "8008", null)), File.ReadAllText(file));
            Assert.Contains($"wrote {file}", output.ToString());

            var error = new StringWriter();
            Assert.Equal(1, RoutesCommand.Run(["routes", "--nginx", "--gateway", "127.0.0.1:8081", "--out", Path.Combine(dir, "no", "such", "dir.conf")],
                new StringWriter(), error));
            Assert.Contains("cannot write", error.ToString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>docker/nginx/nginx.conf is the generator's output for the compose topology, byte for byte:
    /// a table change that is not regenerated into it fails here rather than drifting.</summary>
    [Fact]
    public void DockerNginxConf_IsTheGeneratedConfig()
    {
        var committed = File.ReadAllText(Path.Combine(RepoRoot(), "docker", "nginx", "nginx.conf"));
        var generated = Generate("--gateway", "gateway1:8008", "--gateway", "gateway2:8008", "--media", "gateway1:8008", "--listen", "8080");
        Assert.True(committed == generated,
            "docker/nginx/nginx.conf differs from the generated config; regenerate it with\n" +
            "  dotnet src/Gateway/bin/Debug/net10.0/Myelin.Gateway.dll routes --nginx --gateway gateway1:8008 --gateway gateway2:8008 --media gateway1:8008 --listen 8080 --out docker/nginx/nginx.conf");
    }

    [NginxFact]
    public async Task NginxT_AcceptsTheGeneratedConfig()
    {
        var dir = NginxProcess.NewDirectory();
        try
        {
            var config = NginxProcess.Generate(dir, ["--gateway", "127.0.0.1:8081", "--gateway", "127.0.0.1:8082",
                "--initial-sync", "127.0.0.1:8083", "--media", "127.0.0.1:8084", "--listen", "127.0.0.1:" + GatewayProcess.FreePort()]);
            var (code, output) = await NginxProcess.TestAsync(config, dir);
            Assert.True(code == 0, $"nginx -t exited with {code}:\n{output}");
            Assert.Contains("test is successful", output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [NginxFact]
    public async Task NginxT_RejectsABrokenConfig_SoTheCheckCanFail()
    {
        var dir = NginxProcess.NewDirectory();
        try
        {
            var config = NginxProcess.Generate(dir, ["--gateway", "127.0.0.1:8081"]);
            File.WriteAllText(config, File.ReadAllText(config).Replace("proxy_pass http://myelin_room;", "proxy_pass http://myelin_nowhere;"));
            var (code, output) = await NginxProcess.TestAsync(config, dir);
            Assert.NotEqual(0, code);
            Assert.Contains("myelin_nowhere", output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Json_EveryRow_HasMethodsGroupOwnerStatusAndUpstream()
    {
        var rows = RoutesCommand.ToJson();
        Assert.Equal(RoutingTable.Entries.Count, rows.Count);
        foreach (var row in rows.Select(r => r!.AsObject()))
        {
            var methods = row["methods"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
            Assert.NotEmpty(methods);
            Assert.All(methods, m => Assert.Contains(m, new[] { "GET", "POST", "PUT", "DELETE" }));
            Assert.False(string.IsNullOrEmpty(row["group"]!.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(row["owner"]!.GetValue<string>()));
            Assert.NotNull(row["implemented"]);
            Assert.StartsWith("myelin_", row["nginx_upstream"]!.GetValue<string>());
        }
        var send = rows.Single(r => r!["pattern"]!.GetValue<string>() == @"^/_matrix/client/(api/v1|r0|v3|unstable)/rooms/.*/send")!;
        Assert.Equal(new JsonArray("POST", "PUT").ToJsonString(), send["methods"]!.ToJsonString());
        Assert.Equal("myelin_room", send["nginx_upstream"]!.GetValue<string>());
    }

    [Fact]
    public void RouteMethods_EveryPattern_IsATableRow()
    {
        var stale = RouteMethods.Patterns.Where(p => RoutingTable.Entries.All(e => e.Pattern != p)).ToList();
        Assert.True(stale.Count == 0, "methods for patterns the table does not have: " + string.Join(", ", stale));
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds Orleans.sln");
    }
}

/// <summary>The table's methods against what the running gateway maps (its OpenAPI document).</summary>
[Collection(GatewayCollection.Name)]
public sealed class RouteMethodsLiveTests(GatewayFixture fx)
{
    [Fact]
    public async Task ImplementedRows_ListExactlyTheMethodsTheGatewayMaps()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_myelin/openapi/v1.json");
        Assert.Equal(200, r.Status);
        var paths = r.Json["paths"]!.AsObject()
            .Select(p => (Path: Regex.Replace(p.Key, @"\{[^}]+\}", "x"),
                Methods: p.Value!.AsObject().Select(m => m.Key.ToUpperInvariant()).Where(m => m is "GET" or "POST" or "PUT" or "DELETE")))
            .ToList();
        var wrong = new List<string>();
        foreach (var e in RoutingTable.Entries.Where(e => e.Implemented))
        {
            var mapped = paths.Where(p => Regex.IsMatch(p.Path, e.Pattern)).SelectMany(p => p.Methods).ToHashSet();
            if (!mapped.SetEquals(e.Methods))
                wrong.Add($"{e.Pattern}: table {string.Join(",", e.Methods)}, gateway {string.Join(",", mapped.Order())}");
        }
        Assert.Empty(wrong);
    }
}
