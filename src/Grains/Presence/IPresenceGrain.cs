using Myelin.Matrix;

namespace Myelin.Grains.Presence;

/// <summary>
/// The presence stream's writer for one user (Synapse's presence writer, sharded by user): their devices'
/// states, the idle and sync timeouts, and every change others should hear of, stored and published.
/// </summary>
[Alias("myelin.presence")]
public interface IPresenceGrain : IGrainWithStringKey
{
    /// <summary><c>PUT /presence/{userId}/status</c> from the device.</summary>
    Task SetState(string deviceId, string presence, string? statusMsg);

    /// <summary>A /sync of the device with <c>set_presence</c> (not offline), waiting up to
    /// <paramref name="syncFor"/>: the user counts as syncing that long.</summary>
    Task Syncing(string deviceId, string presence, TimeSpan syncFor);

    /// <summary>The user did something (sent an event): their last activity moves on.</summary>
    Task BumpActive(string deviceId);

    Task<PresenceStatus> Get();

    /// <summary>Activates the grain, so that the timeouts of a user stored as present run again after a restart.</summary>
    Task Resume();
}

/// <summary>A user's presence as the writer holds it (see <see cref="UserPresence"/>).</summary>
[GenerateSerializer, Immutable, Alias("myelin.presence-status")]
public sealed record PresenceStatus(
    [property: Id(0)] string UserId,
    [property: Id(1)] string State,
    [property: Id(2)] string? StatusMsg,
    [property: Id(3)] long LastActiveTs,
    [property: Id(4)] bool CurrentlyActive)
{
    public UserPresence ToPresence() => UserPresence.Offline(UserId) with
    {
        State = State, StatusMsg = StatusMsg, LastActiveTs = LastActiveTs, CurrentlyActive = CurrentlyActive,
    };
}
