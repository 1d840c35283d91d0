using System.Text.Json.Nodes;
using Myelin.Matrix;

namespace Myelin.Grains.Sync;

/// <summary>
/// One stream's part of a /sync response (typing, receipts, presence, to-device, notification counts).
/// Sections are registered in the container and run by <see cref="SyncBuilder"/> after the rooms are
/// built; each reads its stream between <see cref="SyncSectionContext.Since"/> and
/// <see cref="SyncSectionContext.UpTo"/> and adds what it found to the context.
/// </summary>
public interface ISyncSection
{
    Task AddToAsync(SyncSectionContext sync);
}

/// <summary>What a <see cref="ISyncSection"/> reads (who is syncing, between which tokens, which rooms)
/// and where it writes its part of the response.</summary>
public sealed class SyncSectionContext(
    string userId, string deviceId, SyncFilter filter, SyncToken? since, SyncToken upTo, bool fullState,
    IReadOnlyList<string> joinedRooms, IReadOnlySet<string> roomsInFull)
{
    public string UserId => userId;
    public string DeviceId => deviceId;
    public SyncFilter Filter => filter;
    /// <summary>The client's token; null on an initial sync.</summary>
    public SyncToken? Since => since;
    public SyncToken UpTo => upTo;
    public bool FullState => fullState;
    /// <summary>Rooms the user is joined to (and the filter allows).</summary>
    public IReadOnlyList<string> JoinedRooms => joinedRooms;
    /// <summary>Joined rooms sent in full this time (initial sync, full_state, or joined since the token):
    /// their ephemeral state goes out whole, not only what changed.</summary>
    public IReadOnlySet<string> RoomsInFull => roomsInFull;

    /// <summary>Whether the room's ephemeral data is sent whole (not only changes since the token).</summary>
    public bool InFull(string roomId) => since is null || fullState || roomsInFull.Contains(roomId);

    internal readonly Dictionary<string, List<JsonNode>> Ephemeral = [];
    internal readonly Dictionary<string, (long Notifications, long Highlights, bool Changed)> UnreadCounts = [];
    internal readonly List<JsonNode> Presence = [];
    internal readonly List<JsonNode> ToDevice = [];

    /// <summary>An event for the room's <c>ephemeral</c> section (m.typing, m.receipt); the room is sent.
    /// The node may be shared by many responses: it is only written, never edited or parented.</summary>
    public void AddEphemeral(string roomId, string type, JsonNode ev)
    {
        if (!filter.Ephemeral.Matches(type, "", roomId, null)) return;
        if (!Ephemeral.TryGetValue(roomId, out var list)) Ephemeral[roomId] = list = [];
        list.Add(ev);
    }

    /// <summary>The room's <c>unread_notifications</c>. <paramref name="changed"/>: the counts moved since
    /// the token, so the room is sent even with nothing else new.</summary>
    public void SetUnreadCounts(string roomId, long notifications, long highlights, bool changed) =>
        UnreadCounts[roomId] = (notifications, highlights, changed);

    /// <summary>Set by a section that knows no room's counts can have moved since the token and so did not
    /// compute them: rooms sent anyway (for typing, say) then carry no <c>unread_notifications</c>, which
    /// clients read as "unchanged" (the key is optional), rather than zeros.</summary>
    public bool UnreadCountsUnchanged { get; set; }

    /// <summary>An m.presence event for the top-level <c>presence</c> section.</summary>
    public void AddPresence(JsonObject ev)
    {
        if (filter.Presence.Matches((string?)ev["type"] ?? "", (string?)ev["sender"] ?? "", null, null)) Presence.Add(ev);
    }

    /// <summary>A message for the top-level <c>to_device</c> section.</summary>
    public void AddToDevice(JsonObject ev) => ToDevice.Add(ev);

    internal long? ToDeviceCap;

    /// <summary>The to-device messages were cut off at this position (more are waiting): next_batch's
    /// to_device part goes no further, so that the next sync sends the rest.</summary>
    public void CapToDevice(long position) => ToDeviceCap = Math.Min(ToDeviceCap ?? long.MaxValue, position);

    /// <summary>Whether any section added something worth answering a long-poll for.</summary>
    public bool HasUpdates =>
        Ephemeral.Count > 0 || Presence.Count > 0 || ToDevice.Count > 0 || UnreadCounts.Values.Any(c => c.Changed);
}
