using Microsoft.Extensions.Logging.Abstractions;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Storage;

namespace Myelin.Silo.Tests.WorkerApps;

/// <summary>
/// The single process's events machinery for a worker-app test: a SQLite file database, the in-memory bus,
/// the events stream and a persister, so a test persists events and a worker app follows them for real.
/// </summary>
public sealed class LocalEventsNode : IAsyncDisposable
{
    readonly string _file;

    LocalEventsNode(string file, MyelinDatabase db, InMemoryReplicationBus bus, EventsStream stream, EventPersister persister)
    {
        _file = file;
        Db = db;
        Bus = bus;
        Stream = stream;
        Persister = persister;
    }

    public MyelinDatabase Db { get; }
    public InMemoryReplicationBus Bus { get; }
    public EventsStream Stream { get; }
    public EventPersister Persister { get; }

    public static async Task<LocalEventsNode> StartAsync(string name)
    {
        var file = Path.Combine(Path.GetTempPath(), $"myelin-{name}-{Guid.NewGuid():N}.db");
        var db = await MyelinDatabase.OpenAsync(new DatabaseOptions(DatabaseEngine.Sqlite, $"Data Source={file}"));
        var bus = new InMemoryReplicationBus();
        var cache = new RecentEventsCache();
        var stream = new EventsStream(db, bus, cache, null, TimeProvider.System, NullLogger<EventsStream>.Instance);
        await stream.StartAsync();
        var persister = new EventPersister(db.Events, db.StreamIds, stream, cache, NullLogger<EventPersister>.Instance);
        return new LocalEventsNode(file, db, bus, stream, persister);
    }

    public async ValueTask DisposeAsync()
    {
        await Persister.DisposeAsync();
        await Stream.DisposeAsync();
        await Db.DisposeAsync();
        File.Delete(_file);
    }
}
