using Myelin.Silo.Configuration;

namespace Myelin.Silo.WorkerApps.Pusher;

/// <summary>
/// How the pusher app sends (Synapse's <c>push</c> section: <c>include_content</c>, <c>group_unread_count_by_room</c>),
/// and its retry timing, which Synapse fixes: the first retry after a second, doubling up to an hour, a notification
/// given up on after a day of failures.
/// </summary>
public sealed record PusherSettings
{
    public bool IncludeContent { get; init; } = true;
    public bool GroupUnreadCountByRoom { get; init; } = true;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromHours(1);
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromDays(1);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often every pusher is read again (a pusher set on another process is also announced on the
    /// pushers stream; this covers a missed announcement).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The addresses push gateways may be at (<c>ip_range_blacklist</c>, <c>ip_range_whitelist</c>).</summary>
    public OutboundIpFilter IpFilter { get; init; } = OutboundIpFilter.Default;

    public static PusherSettings FromConfig(ConfigDocument? c) => c is null ? new() : new()
    {
        IncludeContent = c.Bool("push.include_content", true),
        GroupUnreadCountByRoom = c.Bool("push.group_unread_count_by_room", true),
        IpFilter = OutboundIpFilter.FromConfig(c),
    };
}
