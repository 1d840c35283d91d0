using System.Globalization;

namespace Myelin.Grains.Sync;

/// <summary>
/// A sync token: the position of every stream, as Synapse writes it (<c>s{events}_{account_data}</c>).
/// Clients treat it as opaque. Parsing is lenient about missing trailing parts so that streams can be
/// added later without breaking tokens clients hold.
/// </summary>
public readonly record struct SyncToken(long Events, long AccountData)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"s{Events}_{AccountData}");

    public static bool TryParse(string? s, out SyncToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(s) || s[0] != 's') return false;
        var parts = s[1..].Split('_');
        var values = new long[2];
        for (var i = 0; i < parts.Length && i < values.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i])) return false;
        token = new SyncToken(values[0], values[1]);
        return true;
    }
}

/// <summary>
/// A topological pagination token (<c>t{depth}-{stream}</c>): the point just before the event at
/// (depth, stream). Backwards pagination returns events before it, forwards from it on.
/// </summary>
public readonly record struct TopologicalToken(long Depth, long Stream)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"t{Depth}-{Stream}");

    public static bool TryParse(string? s, out TopologicalToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(s) || s[0] != 't') return false;
        var dash = s.IndexOf('-', 1);
        if (dash < 0) return false;
        if (!long.TryParse(s.AsSpan(1, dash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var d)
            || !long.TryParse(s.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var st)) return false;
        token = new TopologicalToken(d, st);
        return true;
    }
}
