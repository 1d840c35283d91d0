using Dapper;

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

    [Theory, SqliteData, PostgresData]
    public async Task WriteAtNextAsync_ConcurrentWriters_UniqueIncreasingPositionsCommittedInOrder(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);
        await using var a = await MyelinDatabase.OpenAsync(options);
        // On PostgreSQL a second process writes the same stream; SQLite has one process.
        await using var b = engine == DatabaseEngine.Postgres ? await MyelinDatabase.OpenAsync(options) : null;
        await using var raw = new Db(options);
        var table = "order_" + NewId();
        await raw.WriteAsync((c, tx) => c.ExecuteAsync(
            $"CREATE TABLE {table} (position BIGINT PRIMARY KEY, committed_below BIGINT NOT NULL)", transaction: tx));
        var stream = NewStream();

        var positions = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => Task.Run(async () =>
        {
            var db = i % 2 == 1 && b is not null ? b : a;
            var position = await db.StreamIds.WriteAtNextAsync(stream, async (c, tx, p) =>
            {
                // What this write sees committed below its own position when it writes.
                await c.ExecuteAsync($"INSERT INTO {table} (position, committed_below) SELECT @P, COUNT(*) FROM {table} WHERE position < @P",
                    new { P = p }, tx);
                // Holds the transaction open a little, so that an out-of-order commit would have room to happen.
                await Task.Delay(i % 3);
            });
            // Whatever is reported committed is readable, all of it.
            var committed = await db.StreamIds.CurrentCommittedAsync(stream);
            Assert.True(committed >= position);
            var visible = await raw.ReadAsync(c => c.ExecuteScalarAsync<long>(
                $"SELECT COUNT(*) FROM {table} WHERE position <= @C", new { C = committed }));
            Assert.Equal(committed, visible);
            return position;
        })));

        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), positions.Order());
        var rows = (await raw.ReadAsync(c => c.QueryAsync<(long Position, long CommittedBelow)>(
            $"SELECT position, committed_below FROM {table} ORDER BY position"))).ToList();
        Assert.Equal(positions.Order(), rows.Select(r => r.Position));
        // Every write saw every lower position already committed: the stream commits in position order.
        Assert.All(rows, r => Assert.Equal(r.Position - 1, r.CommittedBelow));
        Assert.Equal(60, await a.StreamIds.CurrentCommittedAsync(stream));
        if (b is not null) Assert.Equal(60, await b.StreamIds.CurrentCommittedAsync(stream));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CurrentCommittedAsync_FreshStream_IsZero(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);

        Assert.Equal(0, await db.StreamIds.CurrentCommittedAsync(NewStream()));
    }
}
