using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit.Sdk;

namespace Myelin.Storage.Tests;

/// <summary>Where the PostgreSQL tests run: <c>MYELIN_TEST_POSTGRES</c>, a connection string to a
/// server on which the tests may create and drop databases.</summary>
public static class TestEnvironment
{
    public const string PostgresVariable = "MYELIN_TEST_POSTGRES";

    public static string? PostgresConnectionString =>
        Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } cs ? cs : null;

    public static bool IsCi =>
        string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>PostgreSQL tests skip only locally, and only when no server is configured.</summary>
    public static string? PostgresSkipReason =>
        PostgresConnectionString is null && !IsCi ? $"{PostgresVariable} is not set (run: eval \"$(bash scripts/services.sh start)\")" : null;
}

/// <summary>Supplies <see cref="DatabaseEngine.Sqlite"/> to a theory.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class SqliteDataAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [[DatabaseEngine.Sqlite]];
}

/// <summary>Supplies <see cref="DatabaseEngine.Postgres"/> to a theory; skipped when no server is
/// configured, except under CI=true, where the test then fails.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresDataAttribute : DataAttribute
{
    public PostgresDataAttribute() => Skip = TestEnvironment.PostgresSkipReason!;

    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [[DatabaseEngine.Postgres]];
}

/// <summary>
/// Fresh databases for a test class: the shared one per engine (<see cref="GetAsync"/>) and any extra
/// ones a test asks for (<see cref="CreateOptionsAsync"/>). SQLite files live in a temporary folder;
/// PostgreSQL databases get random names. All are removed when the class is done.
/// </summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "myelin-storage-tests", Guid.NewGuid().ToString("N"));
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly Dictionary<DatabaseEngine, MyelinDatabase> _open = [];
    readonly List<string> _pgDatabases = [];

    /// <summary>The class's database of the engine, opened on first use.</summary>
    public async Task<MyelinDatabase> GetAsync(DatabaseEngine engine)
    {
        await _gate.WaitAsync();
        try
        {
            if (_open.TryGetValue(engine, out var db)) return db;
            db = await MyelinDatabase.OpenAsync(await CreateOptionsAsync(engine));
            _open[engine] = db;
            return db;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Options for a new, empty database of the engine (nothing applied to it yet).</summary>
    public async Task<DatabaseOptions> CreateOptionsAsync(DatabaseEngine engine)
    {
        var name = "myelin_test_" + Guid.NewGuid().ToString("N")[..16];
        if (engine == DatabaseEngine.Sqlite) return DatabaseOptions.Sqlite(Path.Combine(_dir, name + ".db"));

        await using (var admin = new NpgsqlConnection(AdminConnectionString()))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        lock (_pgDatabases) _pgDatabases.Add(name);
        var b = new NpgsqlConnectionStringBuilder(AdminConnectionString()) { Database = name };
        return new DatabaseOptions(DatabaseEngine.Postgres, b.ToString());
    }

    static string AdminConnectionString() =>
        TestEnvironment.PostgresConnectionString
        ?? throw new XunitException($"{TestEnvironment.PostgresVariable} must be set when CI=true: PostgreSQL tests may not skip in CI");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var db in _open.Values) await db.DisposeAsync();
        _open.Clear();
        if (_pgDatabases.Count > 0)
        {
            await using var admin = new NpgsqlConnection(AdminConnectionString());
            await admin.OpenAsync();
            foreach (var name in _pgDatabases)
            {
                // FORCE: pooled connections of the stores may still be open.
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Base of the store tests: a fixture per class, fresh random IDs per test.</summary>
public abstract class StoreTestBase(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    protected DatabaseFixture Fixture { get; } = fixture;

    protected Task<MyelinDatabase> OpenAsync(DatabaseEngine engine) => Fixture.GetAsync(engine);

    protected static string NewId() => Guid.NewGuid().ToString("N")[..12];
    protected static string NewUserId() => $"@u{NewId()}:test";
    protected static string NewRoomId() => $"!r{NewId()}:test";
    protected static string NewEventId() => $"${NewId()}{NewId()}";
    protected static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
