using System.Text.RegularExpressions;
using Myelin.Matrix;

namespace Myelin.Silo.Configuration;

/// <summary>
/// Synapse's <c>app_service_config_files</c>: the registration file of each application service (spec:
/// application service API, "Registration"). Read at start-up on every process (gateways authenticate
/// the services' tokens, the appservice worker app sends their transactions); a file that is missing or
/// invalid stops start-up with an error naming the file and the key.
/// </summary>
public static class AppserviceConfig
{
    const string Key = "app_service_config_files";

    public static ApplicationServices Load(ConfigDocument c, string serverName)
    {
        var list = c.List(Key);
        if (list is null || list.Count == 0) return ApplicationServices.None;

        var services = new List<ApplicationService>();
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in list)
        {
            if (item is not string path || path.Length == 0)
                throw c.Error(Key, "must be a list of registration file paths");
            if (!File.Exists(path))
                throw c.Error(Key, $"registration file '{path}' not found");
            var service = LoadFile(ConfigLoader.Load([path]), path, serverName);
            if (ids.TryGetValue(service.Id, out var other))
                throw new ConfigException(path, "id", $"'{service.Id}' is already the ID of the application service in {other}");
            if (tokens.TryGetValue(service.AsToken, out other))
                throw new ConfigException(path, "as_token", $"already the as_token of the application service in {other}");
            ids[service.Id] = path;
            tokens[service.AsToken] = path;
            services.Add(service);
        }
        return new ApplicationServices(services);
    }

    /// <summary>One registration file, as Synapse's _load_appservice checks it.</summary>
    public static ApplicationService LoadFile(ConfigDocument f, string path, string serverName)
    {
        string Required(string key) => f.Get(key) switch
        {
            string { Length: > 0 } s => s,
            null => throw new ConfigException(path, key, "required"),
            _ => throw new ConfigException(path, key, "must be a non-empty string"),
        };

        var id = Required("id");
        if (id.Contains('|')) throw new ConfigException(path, "id", "must not contain '|'");
        var asToken = Required("as_token");
        var hsToken = Required("hs_token");
        var localpart = Required("sender_localpart");
        if (Uri.EscapeDataString(localpart) != localpart)
            throw new ConfigException(path, "sender_localpart", "must need no URL encoding");
        var sender = $"@{localpart}:{serverName}";
        if (!MatrixIds.IsValidUserId(sender))
            throw new ConfigException(path, "sender_localpart", $"'{sender}' is not a valid user ID");

        // spec: url may be null (the service receives nothing), but must be there: a missing key is a
        // mistake that would silently turn off delivery.
        string? url;
        if (!f.Root.ContainsKey("url")) throw new ConfigException(path, "url", "required (a URL, or null for none)");
        switch (f.Root["url"])
        {
            case null: url = null; break;
            case string s when Uri.TryCreate(s, UriKind.Absolute, out var u) && u.Scheme is "http" or "https":
                url = s.TrimEnd('/');
                break;
            default: throw new ConfigException(path, "url", "must be an http(s) URL or null");
        }

        if (f.Get("namespaces") is not Dictionary<string, object?> namespaces)
            throw new ConfigException(path, "namespaces", "required: a mapping with users, aliases and rooms lists");

        IReadOnlyList<string> protocols = [];
        if (f.Get("protocols") is { } p)
            protocols = p is List<object?> pl && pl.All(x => x is string)
                ? pl.Cast<string>().ToList()
                : throw new ConfigException(path, "protocols", "must be a list of strings");

        return new ApplicationService
        {
            Id = id,
            Url = url,
            AsToken = asToken,
            HsToken = hsToken,
            SenderLocalpart = localpart,
            Sender = sender,
            Users = Namespace(namespaces, "users", path),
            Aliases = Namespace(namespaces, "aliases", path),
            Rooms = Namespace(namespaces, "rooms", path),
            // Synapse: anything but a boolean leaves rate limiting on.
            RateLimited = f.Get("rate_limited") is not false,
            Protocols = protocols,
            ReceiveEphemeral = Flag(f, "receive_ephemeral", path) || Flag(f, "de.sorunome.msc2409.push_ephemeral", path),
            File = path,
        };
    }

    // The MSC2409 key has dots in it: read from the root, not as a dotted path.
    static bool Flag(ConfigDocument f, string key, string path) => f.Root.GetValueOrDefault(key) switch
    {
        null => false,
        bool b => b,
        _ => throw new ConfigException(path, key, "must be true or false"),
    };

    static IReadOnlyList<AppserviceNamespace> Namespace(Dictionary<string, object?> namespaces, string kind, string path)
    {
        var key = $"namespaces.{kind}";
        switch (namespaces.GetValueOrDefault(kind))
        {
            case null: return [];
            case List<object?> entries:
                var result = new List<AppserviceNamespace>();
                for (var i = 0; i < entries.Count; i++)
                {
                    var at = $"{key}[{i}]";
                    if (entries[i] is not Dictionary<string, object?> entry)
                        throw new ConfigException(path, at, "must be a mapping with regex and exclusive");
                    if (entry.GetValueOrDefault("regex") is not string regex)
                        throw new ConfigException(path, $"{at}.regex", "required: a regular expression string");
                    if (entry.GetValueOrDefault("exclusive") is not bool exclusive)
                        throw new ConfigException(path, $"{at}.exclusive", "required: true or false");
                    try
                    {
                        result.Add(AppserviceNamespace.Create(regex, exclusive));
                    }
                    catch (ArgumentException e)
                    {
                        throw new ConfigException(path, $"{at}.regex", $"'{regex}' is not a valid regular expression: {e.Message}");
                    }
                }
                return result;
            default:
                throw new ConfigException(path, key, "must be a list");
        }
    }
}
