namespace Myelin.Storage.Tests;

public sealed class StreamIdGeneratorTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static string NewStream() => "s" + Guid.NewGuid().ToString("N")[..10];

    [Theory, SqliteData, PostgresData]
    public async Task NextAsync_FreshStream_StartsAtOneAndIncreases(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var stream = NewStream();

        Assert.Equal(0, await db.StreamIds.CurrentAsync(stream));
        Assert.Equal(1, await db.StreamIds.NextAsync(stream));
        Assert.Equal(2, await db.StreamIds.NextAsync(stream));
        Assert.Equal(2, await db.StreamIds.CurrentAsync(stream));
    }

    [Theory, SqliteData, PostgresData]
    public async Task NextAsync_Count_ReturnsLastOfConsecutiveBlock(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var stream = NewStream();
        await db.StreamIds.NextAsync(stream);

        var last = await db.StreamIds.NextAsync(stream, 5);

        Assert.Equal(6, last);
        Assert.Equal(6, await db.StreamIds.CurrentAsync(stream));
        Assert.Equal(7, await db.StreamIds.NextAsync(stream));
    }

    [Theory, SqliteData, PostgresData]
    public async Task NextAsync_Concurrent_BlocksNeverOverlap(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var stream = NewStream();

        var blocks = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var count = i % 4 + 1;
            var last = await db.StreamIds.NextAsync(stream, count);
            return Enumerable.Range(0, count).Select(k => last - k).ToList();
        })));

        var all = blocks.SelectMany(b => b).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(all.Max(), await db.StreamIds.CurrentAsync(stream));
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Order());
    }

    [Theory, SqliteData, PostgresData]
    public async Task NextAsync_InvalidName_Throws(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);

        await Assert.ThrowsAsync<ArgumentException>(() => db.StreamIds.NextAsync("Robert'); DROP TABLE users;--"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => db.StreamIds.NextAsync(NewStream(), 0));
    }

    [Theory, SqliteData, PostgresData]
    public async Task NextAsync_AfterReopen_ContinuesAfterHighest(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);
        var stream = NewStream();
        var room = NewRoomId();
        await using (var first = await MyelinDatabase.OpenAsync(options))
        {
            await first.StreamIds.NextAsync(stream, 3);
            var so = await first.StreamIds.NextAsync("events", 2);
            await first.Events.PersistEventsAsync([(EventFactory.Message(room, "@a:test"), so - 1), (EventFactory.Message(room, "@a:test"), so)]);
            await first.AccountData.PutAccountDataAsync(NewUserId(), null, "t", "{}");
        }

        await using var second = await MyelinDatabase.OpenAsync(options);

        Assert.Equal(4, await second.StreamIds.NextAsync(stream));
        Assert.Equal(3, await second.StreamIds.NextAsync("events"));
        Assert.Equal(2, await second.StreamIds.NextAsync("account_data"));
    }

    [Theory, PostgresData]
    public async Task NextAsync_TwoProcesses_PositionsUnique(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);
        await using var a = await MyelinDatabase.OpenAsync(options);
        await using var b = await MyelinDatabase.OpenAsync(options);

        var all = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => (i % 2 == 0 ? a : b).StreamIds.NextAsync("events", 3))));

        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => 3L * i), all.Order());
        Assert.Equal(120, await a.StreamIds.CurrentAsync("events"));
        Assert.Equal(120, await b.StreamIds.CurrentAsync("events"));
    }
}
