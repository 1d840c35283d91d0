using Myelin.Silo.Configuration;

namespace Myelin.Silo.Tests.Configuration;

public sealed class AppserviceConfigTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-as-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    const string Valid = """
        id: irc
        url: http://127.0.0.1:9000/
        as_token: as-secret
        hs_token: hs-secret
        sender_localpart: ircbot
        rate_limited: false
        protocols: [irc]
        receive_ephemeral: true
        namespaces:
          users:
            - exclusive: true
              regex: '@_irc_.*'
          aliases:
            - exclusive: false
              regex: '#_irc_.*'
        """;

    string Write(string yaml, string name = "reg.yaml")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    HomeserverOptions Load(params string[] files) => HomeserverOptions.FromConfig(ConfigLoader.FromYaml($"""
        server_name: hs.test
        database:
          name: sqlite3
          args: {"{"}database: {_dir}/db{"}"}
        app_service_config_files: [{string.Join(", ", files.Select(f => $"'{f}'"))}]
        """));

    ConfigException Fails(string yaml) => Assert.Throws<ConfigException>(() => Load(Write(yaml)));

    [Fact]
    public void Load_ValidFile_ReadsEveryKey()
    {
        var s = Assert.Single(Load(Write(Valid)).Appservices.All);
        Assert.Equal("irc", s.Id);
        Assert.Equal("http://127.0.0.1:9000", s.Url);
        Assert.Equal("as-secret", s.AsToken);
        Assert.Equal("hs-secret", s.HsToken);
        Assert.Equal("@ircbot:hs.test", s.Sender);
        Assert.False(s.RateLimited);
        Assert.Equal(["irc"], s.Protocols);
        Assert.True(s.ReceiveEphemeral);
        Assert.True(Assert.Single(s.Users).Exclusive);
        Assert.False(Assert.Single(s.Aliases).Exclusive);
        Assert.Empty(s.Rooms);
    }

    [Fact]
    public void Load_NoFiles_NoServices() =>
        Assert.Empty(HomeserverOptions.FromConfig(ConfigLoader.FromYaml("server_name: hs.test")).Appservices.All);

    [Fact]
    public void Load_UrlNull_ServiceWithoutUrl_AndDefaultsApply()
    {
        var s = Assert.Single(Load(Write("""
            id: quiet
            url: null
            as_token: a
            hs_token: h
            sender_localpart: quiet
            namespaces: {}
            """)).Appservices.All);
        Assert.Null(s.Url);
        Assert.True(s.RateLimited);
        Assert.False(s.ReceiveEphemeral);
    }

    [Fact]
    public void Load_Msc2409Key_TurnsOnEphemeral()
    {
        var yaml = Valid.Replace("receive_ephemeral: true", "de.sorunome.msc2409.push_ephemeral: true");
        Assert.True(Assert.Single(Load(Write(yaml)).Appservices.All).ReceiveEphemeral);
    }

    [Theory]
    [InlineData("id: irc\n", "id")]
    [InlineData("as_token: as-secret\n", "as_token")]
    [InlineData("hs_token: hs-secret\n", "hs_token")]
    [InlineData("sender_localpart: ircbot\n", "sender_localpart")]
    [InlineData("url: http://127.0.0.1:9000/\n", "url")]
    public void Load_MissingRequiredKey_NamesFileAndKey(string line, string key)
    {
        var e = Fails(Valid.Replace(line, ""));
        Assert.Equal(key, e.Key);
        Assert.EndsWith("reg.yaml", e.File);
        Assert.Contains("reg.yaml", e.Message);
    }

    [Fact]
    public void Load_MissingNamespaces_Fails() =>
        Assert.Equal("namespaces", Fails(Valid[..Valid.IndexOf("namespaces:", StringComparison.Ordinal)]).Key);

    [Fact]
    public void Load_BadRegex_NamesTheEntry()
    {
        var e = Fails(Valid.Replace("'@_irc_.*'", "'@_irc_(unclosed'"));
        Assert.Equal("namespaces.users[0].regex", e.Key);
    }

    [Fact]
    public void Load_ExclusiveNotABoolean_Fails() =>
        Assert.Equal("namespaces.aliases[0].exclusive", Fails(Valid.Replace("exclusive: false", "exclusive: maybe")).Key);

    [Fact]
    public void Load_NamespaceNotAList_Fails() =>
        Assert.Equal("namespaces.rooms", Fails(Valid + "\n  rooms: nope\n").Key);

    [Theory]
    [InlineData("url: http://127.0.0.1:9000/", "url: not a url", "url")]
    [InlineData("sender_localpart: ircbot", "sender_localpart: 'irc bot'", "sender_localpart")]
    [InlineData("id: irc", "id: 'a|b'", "id")]
    [InlineData("receive_ephemeral: true", "receive_ephemeral: sometimes", "receive_ephemeral")]
    [InlineData("protocols: [irc]", "protocols: irc", "protocols")]
    public void Load_BadValue_NamesTheKey(string from, string to, string key) =>
        Assert.Equal(key, Fails(Valid.Replace(from, to)).Key);

    [Fact]
    public void Load_DuplicateId_FailsNamingBothFiles()
    {
        var first = Write(Valid, "a.yaml");
        var second = Write(Valid.Replace("as-secret", "other-token"), "b.yaml");
        var e = Assert.Throws<ConfigException>(() => Load(first, second));
        Assert.Equal("id", e.Key);
        Assert.EndsWith("b.yaml", e.File);
        Assert.Contains("a.yaml", e.Message);
    }

    [Fact]
    public void Load_DuplicateAsToken_Fails()
    {
        var first = Write(Valid, "a.yaml");
        var second = Write(Valid.Replace("id: irc", "id: other"), "b.yaml");
        Assert.Equal("as_token", Assert.Throws<ConfigException>(() => Load(first, second)).Key);
    }

    [Fact]
    public void Load_FileNotFound_NamesTheConfigKey()
    {
        var e = Assert.Throws<ConfigException>(() => Load(Path.Combine(_dir, "missing.yaml")));
        Assert.Equal("app_service_config_files", e.Key);
        Assert.Contains("missing.yaml", e.Message);
    }
}
