using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Sync;

/// <summary>
/// Builds one /sync response (spec: client-server API "Syncing"): for every room of the user, the
/// timeline between the tokens (limited, with prev_batch), the state before the timeline (all of it on a
/// full or first sync, only what changed in the gap otherwise), invites with stripped state, rooms left.
/// </summary>
public sealed class SyncBuilder(
    MyelinDatabase db, RecentEventsCache recent, string userId, string deviceId, SyncFilter filter, SyncToken? since, SyncToken upTo, bool fullState,
    IReadOnlyList<ISyncSection>? sections = null)
{
    const int DefaultTimelineLimit = 10;
    readonly long _now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public bool HasUpdates { get; private set; }
    /// <summary>The response carries to-device messages.</summary>
    public bool SentToDevice { get; private set; }
    /// <summary>The response's next_batch: <c>upTo</c>, but where a section held something back (to-device
    /// messages over the limit) only as far as what it sent.</summary>
    public SyncToken NextBatch => _nextBatch ?? upTo;
    SyncToken? _nextBatch;
    public List<string> WatchedRooms { get; } = [];

    int TimelineLimit => Math.Clamp(filter.Timeline.Limit ?? DefaultTimelineLimit, 1, 1000);

    /// <summary>The response as a JSON object (tests; the sync grain writes <see cref="BuildResponseAsync"/> as bytes).</summary>
    public async Task<JsonObject> BuildAsync(IReadOnlyList<MembershipRow> memberships) =>
        (await BuildResponseAsync(memberships)).ToJsonObject();

    public async Task<SyncResponse> BuildResponseAsync(IReadOnlyList<MembershipRow> memberships)
    {
        var response = new SyncResponse();
        var (join, invite, leave) = (response.Join, response.Invite, response.Leave);
        var sinceEvents = since?.Events;

        var accountDataFrom = since?.AccountData ?? 0;
        IReadOnlyList<AccountDataRow> accountData = accountDataFrom >= upTo.AccountData ? []
            : await db.AccountData.GetChangedAsync(userId, accountDataFrom, upTo.AccountData);

        // An incremental sync reads the new events of all the user's joined rooms in one query; only rooms
        // that have something go on to be built.
        Dictionary<string, List<StoredEvent>>? fresh = null;
        if (sinceEvents is { } from && !fullState)
        {
            fresh = [];
            if (from < upTo.Events)
            {
                var joined = memberships.Where(m => m.Membership == "join" && m.StreamOrdering <= from && RoomAllowed(m.RoomId) && !m.Forgotten)
                    .Select(m => m.RoomId).ToList();
                IReadOnlyList<StoredEvent> rows = [];
                if (joined.Count > 0)
                    rows = recent.TryGetRange(joined.ToHashSet(), from, upTo.Events, out var cached)
                        ? cached : await db.Events.GetEventsInRangeAsync(joined, from, upTo.Events);
                fresh = rows.GroupBy(e => e.RoomId).ToDictionary(g => g.Key, g => g.ToList());
            }
        }

        var roomsInFull = new HashSet<string>();
        foreach (var m in memberships)
        {
            if (!RoomAllowed(m.RoomId) || m.Forgotten) continue;
            if (m.Membership == "join") WatchedRooms.Add(m.RoomId);
            if (m.StreamOrdering > upTo.Events) continue; // committed after our upper bound: next sync
            var changedNow = sinceEvents is null || m.StreamOrdering > sinceEvents;
            if (m.Membership == "join" && (changedNow || fullState)) roomsInFull.Add(m.RoomId);
            List<JsonNode> roomAccountData = accountData.Count == 0 ? [] : RoomAccountData(accountData, m.RoomId);
            switch (m.Membership)
            {
                case "join":
                {
                    var room = changedNow || fullState
                        ? await FullRoomAsync(m.RoomId, sinceEvents ?? 0, upTo.Events, includeFullState: true)
                        : fresh!.TryGetValue(m.RoomId, out var events)
                            ? await IncrementalRoomAsync(m.RoomId, sinceEvents!.Value, upTo.Events, events)
                            : null;
                    if (room is null && roomAccountData.Count == 0) continue;
                    room ??= new SyncRoom();
                    room.AccountData = roomAccountData;
                    join[m.RoomId] = room;
                    break;
                }
                case "invite":
                    if (!changedNow && !fullState) continue;
                    invite[m.RoomId] = await InvitedRoomAsync(m);
                    break;
                case "knock":
                    break;
                default: // leave, ban
                    if (sinceEvents is null && !filter.IncludeLeave) continue;
                    if (!changedNow && !fullState) continue;
                    var left = await FullRoomAsync(m.RoomId, sinceEvents ?? 0, m.StreamOrdering, includeFullState: true)
                        ?? new SyncRoom();
                    left.AsLeft();
                    left.AccountData = roomAccountData;
                    leave[m.RoomId] = left;
                    break;
            }
        }

        var globalAccountData = response.AccountData;
        foreach (var row in accountData.Where(r => r.RoomId is null))
            if (filter.AccountData.Matches(row.Type, userId, null, null))
                globalAccountData.Add(new JsonObject { ["type"] = row.Type, ["content"] = JsonNode.Parse(row.ContentJson) });

        var sectionsContext = new SyncSectionContext(userId, deviceId, filter, since, upTo, fullState,
            JoinedAsOf(WatchedRooms, memberships, upTo.Events), roomsInFull);
        foreach (var section in sections ?? []) await section.AddToAsync(sectionsContext);
        AddSections(join, sectionsContext);
        if (sectionsContext.ToDeviceCap is { } cap && cap < upTo.ToDevice)
            _nextBatch = upTo with { ToDevice = Math.Max(cap, since?.ToDevice ?? 0) };

        SentToDevice = sectionsContext.ToDevice.Count > 0;
        HasUpdates = join.Count > 0 || invite.Count > 0 || leave.Count > 0 || globalAccountData.Count > 0 || sectionsContext.HasUpdates;
        response.NextBatch = NextBatch.ToString();
        response.Presence = sectionsContext.Presence;
        response.ToDevice = sectionsContext.ToDevice;
        return response;
    }

    /// <summary>Puts the sections' ephemeral events and unread counts into the joined rooms, adding a room
    /// when its only news is there.</summary>
    static void AddSections(Dictionary<string, SyncRoom> join, SyncSectionContext sections)
    {
        SyncRoom Room(string roomId)
        {
            if (!join.TryGetValue(roomId, out var room)) join[roomId] = room = new SyncRoom();
            return room;
        }

        foreach (var (roomId, events) in sections.Ephemeral)
            Room(roomId).Ephemeral = events;
        if (sections.UnreadCountsUnchanged)
            foreach (var (roomId, room) in join)
                if (!sections.UnreadCounts.ContainsKey(roomId)) room.Unread = null;
        foreach (var (roomId, (notifications, highlights, changed)) in sections.UnreadCounts)
        {
            if (!changed && !join.ContainsKey(roomId)) continue;
            Room(roomId).Unread = (highlights, notifications);
        }
    }

    bool RoomAllowed(string roomId) =>
        (filter.Rooms is null || filter.Rooms.Contains(roomId)) && (filter.NotRooms is null || !filter.NotRooms.Contains(roomId));

    List<JsonNode> RoomAccountData(IReadOnlyList<AccountDataRow> rows, string roomId)
    {
        var result = new List<JsonNode>();
        foreach (var r in rows)
            if (r.RoomId == roomId && filter.RoomAccountData.Matches(r.Type, userId, roomId, null))
                result.Add(new JsonObject { ["type"] = r.Type, ["content"] = JsonNode.Parse(r.ContentJson) });
        return result;
    }

    /// <summary>Timeline events in (from, to], newest <see cref="TimelineLimit"/>; limited when more existed.</summary>
    async Task<(List<StoredEvent> Events, bool Limited)> TimelineAsync(string roomId, long from, long to)
    {
        var limit = TimelineLimit;
        var rows = await db.Events.GetRoomEventsAsync(roomId, from, to, limit + 1);
        var limited = rows.Count > limit;
        var events = (limited ? rows.Skip(rows.Count - limit) : rows)
            .Where(e => filter.Timeline.Matches(e.Type, e.Sender, roomId, null)).ToList();
        return (events, limited);
    }

    string PrevBatch(List<StoredEvent> timeline, long to) =>
        timeline.Count > 0 ? new TopologicalToken(timeline[0].Depth, timeline[0].StreamOrdering).ToString()
            : (upTo with { Events = to }).ToString();

    async Task<SyncRoom?> FullRoomAsync(string roomId, long from, long to, bool includeFullState)
    {
        var (timeline, limited) = await TimelineAsync(roomId, from, to);
        var stateAt = timeline.Count > 0 ? timeline[0].StreamOrdering - 1 : to;
        var state = includeFullState ? await db.Events.GetStateAtAsync(roomId, stateAt) : [];
        return await RoomJsonAsync(roomId, timeline, limited, PrevBatch(timeline, to), state, summary: true);
    }

    async Task<SyncRoom?> IncrementalRoomAsync(string roomId, long from, long to, List<StoredEvent> fresh)
    {
        var limited = fresh.Count > TimelineLimit;
        var timeline = (limited ? fresh.Skip(fresh.Count - TimelineLimit) : fresh)
            .Where(e => filter.Timeline.Matches(e.Type, e.Sender, roomId, null)).ToList();
        if (timeline.Count == 0 && !limited) return null;
        IReadOnlyList<StoredEvent> state = [];
        if (limited)
        {
            // spec: a limited sync returns the state changes in the gap between since and the timeline.
            var before = (await db.Events.GetStateAtAsync(roomId, from)).ToDictionary(e => (e.Type, e.StateKey), e => e.EventId);
            var atStart = await db.Events.GetStateAtAsync(roomId, timeline.Count > 0 ? timeline[0].StreamOrdering - 1 : to);
            state = atStart.Where(e => !before.TryGetValue((e.Type, e.StateKey), out var id) || id != e.EventId).ToList();
        }
        var membershipChanged = timeline.Any(e => e.Type == "m.room.member") || state.Any(e => e.Type == "m.room.member");
        return await RoomJsonAsync(roomId, timeline, limited, PrevBatch(timeline, to), state, summary: membershipChanged);
    }

    async Task<SyncRoom> RoomJsonAsync(string roomId, List<StoredEvent> timeline, bool limited, string prevBatch,
        IReadOnlyList<StoredEvent> state, bool summary)
    {
        var inTimeline = timeline.Select(e => e.EventId).ToHashSet();
        IEnumerable<StoredEvent> stateEvents = state.Where(e => !inTimeline.Contains(e.EventId)
            && filter.State.Matches(e.Type, e.Sender, roomId, null));
        if (filter.State.LazyLoadMembers)
        {
            // spec: lazy-loading sends only the members who sent something in the timeline, and the user's own.
            var senders = timeline.Select(e => e.Sender).Append(userId).ToHashSet();
            stateEvents = stateEvents.Where(e => e.Type != "m.room.member" || senders.Contains(e.StateKey ?? ""));
        }
        var room = new SyncRoom { Limited = limited, PrevBatch = prevBatch };
        foreach (var e in timeline) room.Timeline.Add(RawClientEvents.Format(e, userId, deviceId, _now, includeRoomId: false));
        foreach (var e in stateEvents) room.State.Add(RawClientEvents.Format(e, userId, deviceId, _now, includeRoomId: false));
        if (summary) room.Summary = await SummaryAsync(roomId);
        return room;
    }

    /// <summary>spec: room summary — heroes, joined and invited member counts.</summary>
    async Task<JsonObject> SummaryAsync(string roomId)
    {
        var members = await db.Events.GetRoomMembershipsAsync(roomId);
        var heroes = members.Where(m => m.UserId != userId && m.Membership is "join" or "invite")
            .Select(m => m.UserId).Order(StringComparer.Ordinal).Take(5).ToList();
        if (heroes.Count == 0)
            heroes = members.Where(m => m.UserId != userId).Select(m => m.UserId).Order(StringComparer.Ordinal).Take(5).ToList();
        return new JsonObject
        {
            ["m.heroes"] = new JsonArray(heroes.Select(h => (JsonNode)h!).ToArray()),
            ["m.joined_member_count"] = members.Count(m => m.Membership == "join"),
            ["m.invited_member_count"] = members.Count(m => m.Membership == "invite"),
        };
    }

    async Task<JsonObject> InvitedRoomAsync(MembershipRow m)
    {
        var state = await db.Events.GetCurrentStateAsync(m.RoomId);
        var events = new JsonArray();
        foreach (var e in state.Where(e => ClientEvents.PrejoinStateTypes.Contains(e.Type)))
            events.Add(ClientEvents.Stripped(e));
        var inviteEvent = await db.Events.GetEventAsync(m.EventId);
        if (inviteEvent is not null)
        {
            var ev = ClientEvents.Format(inviteEvent, userId, deviceId, _now, includeRoomId: false);
            events.Add(ev);
            // Senders' member events let clients show who invited them.
            var inviter = state.FirstOrDefault(e => e.Type == "m.room.member" && e.StateKey == inviteEvent.Sender);
            if (inviter is not null) events.Add(ClientEvents.Stripped(inviter));
        }
        return new JsonObject { ["invite_state"] = new JsonObject { ["events"] = events } };
    }

    /// <summary>The watched rooms whose membership is at or below the events position (one pass, not one
    /// scan of the memberships per room: a user in a thousand rooms syncs often).</summary>
    static List<string> JoinedAsOf(List<string> watched, IReadOnlyList<MembershipRow> memberships, long events)
    {
        // Usually every membership is settled: the watched rooms are the answer as they are.
        var allSettled = true;
        for (var i = 0; i < memberships.Count && allSettled; i++) allSettled = memberships[i].StreamOrdering <= events;
        if (allSettled) return watched;
        var settled = memberships.Where(m => m.StreamOrdering <= events).Select(m => m.RoomId).ToHashSet(StringComparer.Ordinal);
        return watched.Where(settled.Contains).ToList();
    }
}
