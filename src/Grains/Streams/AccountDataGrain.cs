using Myelin.Storage;

namespace Myelin.Grains.Streams;

public sealed class AccountDataGrain(MyelinDatabase db, AccountDataWriter writer) : Grain, IAccountDataGrain
{
    string UserId => this.GetPrimaryKeyString();

    public Task<long> Put(string? roomId, string type, string contentJson) => writer.WriteAsync(UserId, roomId, type, contentJson);

    public Task<string?> Get(string? roomId, string type) => db.AccountData.GetAccountDataAsync(UserId, roomId, type);
}

/// <summary>
/// Writes account data one row at a time per process, so positions commit in the order they were handed
/// out and a reader that saw position N has seen every row below it; then publishes the row on the bus.
/// </summary>
public sealed class AccountDataWriter(MyelinDatabase db, IReplicationBus bus)
{
    readonly SemaphoreSlim _order = new(1, 1);

    public async Task<long> WriteAsync(string userId, string? roomId, string type, string contentJson)
    {
        await _order.WaitAsync();
        try
        {
            var position = await db.AccountData.PutAccountDataAsync(userId, roomId, type, contentJson);
            bus.Publish(new StreamUpdate(StreamNames.AccountData, position, [], [userId]));
            return position;
        }
        finally
        {
            _order.Release();
        }
    }
}
