using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Myelin.Storage;

/// <summary>
/// The connection source every store shares: opens connections for either engine and runs reads and
/// write transactions. On SQLite, writes are queued in-process (one writer at a time is all SQLite
/// allows; waiting on a semaphore is fairer and cheaper than spinning on SQLITE_BUSY), and the WAL is
/// checkpointed in the background instead of by whichever commit crosses SQLite's auto-checkpoint size.
/// </summary>
internal sealed class Db : IAsyncDisposable
{
    // Per-connection settings for writers (journal_mode=WAL is persistent and set once at open; the busy
    // timeout comes with the connection string's Default Timeout). synchronous=NORMAL in WAL mode: a commit
    // is in the WAL (the OS's page cache) when it returns, so a process that dies right after keeps it.
    // No auto-checkpoint: a message in a large room dirties a page per member in the push-action indexes,
    // so most commits crossed the 1,000-page threshold and then waited for the checkpoint and its fsync
    // (~90 ms of a ~110 ms transaction); the checkpointer below does that work off the writer's path. The
    // larger page cache keeps those indexes' pages in memory between writes (pooled connections keep it).
    const string SqliteWriterPragmas = "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -32768;";

    readonly NpgsqlDataSource? _pg;
    readonly string? _sqlite;
    readonly SemaphoreSlim _sqliteWriter = new(1, 1);
    readonly SqliteCheckpointer? _checkpointer;

    public Db(DatabaseOptions options)
    {
        Engine = options.Engine;
        if (Engine == DatabaseEngine.Postgres) _pg = NpgsqlDataSource.Create(options.ConnectionString);
        else
        {
            _sqlite = options.ConnectionString;
            _checkpointer = new SqliteCheckpointer(options.ConnectionString);
        }
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
            _checkpointer!.Committed();
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
        if (_checkpointer is not null) await _checkpointer.DisposeAsync();
        _sqliteWriter.Dispose();
    }
}
