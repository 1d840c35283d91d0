using Microsoft.Data.Sqlite;
using Npgsql;

namespace Myelin.Storage.Tests;

public sealed class AccessTokenStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task GetOwner_AddedToken_ReturnsOwner(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var token = "syt_" + NewId();

        var id = await db.AccessTokens.AddAccessTokenAsync(token, user, "DEV", Now());

        Assert.Equal(new TokenOwner(user, "DEV", id), await db.AccessTokens.GetOwnerAsync(token));
        Assert.Null(await db.AccessTokens.GetOwnerAsync(token + "x"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddAccessToken_Several_DistinctIncreasingIds(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        var a = await db.AccessTokens.AddAccessTokenAsync("a" + NewId(), user, "DEV", 1);
        var b = await db.AccessTokens.AddAccessTokenAsync("b" + NewId(), user, "DEV", 1);

        Assert.True(b > a);
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddAccessToken_Any_StoresOnlySha256(DatabaseEngine engine)
    {
        var options = await Fixture.CreateOptionsAsync(engine);
        await using var db = await MyelinDatabase.OpenAsync(options);
        var token = "syt_secret_" + NewId();
        await db.AccessTokens.AddAccessTokenAsync(token, NewUserId(), "DEV", 1);

        var stored = await ReadTokenColumnAsync(options);

        Assert.Equal([AccessTokenHash.Compute(token)], stored);
        Assert.DoesNotContain(token, stored);
        Assert.Matches("^[0-9a-f]{64}$", stored[0]);
    }

    static async Task<List<string>> ReadTokenColumnAsync(DatabaseOptions options)
    {
        const string sql = "SELECT token_hash FROM access_tokens";
        var result = new List<string>();
        if (options.Engine == DatabaseEngine.Postgres)
        {
            await using var c = new NpgsqlConnection(options.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand(sql, c);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) result.Add(r.GetString(0));
        }
        else
        {
            await using var c = new SqliteConnection(options.ConnectionString);
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) result.Add(r.GetString(0));
        }
        return result;
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteAccessToken_Existing_OwnerGone(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var token = "t" + NewId();
        await db.AccessTokens.AddAccessTokenAsync(token, NewUserId(), "DEV", 1);

        await db.AccessTokens.DeleteAccessTokenAsync(token);

        Assert.Null(await db.AccessTokens.GetOwnerAsync(token));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteAllForUser_NoException_DeletesAllOfUserAndReturnsHashes(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var other = NewUserId();
        var t1 = "t1" + NewId();
        var t2 = "t2" + NewId();
        var t3 = "t3" + NewId();
        await db.AccessTokens.AddAccessTokenAsync(t1, user, "D1", 1);
        await db.AccessTokens.AddAccessTokenAsync(t2, user, "D2", 1);
        await db.AccessTokens.AddAccessTokenAsync(t3, other, "D3", 1);

        var deleted = await db.AccessTokens.DeleteAllForUserAsync(user);

        Assert.Equal(new[] { t1, t2 }.Select(AccessTokenHash.Compute).Order(), deleted.Order());
        Assert.Null(await db.AccessTokens.GetOwnerAsync(t1));
        Assert.Null(await db.AccessTokens.GetOwnerAsync(t2));
        Assert.NotNull(await db.AccessTokens.GetOwnerAsync(t3));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteAllForUser_WithException_KeepsThatToken(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var keep = "keep" + NewId();
        var drop = "drop" + NewId();
        var keepId = await db.AccessTokens.AddAccessTokenAsync(keep, user, "D1", 1);
        await db.AccessTokens.AddAccessTokenAsync(drop, user, "D2", 1);

        var deleted = await db.AccessTokens.DeleteAllForUserAsync(user, keepId);

        Assert.Equal([AccessTokenHash.Compute(drop)], deleted);
        Assert.NotNull(await db.AccessTokens.GetOwnerAsync(keep));
        Assert.Null(await db.AccessTokens.GetOwnerAsync(drop));
    }

    [Fact]
    public void Compute_KnownInput_IsLowercaseHexSha256()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", AccessTokenHash.Compute("abc"));
    }
}
