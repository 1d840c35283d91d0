using System.Data.Common;
using Microsoft.Data.Sqlite;
using Myelin.Storage.Schema;
using Myelin.Storage.Stores;

namespace Myelin.Storage;

/// <summary>
/// The database: opened once per process (<see cref="OpenAsync"/> brings the schema up to date), it
/// hands out the stores, which share its connection pool.
/// </summary>
public sealed class MyelinDatabase : IAsyncDisposable
{
    readonly Db _db;
    // An in-memory SQLite database lives as long as one connection to it is open.
    readonly DbConnection? _keepAlive;

    MyelinDatabase(Db db, DbConnection? keepAlive)
    {
        _db = db;
        _keepAlive = keepAlive;
        StreamIds = db.IsPostgres ? new PostgresStreamIdGenerator(db) : new SqliteStreamIdGenerator(db);
        Accounts = new AccountStore(db);
        Devices = new DeviceStore(db);
        AccessTokens = new AccessTokenStore(db);
        Transactions = new TransactionStore(db);
        Filters = new FilterStore(db);
        Aliases = new AliasStore(db);
        Rooms = new RoomStore(db);
        AccountData = new AccountDataStore(db, StreamIds);
        DeviceInbox = new DeviceInboxStore(db, StreamIds);
        Receipts = new ReceiptStore(db, StreamIds);
        Events = new EventStore(db);
        StreamWriterPositions = new StreamWriterPositionStore(db);
        Presence = new PresenceStore(db);
        PushActions = new PushActionStore(db);
        WorkerAppPositions = new WorkerAppPositionStore(db);
        UserDirectory = new UserDirectoryStore(db);
        Housekeeping = new HousekeepingStore(db);
        Admin = new AdminStore(db, StreamIds);
        Appservices = new AppserviceStore(db);
        Media = new MediaStore(db);
        Pushers = new PusherStore(db);
    }

    /// <summary>Connects and applies the schema deltas not yet applied.</summary>
    public static async Task<MyelinDatabase> OpenAsync(DatabaseOptions options, CancellationToken ct = default)
    {
        var db = new Db(options);
        DbConnection? keepAlive = null;
        try
        {
            if (!db.IsPostgres && new SqliteConnectionStringBuilder(options.ConnectionString).Mode == SqliteOpenMode.Memory)
                keepAlive = await db.OpenAsync(ct);
            await SchemaMigrator.MigrateAsync(db, ct);
            return new MyelinDatabase(db, keepAlive);
        }
        catch
        {
            if (keepAlive is not null) await keepAlive.DisposeAsync();
            await db.DisposeAsync();
            throw;
        }
    }

    public DatabaseEngine Engine => _db.Engine;

    public IAccountStore Accounts { get; }
    public IDeviceStore Devices { get; }
    public IAccessTokenStore AccessTokens { get; }
    public ITransactionStore Transactions { get; }
    public IFilterStore Filters { get; }
    public IAliasStore Aliases { get; }
    public IRoomStore Rooms { get; }
    public IAccountDataStore AccountData { get; }
    public IDeviceInboxStore DeviceInbox { get; }
    public IReceiptStore Receipts { get; }
    public IEventStore Events { get; }
    public IStreamIdGenerator StreamIds { get; }
    public IStreamWriterPositionStore StreamWriterPositions { get; }
    public IPresenceStore Presence { get; }
    public IPushActionStore PushActions { get; }
    public IWorkerAppPositionStore WorkerAppPositions { get; }
    public IUserDirectoryStore UserDirectory { get; }
    public IHousekeepingStore Housekeeping { get; }
    public IAdminStore Admin { get; }
    public IAppserviceStore Appservices { get; }
    public IMediaStore Media { get; }
    public IPusherStore Pushers { get; }

    /// <summary>The schema versions applied, ascending (for diagnostics and tests).</summary>
    public async Task<IReadOnlyList<int>> GetSchemaVersionsAsync()
    {
        await using var c = await _db.OpenAsync();
        return (await Dapper.SqlMapper.QueryAsync<int>(c, "SELECT version FROM schema_version ORDER BY version")).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (_keepAlive is not null) await _keepAlive.DisposeAsync();
        await _db.DisposeAsync();
    }
}
