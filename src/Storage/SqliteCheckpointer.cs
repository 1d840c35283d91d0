using Microsoft.Data.Sqlite;

namespace Myelin.Storage;

/// <summary>
/// Copies the SQLite WAL back into the database file on its own connection, so that no write transaction
/// waits for a checkpoint (the writers run with <c>wal_autocheckpoint = 0</c>). A PASSIVE checkpoint
/// neither blocks nor waits for readers and writers; it runs at most every <see cref="Interval"/> while
/// commits keep coming. Once a checkpoint has copied every frame, the next writer starts the WAL over from
/// its beginning, and <c>journal_size_limit</c> truncates the file to a bounded size.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    const string Checkpoint = "PRAGMA journal_size_limit = 67108864; PRAGMA wal_checkpoint(PASSIVE);";

    readonly string _connectionString;
    readonly SemaphoreSlim _committed = new(0, 1);
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    int _signalled;

    public SqliteCheckpointer(string connectionString)
    {
        _connectionString = connectionString;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Tells the checkpointer a write transaction committed (cheap; called on every commit).</summary>
    public void Committed()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _committed.Release();
    }

    async Task RunAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await _committed.WaitAsync(ct);
                Volatile.Write(ref _signalled, 0);
                await CheckpointAsync(ct);
                await Task.Delay(Interval, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (SqliteException)
            {
                // A busy or locked database: the WAL only grows until the next commit's checkpoint.
                await Task.Delay(Interval, CancellationToken.None);
            }
        }
    }

    async Task CheckpointAsync(CancellationToken ct)
    {
        await using var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = Checkpoint;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop; }
        catch (OperationCanceledException) { }
        // What is still in the WAL is checkpointed by SQLite when the last connection to the file closes.
        _stop.Dispose();
        _committed.Dispose();
    }
}
