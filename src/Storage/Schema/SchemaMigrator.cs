using System.Data.Common;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;

namespace Myelin.Storage.Schema;

/// <summary>One numbered schema change: <c>Schema/NNNN_name.sql</c>, or a <c>.sqlite.sql</c> /
/// <c>.postgres.sql</c> pair where the engines need different SQL.</summary>
internal sealed record SchemaDelta(int Version, string Name, string Sql);

/// <summary>
/// Applies the schema deltas embedded in this assembly, in order, each in its own transaction, and
/// records each in <c>schema_version</c>. On PostgreSQL an advisory lock makes processes that start
/// together take turns; the second finds the deltas applied.
/// </summary>
internal static partial class SchemaMigrator
{
    // Arbitrary, fixed: "myelin" in ASCII.
    const long PostgresLockKey = 0x6D79656C696E;

    const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version     INTEGER NOT NULL PRIMARY KEY,
            name        TEXT    NOT NULL,
            applied_ts  BIGINT  NOT NULL
        )
        """;
    const string SelectApplied = "SELECT version FROM schema_version";
    const string InsertApplied = "INSERT INTO schema_version (version, name, applied_ts) VALUES (@Version, @Name, @Now)";

    [GeneratedRegex(@"\.Schema\.(?<version>\d{4})_(?<name>[a-z0-9_]+?)(?:\.(?<engine>sqlite|postgres))?\.sql$")]
    private static partial Regex DeltaResourceName();

    /// <summary>The deltas for the engine, in version order.</summary>
    public static IReadOnlyList<SchemaDelta> LoadDeltas(DatabaseEngine engine)
    {
        var asm = typeof(SchemaMigrator).Assembly;
        var wanted = engine == DatabaseEngine.Postgres ? "postgres" : "sqlite";
        var byVersion = new SortedDictionary<int, List<(string Name, string? Engine, string Resource)>>();
        foreach (var resource in asm.GetManifestResourceNames())
        {
            var m = DeltaResourceName().Match(resource);
            if (!m.Success) continue;
            var version = int.Parse(m.Groups["version"].Value);
            if (!byVersion.TryGetValue(version, out var list)) byVersion[version] = list = [];
            list.Add((m.Groups["name"].Value, m.Groups["engine"].Success ? m.Groups["engine"].Value : null, resource));
        }

        var deltas = new List<SchemaDelta>();
        foreach (var (version, files) in byVersion)
        {
            if (files.Select(f => f.Name).Distinct().Count() > 1)
                throw new InvalidOperationException($"schema delta {version:D4} has files with different names: {string.Join(", ", files.Select(f => f.Resource))}");
            var common = files.Where(f => f.Engine is null).ToList();
            if (common.Count > 0 && files.Count > 1)
                throw new InvalidOperationException($"schema delta {version:D4} has both a common and an engine-specific file");
            // A version with only the other engine's file is a no-op here (still recorded as applied).
            var file = common.Count > 0 ? common[0] : files.FirstOrDefault(f => f.Engine == wanted);
            var sql = file.Resource is null ? "" : Read(asm, file.Resource);
            deltas.Add(new SchemaDelta(version, files[0].Name, sql));
        }
        return deltas;
    }

    static string Read(Assembly asm, string resource)
    {
        using var stream = asm.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Applies the deltas not yet recorded; returns how many were applied.</summary>
    public static async Task<int> MigrateAsync(Db db, CancellationToken ct)
    {
        var deltas = LoadDeltas(db.Engine);
        await using var c = await db.OpenAsync(ct);
        if (db.IsPostgres)
        {
            // Session-level: held across the per-delta transactions, released below or when the
            // connection closes.
            await c.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@Key)", new { Key = PostgresLockKey }, cancellationToken: ct));
        }
        else
        {
            await c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL", cancellationToken: ct));
        }

        try
        {
            await c.ExecuteAsync(new CommandDefinition(CreateVersionTable, cancellationToken: ct));
            var applied = 0;
            foreach (var delta in deltas)
            {
                await using var tx = await c.BeginTransactionAsync(ct);
                // Read inside the transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE), so a
                // second process starting at once sees the first one's deltas.
                var done = (await c.QueryAsync<long>(new CommandDefinition(SelectApplied, transaction: tx, cancellationToken: ct))).ToHashSet();
                if (done.Contains(delta.Version)) continue;
                if (!string.IsNullOrWhiteSpace(delta.Sql))
                    await c.ExecuteAsync(new CommandDefinition(delta.Sql, transaction: tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(InsertApplied,
                    new { delta.Version, delta.Name, Now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                applied++;
            }
            return applied;
        }
        finally
        {
            if (db.IsPostgres)
                await c.ExecuteAsync("SELECT pg_advisory_unlock(@Key)", new { Key = PostgresLockKey });
        }
    }
}
