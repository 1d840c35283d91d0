using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Streams;

public sealed class RecentReceiptRangesTests : IAsyncLifetime
{
    MyelinDatabase _db = null!;

    public async Task InitializeAsync() =>
        _db = await MyelinDatabase.OpenAsync(new DatabaseOptions(DatabaseEngine.Sqlite, $"Data Source=file:rrr{Guid.NewGuid():N}?mode=memory&cache=shared"));

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task ManyAskersOfOneRange_OneDatabaseRead_EveryRoomsRows()
    {
        var a = (await _db.Receipts.PutReceiptAsync("!a:test", "m.read", "@u:test", null, "$1", 1, "{}"))!.Value;
        var b = (await _db.Receipts.PutReceiptAsync("!b:test", "m.read", "@v:test", null, "$2", 2, "{}"))!.Value;
        var ranges = new RecentReceiptRanges(_db);

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => ranges.GetAsync(a - 1, b)));

        Assert.Equal(1, ranges.DatabaseReads);
        Assert.All(answers, rows => Assert.Equal(["!a:test", "!b:test"], rows.Select(r => r.RoomId)));
        Assert.Single((await ranges.GetAsync(a, b)));
        Assert.Equal(2, ranges.DatabaseReads);
    }

    [Fact]
    public void OnlySmallRanges_AreShared()
    {
        Assert.True(RecentReceiptRanges.Covers(10, 11));
        Assert.True(RecentReceiptRanges.Covers(0, RecentReceiptRanges.MaxSharedRange));
        Assert.False(RecentReceiptRanges.Covers(0, RecentReceiptRanges.MaxSharedRange + 1));
        Assert.False(RecentReceiptRanges.Covers(5, 5));
    }
}
