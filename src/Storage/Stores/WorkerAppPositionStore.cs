using Dapper;

namespace Myelin.Storage.Stores;

internal sealed class WorkerAppPositionStore(Db db) : IWorkerAppPositionStore
{
    const string Select = """
        SELECT stream_id FROM worker_app_positions
        WHERE app_name = @App AND instance_name = @Instance AND stream_name = @Stream
        """;

    // Unlike the writers' positions this one is set, not maxed: a worker app may be told to go back
    // (an operator replaying a stream), and only it writes its own row.
    const string Upsert = """
        INSERT INTO worker_app_positions (app_name, instance_name, stream_name, stream_id)
        VALUES (@App, @Instance, @Stream, @Position)
        ON CONFLICT (app_name, instance_name, stream_name) DO UPDATE SET stream_id = excluded.stream_id
        """;

    const string SelectAll = """
        SELECT app_name AS App, instance_name AS Instance, stream_name AS Stream, stream_id AS Position
        FROM worker_app_positions ORDER BY app_name, instance_name, stream_name
        """;

    public Task<long?> GetAsync(string app, string instance, string stream) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<long?>(Select, new { App = app, Instance = instance, Stream = stream }));

    public Task SetAsync(string app, string instance, string stream, long position) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(Upsert, new { App = app, Instance = instance, Stream = stream, Position = position }, tx));

    public Task<IReadOnlyList<WorkerAppPosition>> GetAllAsync() =>
        db.ReadAsync<IReadOnlyList<WorkerAppPosition>>(async c => (await c.QueryAsync<WorkerAppPosition>(SelectAll)).ToList());
}
