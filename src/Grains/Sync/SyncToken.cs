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

    /// <summary>The position of the stream at <paramref name="index"/> in <see cref="Streams"/>.</summary>
    public long At(int index) => index switch
    {
        0 => Events, 1 => Presence, 2 => Typing, 3 => Receipts, 4 => AccountData, 5 => PushRules, 6 => ToDevice,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    static SyncToken FromValues(ReadOnlySpan<long> v) => new(v[0], v[1], v[2], v[3], v[4], v[5], v[6]);

    /// <summary>Position of the named stream (0 for a stream tokens do not carry).</summary>
    public long this[string stream] => Array.IndexOf(Streams, stream) is var i and >= 0 ? At(i) : 0;

    /// <summary>A token that has seen the events stream up to <paramref name="events"/> and every other
    /// stream to a position none reaches: waiting on it wakes for new events only.</summary>
    public static SyncToken EventsOnly(long events) =>
        new(events, long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue);

    /// <summary>The current position of every stream on this process's bus.</summary>
    public static SyncToken Current(IReplicationBus bus) => new(
        bus.Position(StreamNames.Events), bus.Position(StreamNames.Presence), bus.Position(StreamNames.Typing),
        bus.Position(StreamNames.Receipts), bus.Position(StreamNames.AccountData), bus.Position(StreamNames.PushRules),
        bus.Position(StreamNames.ToDevice));

    /// <summary>True when the bus has some stream past this token.</summary>
    public bool IsBehind(IReplicationBus bus)
    {
        for (var i = 0; i < Streams.Length; i++)
            if (bus.Position(Streams[i]) > At(i)) return true;
        return false;
    }

    /// <summary>Each stream at the higher of the two positions.</summary>
    public SyncToken Max(SyncToken other) => new(
        Math.Max(Events, other.Events), Math.Max(Presence, other.Presence), Math.Max(Typing, other.Typing),
        Math.Max(Receipts, other.Receipts), Math.Max(AccountData, other.AccountData),
        Math.Max(PushRules, other.PushRules), Math.Max(ToDevice, other.ToDevice));

    /// <summary>True when some stream is further on in this token than in <paramref name="other"/>.</summary>
    public bool IsAheadOf(SyncToken other)
    {
        for (var i = 0; i < Streams.Length; i++) if (At(i) > other.At(i)) return true;
        return false;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"s{Events}_{Presence}_{Typing}_{Receipts}_{AccountData}_{PushRules}_{ToDevice}");

    public static bool TryParse(string? s, out SyncToken token)
    {
        token = default;
        if (string.IsNullOrEmpty(s) || s[0] != 's') return false;
        Span<long> values = stackalloc long[Streams.Length];
        values.Clear();
        var rest = s.AsSpan(1);
        // Parts beyond the streams this version knows are ignored, as before.
        for (var i = 0; i < values.Length; i++)
        {
            var end = rest.IndexOf('_');
            var part = end < 0 ? rest : rest[..end];
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out values[i])) return false;
            if (end < 0) break;
            rest = rest[(end + 1)..];
        }
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
