using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Myelin.Storage;

public enum DatabaseEngine { Sqlite, Postgres }

/// <summary>Which database to use and how to reach it (an ADO.NET connection string for the engine).</summary>
public sealed record DatabaseOptions(DatabaseEngine Engine, string ConnectionString)
{
    /// <summary>An SQLite database in the file at <paramref name="path"/> (its directory is created).</summary>
    public static DatabaseOptions Sqlite(string path)
    {
        if (path == ":memory:")
        {
            // One shared in-memory database per options instance; MyelinDatabase keeps it alive.
            var memory = new SqliteConnectionStringBuilder
            {
                DataSource = "myelin-" + Guid.NewGuid().ToString("N"),
                Mode = SqliteOpenMode.Memory,
                Cache = SqliteCacheMode.Shared,
                Pooling = true,
            };
            return new DatabaseOptions(DatabaseEngine.Sqlite, memory.ToString());
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var b = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        };
        return new DatabaseOptions(DatabaseEngine.Sqlite, b.ToString());
    }

    /// <summary>
    /// Builds the options from Synapse's <c>database</c> YAML section: <paramref name="name"/> is
    /// <c>database.name</c> (<c>sqlite3</c> or <c>psycopg2</c>) and <paramref name="args"/> is
    /// <c>database.args</c>. Values may be strings or numbers, as a YAML parser hands them over.
    /// </summary>
    /// <exception cref="ArgumentException">naming the offending key, e.g. <c>database.name</c>.</exception>
    public static DatabaseOptions FromSynapseConfig(string name, IReadOnlyDictionary<string, object?> args)
    {
        switch (name)
        {
            case "sqlite3":
                var path = Str(args, "database")
                    ?? throw new ArgumentException("database.args.database is required for sqlite3 (the database file path)", "database.args.database");
                return Sqlite(path);

            case "psycopg2":
                var b = new NpgsqlConnectionStringBuilder
                {
                    Host = Str(args, "host") ?? "localhost",
                    Port = Int(args, "port") ?? 5432,
                    Database = Str(args, "database") ?? Str(args, "dbname")
                        ?? throw new ArgumentException("database.args.database is required for psycopg2", "database.args.database"),
                };
                if (Str(args, "user") is { } user) b.Username = user;
                if (Str(args, "password") is { } password) b.Password = password;
                // Synapse's Twisted pool bounds map onto Npgsql's pool bounds.
                if (Int(args, "cp_min") is { } min) b.MinPoolSize = min;
                if (Int(args, "cp_max") is { } max) b.MaxPoolSize = max;
                if (b.MinPoolSize > b.MaxPoolSize)
                    throw new ArgumentException($"database.args.cp_min ({b.MinPoolSize}) is larger than database.args.cp_max ({b.MaxPoolSize})", "database.args.cp_min");
                if (Str(args, "sslmode") is { } ssl)
                {
                    if (!Enum.TryParse<SslMode>(ssl, ignoreCase: true, out var mode))
                        throw new ArgumentException($"database.args.sslmode: unknown mode '{ssl}'", "database.args.sslmode");
                    b.SslMode = mode;
                }
                return new DatabaseOptions(DatabaseEngine.Postgres, b.ToString());

            default:
                throw new ArgumentException($"database.name: unknown database engine '{name}' (expected sqlite3 or psycopg2)", "database.name");
        }
    }

    static string? Str(IReadOnlyDictionary<string, object?> args, string key) =>
        args.TryGetValue(key, out var v) && v is not null
            ? Convert.ToString(v, CultureInfo.InvariantCulture) is { Length: > 0 } s ? s : null
            : null;

    static int? Int(IReadOnlyDictionary<string, object?> args, string key)
    {
        var s = Str(args, key);
        if (s is null) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) || i < 0)
            throw new ArgumentException($"database.args.{key}: '{s}' is not a non-negative integer", $"database.args.{key}");
        return i;
    }

    /// <summary>The connection string without its password, for logs.</summary>
    public override string ToString()
    {
        if (Engine != DatabaseEngine.Postgres) return $"{Engine}: {ConnectionString}";
        var b = new NpgsqlConnectionStringBuilder(ConnectionString) { Password = null };
        return $"{Engine}: {b}";
    }
}
