using System.Globalization;
using Myelin.Grains.Streams;

namespace Myelin.Grains.Sync;

/// <summary>
/// A sync token: the position of every stream, in the order Synapse's StreamToken writes them
/// (<c>s{events}_{presence}_{typing}_{receipts}_{account_data}_{push_rules}_{to_device}</c>). Clients treat
/// it as opaque. Parsing is lenient about missing trailing parts so that streams can be added later
/// without breaking tokens clients hold.
/// </summary>
public readonly record struct SyncToken(
    long Events, long Presence = 0, long Typing = 0, long Receipts = 0, long AccountData = 0, long PushRules = 0, long ToDevice = 0)
{
    /// <summary>The streams a token carries, in token order.</summary>
    public static readonly string[] Streams =
    [
        StreamNames.Events, StreamNames.Presence, StreamNames.Typing, StreamNames.Receipts,
        StreamNames.AccountData, StreamNames.PushRules, StreamNames.ToDevice,
    ];

    long[] Values => [Events, Presence, Typing, Receipts, AccountData, PushRules, ToDevice];

    static SyncToken FromValues(long[] v) => new(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);

    /// <summary>Position of the named stream (0 for a stream tokens do not carry).</summary>
    public long this[string stream] => Array.IndexOf(Streams, stream) is var i and >= 0 ? Values[i] : 0;

    /// <summary>Every stream's position, by stream name.</summary>
    public IReadOnlyDictionary<string, long> Positions()
    {
        var values = Values;
        var result = new Dictionary<string, long>(values.Length);
        for (var i = 0; i < values.Length; i++) result[Streams[i]] = values[i];
        return result;
    }

    /// <summary>The current position of every stream on this process's bus.</summary>
    public static SyncToken Current(IReplicationBus bus) => FromValues(Streams.Select(bus.Position).ToArray());

    /// <summary>Each stream at the higher of the two positions.</summary>
    public SyncToken Max(SyncToken other)
    {
        var a = Values;
        var b = other.Values;
        for (var i = 0; i < a.Length; i++) a[i] = Math.Max(a[i], b[i]);
        return FromValues(a);
    }

    /// <summary>True when some stream is further on in this token than in <paramref name="other"/>.</summary>
    public bool IsAheadOf(SyncToken other)
    {
        var a = Values;
        var b = other.Values;
        for (var i = 0; i < a.Length; i++) if (a[i] > b[i]) return true;
        return false;
    }

    public override string ToString() =>
        "s" + string.Join('_', Values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static bool TryParse(string? s, out SyncToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(s) || s[0] != 's') return false;
        var parts = s[1..].Split('_');
        var values = new long[Streams.Length];
        for (var i = 0; i < parts.Length && i < values.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i])) return false;
        token = FromValues(values);
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
