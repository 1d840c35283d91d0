using Microsoft.Data.Sqlite;
using Npgsql;

namespace Myelin.Storage.Tests;

public sealed class DatabaseOptionsTests
{
    [Fact]
    public void FromSynapseConfig_Sqlite3_UsesFileAndCreatesDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "myelin-options-" + Guid.NewGuid().ToString("N"));
        var file = Path.Combine(dir, "sub", "homeserver.db");
        try
        {
            var o = DatabaseOptions.FromSynapseConfig("sqlite3", new Dictionary<string, object?> { ["database"] = file });

            Assert.Equal(DatabaseEngine.Sqlite, o.Engine);
            Assert.Equal(file, new SqliteConnectionStringBuilder(o.ConnectionString).DataSource);
            Assert.True(Directory.Exists(Path.Combine(dir, "sub")));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FromSynapseConfig_Sqlite3Memory_SharedInMemoryDatabase()
    {
        var o = DatabaseOptions.FromSynapseConfig("sqlite3", new Dictionary<string, object?> { ["database"] = ":memory:" });

        var b = new SqliteConnectionStringBuilder(o.ConnectionString);
        Assert.Equal(SqliteOpenMode.Memory, b.Mode);
        Assert.Equal(SqliteCacheMode.Shared, b.Cache);
    }

    [Fact]
    public void FromSynapseConfig_Psycopg2_MapsArgs()
    {
        var o = DatabaseOptions.FromSynapseConfig("psycopg2", new Dictionary<string, object?>
        {
            ["user"] = "synapse_user",
            ["password"] = "secret",
            ["database"] = "synapse",
            ["host"] = "db.example",
            ["port"] = 6543,
            ["cp_min"] = "5",
            ["cp_max"] = 10L,
        });

        Assert.Equal(DatabaseEngine.Postgres, o.Engine);
        var b = new NpgsqlConnectionStringBuilder(o.ConnectionString);
        Assert.Equal("synapse_user", b.Username);
        Assert.Equal("secret", b.Password);
        Assert.Equal("synapse", b.Database);
        Assert.Equal("db.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal(5, b.MinPoolSize);
        Assert.Equal(10, b.MaxPoolSize);
    }

    [Fact]
    public void FromSynapseConfig_Psycopg2WithDbname_UsesDbname()
    {
        var o = DatabaseOptions.FromSynapseConfig("psycopg2", new Dictionary<string, object?> { ["dbname"] = "other" });

        var b = new NpgsqlConnectionStringBuilder(o.ConnectionString);
        Assert.Equal("other", b.Database);
        Assert.Equal("localhost", b.Host);
        Assert.Equal(5432, b.Port);
    }

    [Fact]
    public void FromSynapseConfig_UnknownName_ThrowsNamingKey()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DatabaseOptions.FromSynapseConfig("mysql", new Dictionary<string, object?>()));

        Assert.Equal("database.name", e.ParamName);
    }

    [Fact]
    public void FromSynapseConfig_Sqlite3WithoutDatabase_ThrowsNamingKey()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DatabaseOptions.FromSynapseConfig("sqlite3", new Dictionary<string, object?>()));

        Assert.Equal("database.args.database", e.ParamName);
    }

    [Fact]
    public void FromSynapseConfig_BadPort_ThrowsNamingKey()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DatabaseOptions.FromSynapseConfig("psycopg2", new Dictionary<string, object?> { ["database"] = "x", ["port"] = "abc" }));

        Assert.Equal("database.args.port", e.ParamName);
    }

    [Fact]
    public void ToString_Postgres_HidesPassword()
    {
        var o = DatabaseOptions.FromSynapseConfig("psycopg2", new Dictionary<string, object?> { ["database"] = "x", ["password"] = "hunter2" });

        Assert.DoesNotContain("hunter2", o.ToString());
    }
}
