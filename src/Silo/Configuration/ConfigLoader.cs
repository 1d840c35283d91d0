using YamlDotNet.RepresentationModel;

namespace Myelin.Silo.Configuration;

/// <summary>
/// Reads Synapse-style YAML: one or more <c>--config-path</c> files merged in order (a later file's keys
/// replace an earlier file's; mappings merge key by key), into plain dictionaries and lists.
/// </summary>
public static class ConfigLoader
{
    public static ConfigDocument Load(IReadOnlyList<string> paths)
    {
        var merged = new Dictionary<string, object?>();
        var origin = new Dictionary<string, string>();
        foreach (var path in paths)
        {
            if (!File.Exists(path))
                throw new ConfigException(path, "", "file not found");
            YamlStream yaml = new();
            try
            {
                using var reader = new StreamReader(path);
                yaml.Load(reader);
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                throw new ConfigException(path, "", $"not valid YAML: {e.Message}");
            }
            if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
                continue;
            if (ToObject(yaml.Documents[0].RootNode) is not Dictionary<string, object?> top)
                throw new ConfigException(path, "", "the top level must be a mapping of keys");
            MergeInto(merged, top, path, origin, "");
        }
        return new ConfigDocument(merged, origin, paths);
    }

    public static ConfigDocument FromYaml(string yamlText, string name = "<inline>")
    {
        var tmp = Path.Combine(Path.GetTempPath(), $"myelin-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(tmp, yamlText);
        try { return Load([tmp]) with { Paths = [name] }; }
        finally { File.Delete(tmp); }
    }

    static void MergeInto(Dictionary<string, object?> target, Dictionary<string, object?> source, string path,
        Dictionary<string, string> origin, string prefix)
    {
        foreach (var (key, value) in source)
        {
            var full = prefix.Length == 0 ? key : $"{prefix}.{key}";
            if (value is Dictionary<string, object?> sub && target.TryGetValue(key, out var existing)
                && existing is Dictionary<string, object?> existingSub)
            {
                MergeInto(existingSub, sub, path, origin, full);
                continue;
            }
            target[key] = value;
            origin[full] = path;
        }
    }

    static object? ToObject(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.ToDictionary(
            kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => ToObject(kv.Value)),
        YamlSequenceNode s => s.Children.Select(ToObject).ToList(),
        YamlScalarNode sc => ScalarValue(sc),
        _ => null,
    };

    static object? ScalarValue(YamlScalarNode node)
    {
        var v = node.Value;
        if (node.Style is YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted)
            return v;
        if (v is null || v is "~" or "null" or "Null" or "NULL" or "") return null;
        if (v is "true" or "True" or "TRUE" or "yes" or "on") return true;
        if (v is "false" or "False" or "FALSE" or "no" or "off") return false;
        if (long.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d)) return d;
        return v;
    }
}

/// <summary>A start-up configuration error that names the file and the key.</summary>
public sealed class ConfigException(string file, string key, string problem)
    : Exception(key.Length == 0 ? $"{file}: {problem}" : $"{file}: key '{key}': {problem}")
{
    public string File { get; } = file;
    public string Key { get; } = key;
}

/// <summary>The merged configuration, with typed accessors that report the file and key on error.</summary>
public sealed record ConfigDocument(
    Dictionary<string, object?> Root, Dictionary<string, string> Origin, IReadOnlyList<string> Paths)
{
    public string FileOf(string key)
    {
        for (var k = key; k.Length > 0; k = k.Contains('.') ? k[..k.LastIndexOf('.')] : "")
            if (Origin.TryGetValue(k, out var f)) return f;
        return Paths.Count > 0 ? string.Join(", ", Paths) : "<defaults>";
    }

    public ConfigException Error(string key, string problem) => new(FileOf(key), key, problem);

    public bool Has(string key) => Get(key) is not null;

    public object? Get(string key)
    {
        object? cur = Root;
        foreach (var part in key.Split('.'))
        {
            if (cur is not Dictionary<string, object?> d || !d.TryGetValue(part, out cur)) return null;
        }
        return cur;
    }

    public string? String(string key, string? fallback = null) => Get(key) switch
    {
        null => fallback,
        string s => s,
        long or double or bool => Convert.ToString(Get(key), System.Globalization.CultureInfo.InvariantCulture),
        _ => throw Error(key, "must be a string"),
    };

    public bool Bool(string key, bool fallback) => Get(key) switch
    {
        null => fallback,
        bool b => b,
        _ => throw Error(key, "must be true or false"),
    };

    public long Long(string key, long fallback) => Get(key) switch
    {
        null => fallback,
        long l => l,
        string s when long.TryParse(s, out var l) => l,
        _ => throw Error(key, "must be an integer"),
    };

    /// <summary>Sizes like Synapse's: "50M", "100K", "1G" or a plain number of bytes.</summary>
    public long Size(string key, long fallback)
    {
        var v = Get(key);
        if (v is null) return fallback;
        if (v is long l) return l;
        if (v is string s && s.Length > 0)
        {
            var mult = char.ToUpperInvariant(s[^1]) switch { 'K' => 1024L, 'M' => 1024L * 1024, 'G' => 1024L * 1024 * 1024, _ => 1L };
            var num = mult == 1 ? s : s[..^1];
            if (long.TryParse(num, out var n) && n >= 0) return n * mult;
        }
        throw Error(key, "must be a size such as 50M");
    }

    public Dictionary<string, object?>? Map(string key) => Get(key) switch
    {
        null => null,
        Dictionary<string, object?> d => d,
        _ => throw Error(key, "must be a mapping"),
    };

    public List<object?>? List(string key) => Get(key) switch
    {
        null => null,
        List<object?> l => l,
        _ => throw Error(key, "must be a list"),
    };
}
