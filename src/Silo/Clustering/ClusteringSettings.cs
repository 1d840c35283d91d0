using System.Globalization;
using System.Net;
using Myelin.Silo.Configuration;

namespace Myelin.Silo.Clustering;

/// <summary>
/// Failure detection (the <c>orleans.membership</c> section). The defaults bring a silo that died
/// without saying so (SIGKILL, power loss) out of the cluster, and its grains back elsewhere, in well
/// under ten seconds: a silo probes its peers every <see cref="ProbeTimeout"/>; after
/// <see cref="MissedProbesLimit"/> missed probes it votes the peer dead; <see cref="VotesForDeathDeclaration"/>
/// votes (fewer when fewer silos are alive) declare it dead. Orleans' defaults (5 s × 3, 2 votes, and a
/// 30 s heartbeat) take 15–30 s, which is a stalled room for every client in it.
/// </summary>
public sealed record MembershipSettings(
    TimeSpan ProbeTimeout,
    int MissedProbesLimit,
    int VotesForDeathDeclaration,
    TimeSpan DeathVoteExpiration,
    TimeSpan IAmAlivePublishPeriod,
    TimeSpan TableRefreshPeriod)
{
    public static readonly MembershipSettings Default = new(
        ProbeTimeout: TimeSpan.FromSeconds(2),
        MissedProbesLimit: 3,
        VotesForDeathDeclaration: 2,
        DeathVoteExpiration: TimeSpan.FromSeconds(60),
        IAmAlivePublishPeriod: TimeSpan.FromSeconds(5),
        TableRefreshPeriod: TimeSpan.FromSeconds(10));
}

/// <summary>
/// Myelin's <c>orleans</c> keys beyond ports and cluster identity: the address a silo advertises to
/// its peers, the address it binds, and failure detection.
/// </summary>
/// <param name="AdvertisedIp"><c>orleans.advertised_ip</c>: the address peers reach this silo on
/// (loopback by default, which suits a cluster on one machine).</param>
/// <param name="ListenIp"><c>orleans.listen_ip</c>: the address the silo and gateway listeners bind;
/// defaults to the advertised address (set <c>0.0.0.0</c> in a container that advertises its own IP).</param>
public sealed record ClusteringSettings(IPAddress AdvertisedIp, IPAddress ListenIp, MembershipSettings Membership)
{
    public static ClusteringSettings FromConfig(ConfigDocument? c)
    {
        if (c is null) return new(IPAddress.Loopback, IPAddress.Loopback, MembershipSettings.Default);
        var advertised = Ip(c, "orleans.advertised_ip", IPAddress.Loopback);
        var listen = Ip(c, "orleans.listen_ip", advertised);
        var d = MembershipSettings.Default;
        var m = new MembershipSettings(
            Duration(c, "orleans.membership.probe_timeout", d.ProbeTimeout),
            (int)Positive(c, "orleans.membership.missed_probes_limit", d.MissedProbesLimit),
            (int)Positive(c, "orleans.membership.votes_for_death_declaration", d.VotesForDeathDeclaration),
            Duration(c, "orleans.membership.death_vote_expiration", d.DeathVoteExpiration),
            Duration(c, "orleans.membership.i_am_alive_publish_period", d.IAmAlivePublishPeriod),
            Duration(c, "orleans.membership.table_refresh_period", d.TableRefreshPeriod));
        if (m.DeathVoteExpiration <= m.ProbeTimeout * m.MissedProbesLimit)
            throw c.Error("orleans.membership.death_vote_expiration",
                "must be longer than probe_timeout × missed_probes_limit, or votes expire before they can add up");
        return new(advertised, listen, m);
    }

    static IPAddress Ip(ConfigDocument c, string key, IPAddress fallback)
    {
        var s = c.String(key);
        if (s is null) return fallback;
        return IPAddress.TryParse(s, out var ip) ? ip : throw c.Error(key, $"'{s}' is not an IP address");
    }

    static long Positive(ConfigDocument c, string key, long fallback)
    {
        var v = c.Long(key, fallback);
        return v >= 1 ? v : throw c.Error(key, "must be at least 1");
    }

    /// <summary>Durations as Synapse writes them: a number of milliseconds, or a number with a unit
    /// (<c>500ms</c>, <c>2s</c>, <c>1m</c>, <c>1h</c>).</summary>
    internal static TimeSpan Duration(ConfigDocument c, string key, TimeSpan fallback)
    {
        var v = c.Get(key);
        if (v is null) return fallback;
        if (v is long ms && ms > 0) return TimeSpan.FromMilliseconds(ms);
        if (v is string s)
        {
            s = s.Trim();
            var (number, unit) = s.EndsWith("ms", StringComparison.Ordinal) ? (s[..^2], 1.0)
                : s.Length > 0 && char.IsLetter(s[^1]) ? (s[..^1], s[^1] switch
                {
                    's' => 1000.0, 'm' => 60_000.0, 'h' => 3_600_000.0, _ => double.NaN,
                })
                : (s, 1.0);
            if (!double.IsNaN(unit) && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
                return TimeSpan.FromMilliseconds(n * unit);
        }
        throw c.Error(key, "must be a duration such as 500ms, 2s or 1m");
    }
}
