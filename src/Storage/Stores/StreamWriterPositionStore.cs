using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class StreamWriterPositionStore(Db db) : IStreamWriterPositionStore
{
    // GREATEST / MAX: a writer's position only moves forward, whatever order the updates land in.
    const string UpsertPostgres = """
        INSERT INTO stream_writer_positions (stream_name, instance_name, stream_id) VALUES (@Stream, @Instance, @Position)
        ON CONFLICT (stream_name, instance_name) DO UPDATE
        SET stream_id = GREATEST(stream_writer_positions.stream_id, excluded.stream_id)
        """;
    const string UpsertSqlite = """
        INSERT INTO stream_writer_positions (stream_name, instance_name, stream_id) VALUES (@Stream, @Instance, @Position)
        ON CONFLICT (stream_name, instance_name) DO UPDATE
        SET stream_id = MAX(stream_writer_positions.stream_id, excluded.stream_id)
        """;

    public Task UpsertAsync(string stream, string instance, long position) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(db.IsPostgres ? UpsertPostgres : UpsertSqlite,
            new { Stream = stream, Instance = instance, Position = position }, tx));

    const string Select = "SELECT instance_name AS Instance, stream_id AS Position FROM stream_writer_positions WHERE stream_name = @Stream";

    public Task<IReadOnlyDictionary<string, long>> GetAsync(string stream) =>
        db.ReadAsync<IReadOnlyDictionary<string, long>>(async c =>
            (await c.QueryAsync<(string Instance, long Position)>(Select, new { Stream = stream }))
                .ToDictionary(r => r.Instance, r => r.Position));
}
