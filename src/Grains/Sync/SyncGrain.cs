using System.Text.Json.Nodes;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Sync;

public sealed class SyncGrain(MyelinDatabase db, IReplicationBus bus) : Grain, ISyncGrain
{
    string UserId => this.GetPrimaryKeyString();

    public async Task<SyncResult> Sync(SyncRequest request)
    {
        var filter = request.FilterJson is null ? SyncFilter.Default : SyncFilter.Parse(JsonNode.Parse(request.FilterJson)!.AsObject());
        SyncToken? since = null;
        if (request.Since is not null)
        {
            if (!SyncToken.TryParse(request.Since, out var t)) throw MatrixException.InvalidParam("Invalid 'since' token");
            since = t;
        }
        var upTo = new SyncToken(bus.Position(StreamNames.Events), bus.Position(StreamNames.AccountData));
        if (since is { } s0 && (s0.Events > upTo.Events || s0.AccountData > upTo.AccountData))
            upTo = new SyncToken(Math.Max(s0.Events, upTo.Events), Math.Max(s0.AccountData, upTo.AccountData));

        var builder = new SyncBuilder(db, UserId, request.DeviceId, filter, since, upTo, request.FullState);
        var body = await builder.BuildAsync();
        return new SyncResult(body.ToJsonString(), builder.HasUpdates, upTo.ToString(), builder.WatchedRooms);
    }
}
