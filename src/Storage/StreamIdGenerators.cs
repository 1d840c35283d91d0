using System.Data.Common;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Dapper;

namespace Myelin.Storage;

internal static partial class StreamNameRules
{
    [GeneratedRegex("^[a-z][a-z0-9_]{0,48}$")]
    private static partial Regex Valid();

    /// <summary>Stream names become SQL identifiers (sequence names), so they are checked strictly.</summary>
    public static void Check(string stream, int count)
    {
        if (!Valid().IsMatch(stream))
            throw new ArgumentException($"invalid stream name '{stream}': lowercase letters, digits and '_' only", nameof(stream));
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
    }
}

/// <summary>
/// PostgreSQL: one sequence per stream (<c>&lt;stream&gt;_stream_seq</c>), so positions are unique
/// across every process. A block of <c>count</c> positions is taken atomically: each allocation holds a
/// transaction-scoped advisory lock for the stream while it draws the values, so no other allocation
/// can land inside the block.
/// </summary>
internal sealed class PostgresStreamIdGenerator(Db db) : IStreamIdGenerator
{
    readonly ConcurrentDictionary<string, bool> _known = new();

    // One statement (one implicit transaction): the MATERIALIZED CTE takes the lock before any
    // nextval runs, and the lock goes when the statement ends. nextval rather than setval: setval
    // makes the statement's commit wait for a WAL flush every time, nextval only every 32 values.
    const string NextSql = """
        WITH l AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtextextended(@Seq, 0)))
        SELECT MAX(nextval(@Seq::regclass)) FROM l, generate_series(1, @Count)
        """;
    const string CurrentSql = "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {0}";
    const string CreateSql = "CREATE SEQUENCE IF NOT EXISTS {0}";

    public async Task<long> NextAsync(string stream, int count = 1)
    {
        StreamNameRules.Check(stream, count);
        var seq = await EnsureSequenceAsync(stream);
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<long>(NextSql, new { Seq = seq, Count = (long)count });
    }

    public async Task<long> CurrentAsync(string stream)
    {
        StreamNameRules.Check(stream, 1);
        var seq = await EnsureSequenceAsync(stream);
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<long>(string.Format(CurrentSql, seq));
    }

    const string OrderLockSql = "SELECT pg_advisory_xact_lock(hashtextextended(@Key, 0))";

    public async Task<long> WriteAtNextAsync(string stream, Func<DbConnection, DbTransaction, long, Task> write)
    {
        StreamNameRules.Check(stream, 1);
        var seq = await EnsureSequenceAsync(stream);
        return await db.WriteAsync(async (c, tx) =>
        {
            // Held until this transaction ends: the next writer of the stream draws its position after our commit.
            await c.ExecuteAsync(OrderLockSql, new { Key = "order:" + stream }, tx);
            var position = await c.ExecuteScalarAsync<long>("SELECT nextval(@Seq::regclass)", new { Seq = seq }, tx);
            await write(c, tx, position);
            return position;
        });
    }

    public async Task<long> CurrentCommittedAsync(string stream)
    {
        StreamNameRules.Check(stream, 1);
        var seq = await EnsureSequenceAsync(stream);
        return await db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(OrderLockSql, new { Key = "order:" + stream }, tx);
            return await c.ExecuteScalarAsync<long>(string.Format(CurrentSql, seq), transaction: tx);
        });
    }

    async Task<string> EnsureSequenceAsync(string stream)
    {
        var seq = stream + "_stream_seq";
        if (_known.ContainsKey(seq)) return seq;
        await using var c = await db.OpenAsync();
        try
        {
            await c.ExecuteAsync(string.Format(CreateSql, seq));
        }
        catch (Exception e) when (Db.IsUniqueViolation(e))
        {
            // Another process created it at the same moment: IF NOT EXISTS is not atomic.
        }
        _known[seq] = true;
        return seq;
    }
}

/// <summary>
/// SQLite (one process): positions are counted in memory, seeded at first use from the stream's table
/// (events, account_data) or, for other streams, from <c>stream_positions</c>, which those streams
/// write through on every allocation.
/// </summary>
internal sealed class SqliteStreamIdGenerator(Db db) : IStreamIdGenerator
{
    sealed class Counter(long current)
    {
        public long Current = current;
    }

    // Streams whose own table holds their positions; the highest row is the highest ever committed.
    static readonly Dictionary<string, string> SeedFromTable = new()
    {
        ["events"] = "SELECT MAX(stream_ordering) FROM events",
        ["account_data"] = "SELECT MAX(stream_id) FROM account_data",
    };
    const string SelectStoredPosition = "SELECT position FROM stream_positions WHERE stream_name = @Stream";
    const string UpsertStoredPosition = """
        INSERT INTO stream_positions (stream_name, position) VALUES (@Stream, @Position)
        ON CONFLICT (stream_name) DO UPDATE SET position = MAX(position, excluded.position)
        """;

    readonly ConcurrentDictionary<string, Task<Counter>> _counters = new();

    public async Task<long> NextAsync(string stream, int count = 1)
    {
        StreamNameRules.Check(stream, count);
        var counter = await GetCounterAsync(stream);
        var last = Interlocked.Add(ref counter.Current, count);
        if (!SeedFromTable.ContainsKey(stream))
            await db.WriteAsync((c, tx) => c.ExecuteAsync(UpsertStoredPosition, new { Stream = stream, Position = last }, tx));
        return last;
    }

    public async Task<long> CurrentAsync(string stream)
    {
        StreamNameRules.Check(stream, 1);
        return Volatile.Read(ref (await GetCounterAsync(stream)).Current);
    }

    public async Task<long> WriteAtNextAsync(string stream, Func<DbConnection, DbTransaction, long, Task> write)
    {
        StreamNameRules.Check(stream, 1);
        var counter = await GetCounterAsync(stream);
        // SQLite has one writer: positions drawn inside it commit in order.
        return await db.WriteAsync(async (c, tx) =>
        {
            var position = Interlocked.Increment(ref counter.Current);
            if (!SeedFromTable.ContainsKey(stream))
                await c.ExecuteAsync(UpsertStoredPosition, new { Stream = stream, Position = position }, tx);
            await write(c, tx, position);
            return position;
        });
    }

    public async Task<long> CurrentCommittedAsync(string stream)
    {
        StreamNameRules.Check(stream, 1);
        var counter = await GetCounterAsync(stream);
        return await db.WriteAsync((_, _) => Task.FromResult(Volatile.Read(ref counter.Current)));
    }

    Task<Counter> GetCounterAsync(string stream)
    {
        var task = _counters.GetOrAdd(stream, SeedAsync);
        if (task.IsFaulted) _counters.TryRemove(new(stream, task));
        return task;
    }

    async Task<Counter> SeedAsync(string stream)
    {
        await using var c = await db.OpenAsync();
        var stored = await c.ExecuteScalarAsync<long?>(SelectStoredPosition, new { Stream = stream }) ?? 0;
        var fromTable = SeedFromTable.TryGetValue(stream, out var sql) ? await c.ExecuteScalarAsync<long?>(sql) ?? 0 : 0;
        return new Counter(Math.Max(stored, fromTable));
    }
}
