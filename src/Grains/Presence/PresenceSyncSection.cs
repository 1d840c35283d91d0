using Myelin.Grains.Sync;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Presence;

/// <summary>
/// The <c>presence</c> section of /sync (Synapse's PresenceEventSource): m.presence events of the user and
/// of the users sharing a room with them. Incrementally, those whose presence changed between the
/// tokens, and everyone in a room joined since the token; on an initial or full-state sync, the current
/// presence of everyone sharing a room, offline users left out. Read from the process's
/// <see cref="PresenceCache"/>, never from the database's presence table.
/// </summary>
public sealed class PresenceSyncSection(PresenceCache cache, JoinedRoomsCache joinedRooms, MyelinDatabase db, PresenceOptions options,
    TimeProvider time) : ISyncSection
{
    /// <summary>Past this many changed users, they are matched against the members of the user's rooms
    /// rather than each user's rooms looked up (Synapse's switch from the stream to a full check).</summary>
    const int MaxChangesCheckedOneByOne = 500;

    public async Task AddToAsync(SyncSectionContext sync)
    {
        if (!options.Enabled || BlocksAll(sync.Filter.Presence)) return;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var sent = new HashSet<string>();
        void Add(UserPresence p)
        {
            if (sent.Add(p.UserId)) sync.AddPresence(p.ToEvent(now));
        }

        if (sync.Since is not { } since || sync.FullState)
        {
            foreach (var userId in (await MembersAsync(sync.JoinedRooms)).Append(sync.UserId))
                if (cache.Get(userId) is { State: not PresenceStates.Offline } p) Add(p);
            return;
        }

        var changed = cache.GetChanged(since.Presence, sync.UpTo.Presence);
        if (changed.Count > MaxChangesCheckedOneByOne)
        {
            var members = await MembersAsync(sync.JoinedRooms);
            members.Add(sync.UserId);
            foreach (var p in changed)
                if (members.Contains(p.UserId)) Add(p);
        }
        else if (changed.Count > 0)
        {
            var mine = sync.JoinedRooms.ToHashSet();
            foreach (var p in changed)
                if (p.UserId == sync.UserId || (await joinedRooms.GetAsync(p.UserId)).Overlaps(mine)) Add(p);
        }

        // Rooms joined since the token: their members' presence, as the client has not seen it (Synapse).
        var joinedSince = sync.JoinedRooms.Where(sync.RoomsInFull.Contains).ToList();
        if (joinedSince.Count > 0)
            foreach (var userId in await MembersAsync(joinedSince))
                if (userId != sync.UserId && cache.Get(userId) is { } p) Add(p);
    }

    async Task<HashSet<string>> MembersAsync(IEnumerable<string> rooms)
    {
        var members = new HashSet<string>();
        foreach (var room in rooms)
            foreach (var m in await db.Events.GetRoomMembershipsAsync(room))
                if (m.Membership == "join") members.Add(m.UserId);
        return members;
    }

    /// <summary>A presence filter that lets no m.presence event through, whoever sends it.</summary>
    static bool BlocksAll(EventFilter f) =>
        f.Limit == 0
        || (f.NotTypes?.Any(t => EventFilter.WildcardMatch(t, "m.presence")) ?? false)
        || (f.Types is not null && !f.Types.Any(t => EventFilter.WildcardMatch(t, "m.presence")))
        || f.Senders is { Count: 0 };
}
