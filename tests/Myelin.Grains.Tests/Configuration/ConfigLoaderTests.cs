using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Grains.Tests.Configuration;

public sealed class ConfigLoaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("myelin-config-").FullName;

    string Write(string name, string yaml)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, yaml);
        return p;
    }

    [Fact]
    public void Load_TwoFiles_LaterKeysWinAndMappingsMerge()
    {
        var shared = Write("shared.yaml", "server_name: example.org\ndatabase:\n  name: sqlite3\n  args:\n    database: a.db\nenable_registration: false\n");
        var worker = Write("worker.yaml", "enable_registration: true\ndatabase:\n  args:\n    database: b.db\n");
        var doc = ConfigLoader.Load([shared, worker]);
        Assert.Equal("example.org", doc.String("server_name"));
        Assert.True(doc.Bool("enable_registration", false));
        Assert.Equal("sqlite3", doc.String("database.name"));
        Assert.Equal("b.db", doc.String("database.args.database"));
        Assert.Equal(worker, doc.FileOf("database.args.database"));
        Assert.Equal(shared, doc.FileOf("server_name"));
    }

    [Fact]
    public void FromConfig_NoKeys_GivesSingleProcessDefaults()
    {
        var o = HomeserverOptions.FromConfig(ConfigLoader.Load([Write("empty.yaml", "")]));
        Assert.Equal("localhost", o.ServerName);
        var l = Assert.Single(o.Listeners);
        Assert.Equal(8008, l.Port);
        Assert.Equal(["127.0.0.1"], l.BindAddresses);
        Assert.Equal(DatabaseEngine.Sqlite, o.Database.Engine);
        Assert.False(o.EnableRegistration);
    }

    [Fact]
    public void FromConfig_InvalidServerName_ErrorNamesFileAndKey()
    {
        var p = Write("bad.yaml", "server_name: 'not a name'\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("server_name", e.Key);
        Assert.Equal(p, e.File);
        Assert.Contains(p, e.Message);
    }

    [Fact]
    public void FromConfig_ListenerPortNotNumber_ErrorNamesListeners()
    {
        var p = Write("l.yaml", "listeners:\n  - port: abc\n    type: http\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("listeners", e.Key);
        Assert.Contains("port", e.Message);
    }

    [Fact]
    public void FromConfig_UnknownDatabaseName_ErrorNamesDatabase()
    {
        var p = Write("db.yaml", "database:\n  name: mysql\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.StartsWith("database", e.Key);
    }

    [Fact]
    public void FromConfig_Psycopg2_SelectsPostgres()
    {
        var p = Write("pg.yaml", "database:\n  name: psycopg2\n  args:\n    user: synapse\n    password: secret\n    database: synapse\n    host: 127.0.0.1\n    port: 5433\n");
        var o = HomeserverOptions.FromConfig(ConfigLoader.Load([p]));
        Assert.Equal(DatabaseEngine.Postgres, o.Database.Engine);
        Assert.Contains("5433", o.Database.ConnectionString);
    }

    [Fact]
    public void Load_MissingFile_ErrorNamesFile()
    {
        var missing = Path.Combine(_dir, "nope.yaml");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load([missing]));
        Assert.Equal(missing, e.File);
    }

    [Fact]
    public void Load_InvalidYaml_ErrorNamesFile()
    {
        var p = Write("broken.yaml", "server_name: [unclosed\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load([p]));
        Assert.Equal(p, e.File);
    }

    [Fact]
    public void Size_WithSuffix_ParsesBytes()
    {
        var doc = ConfigLoader.Load([Write("s.yaml", "max_upload_size: 50M\n")]);
        Assert.Equal(50L * 1024 * 1024, doc.Size("max_upload_size", 0));
    }

    [Fact]
    public void FromConfig_SharedPlusWorkerFiles_ReadsClusterKeys()
    {
        var shared = Write("shared.yaml", """
            server_name: example.org
            redis:
              enabled: true
              host: 127.0.0.1
              port: 6380
            instance_map:
              main: {host: 127.0.0.1, port: 9093}
              persister1: {host: 127.0.0.1, port: 9094}
            stream_writers:
              events: [persister1, persister2]
              typing: persister1
            worker_replication_secret: s3cret
            run_background_tasks_on: persister1
            """);
        var worker = Write("worker.yaml", """
            worker_app: synapse.app.generic_worker
            worker_name: persister2
            worker_listeners:
              - {port: 8083, type: http}
            """);
        var o = HomeserverOptions.FromConfig(ConfigLoader.Load([shared, worker]));
        Assert.Equal("persister2", o.WorkerName);
        Assert.True(o.Cluster.Redis.Enabled);
        Assert.Equal(6380, o.Cluster.Redis.Port);
        Assert.Equal(9094, o.Cluster.InstanceMap["persister1"].Port);
        Assert.Equal(["persister1", "persister2"], o.Cluster.StreamWriters["events"]);
        Assert.True(o.Cluster.IsStreamWriter("events"));
        Assert.False(o.Cluster.IsStreamWriter("typing"));
        Assert.True(o.Cluster.IsStreamWriter("receipts"));
        Assert.Equal("s3cret", o.Cluster.ReplicationSecret);
        Assert.Equal(8083, Assert.Single(o.Listeners).Port);
    }

    [Fact]
    public void FromConfig_UnknownWorkerApp_ErrorNamesKey()
    {
        var p = Write("w.yaml", "worker_app: synapse.app.nonsense\nworker_name: w1\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("worker_app", e.Key);
    }

    [Fact]
    public void FromConfig_WorkerWithoutName_ErrorNamesWorkerName()
    {
        var p = Write("w.yaml", "worker_app: synapse.app.generic_worker\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("worker_name", e.Key);
    }

    [Fact]
    public void FromConfig_UnknownStreamWriter_ErrorNamesStream()
    {
        var p = Write("w.yaml", "stream_writers:\n  bogus: [a]\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("stream_writers.bogus", e.Key);
    }

    [Fact]
    public void FromConfig_SqliteWithOtherEventsWriter_ErrorNamesStreamWriters()
    {
        var p = Write("w.yaml", "stream_writers:\n  events: [persister1]\n");
        var e = Assert.Throws<ConfigException>(() => HomeserverOptions.FromConfig(ConfigLoader.Load([p])));
        Assert.Equal("stream_writers.events", e.Key);
    }

    public void Dispose() => Directory.Delete(_dir, true);
}
