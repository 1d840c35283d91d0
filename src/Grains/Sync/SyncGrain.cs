using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;
using Orleans.Placement;

namespace Myelin.Grains.Sync;

// Placed on the silo that first calls it: only gateways call sync grains (SyncEndpoints), and nginx keeps
// a user's long-polls on one gateway, so the grain lives where its /sync requests arrive, and a /sync
// and its (large) JSON answer cross no silo boundary. With the default placement three in four of a
// cluster's sync grains sat on another silo, often a persister.
[PreferLocalPlacement]
public sealed class SyncGrain(MyelinDatabase db, IReplicationBus bus, RecentEventsCache recent, EventsStream stream, IEnumerable<ISyncSection> sections)
    : Grain, ISyncGrain
{
    // The user's memberships, kept between syncs, with the events position they are current at: read
    // again only when the events stream recorded a membership change of the user after that position.
    IReadOnlyList<MembershipRow>? _memberships;
    long _membershipsAt;
    readonly IReadOnlyList<ISyncSection> _sections = [.. sections];

    // Read once: GetPrimaryKeyString makes a new string from the grain ID on every call.
    string UserId => _userId ??= this.GetPrimaryKeyString();
    string? _userId;

    // Clients send the same filter on every long-poll: parse it once.
    string? _filterJson;
    SyncFilter _filter = SyncFilter.Default;

    SyncFilter ParseFilter(string? json)
    {
        if (json is null) return SyncFilter.Default;
        if (json != _filterJson)
        {
            _filter = SyncFilter.Parse(JsonNode.Parse(json)!.AsObject());
            _filterJson = json;
        }
        return _filter;
    }

    async Task<IReadOnlyList<MembershipRow>> MembershipsAsync()
    {
        if (_memberships is null || stream.MembershipChanges.LastChange(UserId) > _membershipsAt)
        {
            // The position first: every membership row at or below it is committed, so the rows read
            // next are current at least up to it.
            var at = bus.Position(StreamNames.Events);
            _memberships = await db.Events.GetMembershipsForUserAsync(UserId);
            _membershipsAt = at;
        }
        return _memberships;
    }

    public async Task<SyncResult> Sync(SyncRequest request)
    {
        var filter = ParseFilter(request.FilterJson);
        SyncToken? since = null;
        if (request.Since is not null)
        {
            if (!SyncToken.TryParse(request.Since, out var t)) throw MatrixException.InvalidParam("Invalid 'since' token");
            since = t;
        }
        var upTo = SyncToken.Current(bus);
        // A token from a moment this process's bus has not reached yet (another gateway's) is not gone back on.
        if (since is { } s0 && s0.IsAheadOf(upTo)) upTo = upTo.Max(s0);

        var builder = new SyncBuilder(db, recent, UserId, request.DeviceId, filter, since, upTo, request.FullState, _sections);
        var response = await builder.BuildResponseAsync(await MembershipsAsync());
        var utf8 = request.OmitBodyWithoutUpdates && !builder.HasUpdates ? null : response.ToUtf8Bytes();
        return new SyncResult(utf8, builder.HasUpdates, response.NextBatch, builder.WatchedRooms, builder.SentToDevice);
    }
}
