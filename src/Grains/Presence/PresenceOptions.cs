namespace Myelin.Grains.Presence;

/// <summary>
/// Synapse's <c>presence</c> section. <c>enabled: false</c> turns presence off: GET answers offline, PUT
/// and <c>set_presence</c> change nothing, /sync carries no presence. <c>enabled: untracked</c> serves
/// presence without the server tracking it itself.
/// </summary>
public sealed record PresenceOptions(bool Enabled = true, bool Tracked = true);
