using Myelin.Storage.Schema;

namespace Myelin.Storage.Tests;

public sealed class SchemaTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory]
    [InlineData(DatabaseEngine.Sqlite)]
    [InlineData(DatabaseEngine.Postgres)]
    public void LoadDeltas_EachEngine_NumberedFromOneWithoutGaps(DatabaseEngine engine)
    {
        var deltas = SchemaMigrator.LoadDeltas(engine);

        Assert.NotEmpty(deltas);
        Assert.Equal(Enumerable.Range(1, deltas.Count), deltas.Select(d => d.Version));
        // A version may be for one engine only (the Orleans clustering tables are PostgreSQL's); then the
        // other engine's delta is an empty no-op, but never both.
        var other = SchemaMigrator.LoadDeltas(engine == DatabaseEngine.Sqlite ? DatabaseEngine.Postgres : DatabaseEngine.Sqlite);
        Assert.All(deltas, d => Assert.False(string.IsNullOrWhiteSpace(d.Sql)
            && string.IsNullOrWhiteSpace(other.Single(o => o.Version == d.Version).Sql)));
    }

    [Theory, SqliteData, PostgresData]
    public async Task OpenAsync_Twice_AppliesEachDeltaOnce(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);
        var expected = SchemaMigrator.LoadDeltas(engine).Select(d => d.Version).ToList();

        await using (var first = await MyelinDatabase.OpenAsync(options))
            Assert.Equal(expected, await first.GetSchemaVersionsAsync());
        await using var second = await MyelinDatabase.OpenAsync(options);

        Assert.Equal(expected, await second.GetSchemaVersionsAsync());
        Assert.Equal(engine, second.Engine);
    }

    [Theory, SqliteData, PostgresData]
    public async Task OpenAsync_ManyAtOnce_AllSucceed(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);

        var opened = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => MyelinDatabase.OpenAsync(options))));
        try
        {
            var expected = SchemaMigrator.LoadDeltas(engine).Select(d => d.Version).ToList();
            Assert.Equal(expected, await opened[0].GetSchemaVersionsAsync());
            var user = NewUserId();
            Assert.True(await opened[1].Accounts.CreateUserAsync(user, null, false, false, Now()));
            Assert.NotNull(await opened[2].Accounts.GetUserAsync(user));
        }
        finally
        {
            foreach (var db in opened) await db.DisposeAsync();
        }
    }

    [Fact]
    public async Task OpenAsync_SqliteFile_UsesWalJournal()
    {
        var options = await Fixture.CreateOptionsAsync(DatabaseEngine.Sqlite);
        await using var db = await MyelinDatabase.OpenAsync(options);

        await using var c = new Microsoft.Data.Sqlite.SqliteConnection(options.ConnectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task OpenAsync_SqliteInMemory_Works()
    {
        await using var db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(":memory:"));
        var user = NewUserId();

        Assert.True(await db.Accounts.CreateUserAsync(user, null, false, false, Now()));
        Assert.NotNull(await db.Accounts.GetUserAsync(user));
    }

    [Fact]
    public async Task Sqlite_WalIsCheckpointedInTheBackground_NotByTheWriters()
    {
        var options = await Fixture.CreateOptionsAsync(DatabaseEngine.Sqlite);
        await using var db = await MyelinDatabase.OpenAsync(options);
        var path = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
        var user = NewUserId();

        Assert.True(await db.Accounts.CreateUserAsync(user, null, false, false, Now()));

        // The row reaches the database file itself (a copy without the WAL has it) while the database is open
        // and nobody writes: only the background checkpointer copies it there.
        var copy = path + ".copy";
        for (var attempt = 0; ; attempt++)
        {
            File.Copy(path, copy, overwrite: true);
            await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={copy};Pooling=False"))
            {
                await c.OpenAsync();
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT COUNT(*) FROM users WHERE user_id = $name";
                cmd.Parameters.AddWithValue("$name", user);
                // Before the first checkpoint even the schema is only in the WAL.
                try { if ((long)(await cmd.ExecuteScalarAsync())! == 1) break; }
                catch (Microsoft.Data.Sqlite.SqliteException e) when (e.Message.Contains("no such table")) { }
            }
            Assert.True(attempt < 100, "the WAL was not checkpointed within 10 s");
            await Task.Delay(100);
        }
    }
}
