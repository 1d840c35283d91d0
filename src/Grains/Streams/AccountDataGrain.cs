using Myelin.Storage;

namespace Myelin.Grains.Streams;

public sealed class AccountDataGrain(MyelinDatabase db, AccountDataWriter writer) : Grain, IAccountDataGrain
{
    string UserId => this.GetPrimaryKeyString();

    public Task<long> Put(string? roomId, string type, string contentJson) => writer.WriteAsync(UserId, roomId, type, contentJson);

    public Task<string?> Get(string? roomId, string type) => db.AccountData.GetAccountDataAsync(UserId, roomId, type);
}

/// <summary>
/// Writes account data: the row commits in position order across processes (see
/// <see cref="IStreamIdGenerator.WriteAtNextAsync"/>), then goes out on the replication stream in
/// Synapse's AccountDataStream row shape.
/// </summary>
public sealed class AccountDataWriter(MyelinDatabase db, StreamFanout fanout)
{
    public async Task<long> WriteAsync(string userId, string? roomId, string type, string contentJson)
    {
        var position = await db.AccountData.PutAccountDataAsync(userId, roomId, type, contentJson);
        var row = new System.Text.Json.Nodes.JsonObject { ["user_id"] = userId, ["room_id"] = roomId, ["data_type"] = type };
        await fanout.PublishAsync(StreamNames.AccountData, position, row.ToJsonString());
        return position;
    }
}
