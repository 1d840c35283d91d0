using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Myelin.Storage;

/// <summary>
/// The connection source every store shares: opens connections for either engine and runs reads and
/// write transactions. On SQLite, writes are queued in-process (one writer at a time is all SQLite
/// allows; waiting on a semaphore is fairer and cheaper than spinning on SQLITE_BUSY).
/// </summary>
internal sealed class Db : IAsyncDisposable
{
    // Per-connection setting for writers (journal_mode=WAL is persistent and set once at open; the busy
    // timeout comes with the connection string's Default Timeout).
    const string SqliteWriterPragmas = "PRAGMA synchronous = NORMAL;";

    readonly NpgsqlDataSource? _pg;
    readonly string? _sqlite;
    readonly SemaphoreSlim _sqliteWriter = new(1, 1);

    public Db(DatabaseOptions options)
    {
        Engine = options.Engine;
        if (Engine == DatabaseEngine.Postgres) _pg = NpgsqlDataSource.Create(options.ConnectionString);
        else _sqlite = options.ConnectionString;
    }

    public DatabaseEngine Engine { get; }
    public bool IsPostgres => Engine == DatabaseEngine.Postgres;

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await OpenAsync(forWrite: false, ct);

    async Task<DbConnection> OpenAsync(bool forWrite, CancellationToken ct = default)
    {
        if (_pg is not null) return await _pg.OpenConnectionAsync(ct);
        var c = new SqliteConnection(_sqlite);
        try
        {
            await c.OpenAsync(ct);
            if (forWrite)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = SqliteWriterPragmas;
                await cmd.ExecuteNonQueryAsync(ct);
            }
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read)
    {
        await using var c = await OpenAsync();
        return await read(c);
    }

    /// <summary>Runs <paramref name="write"/> in a transaction and commits it.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> write)
    {
        if (_pg is not null)
        {
            await using var c = await OpenAsync();
            await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted);
            var result = await write(c, tx);
            await tx.CommitAsync();
            return result;
        }

        await _sqliteWriter.WaitAsync();
        try
        {
            await using var c = await OpenAsync(forWrite: true);
            // Microsoft.Data.Sqlite begins with BEGIN IMMEDIATE: the write lock is taken up front, so a
            // read-then-write transaction never fails to upgrade.
            await using var tx = await c.BeginTransactionAsync();
            var result = await write(c, tx);
            await tx.CommitAsync();
            return result;
        }
        finally
        {
            _sqliteWriter.Release();
        }
    }

    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> write) =>
        WriteAsync<bool>(async (c, tx) => { await write(c, tx); return true; });

    public static bool IsUniqueViolation(Exception e) => e switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        // SQLITE_CONSTRAINT_PRIMARYKEY (1555) or SQLITE_CONSTRAINT_UNIQUE (2067)
        SqliteException lite => lite.SqliteExtendedErrorCode is 1555 or 2067,
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        if (_pg is not null) await _pg.DisposeAsync();
        _sqliteWriter.Dispose();
    }
}
