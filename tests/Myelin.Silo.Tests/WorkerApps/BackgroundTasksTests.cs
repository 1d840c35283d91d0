using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Myelin.Silo.Configuration;
using Myelin.Silo.Tests.Replication;
using Myelin.Silo.WorkerApps;
using Myelin.Storage;

namespace Myelin.Silo.Tests.WorkerApps;

/// <summary>A test on PostgreSQL: skipped locally without MYELIN_TEST_POSTGRES, never under CI=true.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestServers.Postgres is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)) Skip = "MYELIN_TEST_POSTGRES is not set";
    }
}

public sealed class BackgroundTasksTests
{
    static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    static HomeserverOptions Options(string yaml = "server_name: test") => HomeserverOptions.FromConfig(ConfigLoader.FromYaml(yaml));

    sealed class World(MyelinDatabase db, FakeTimeProvider time, BackgroundTasks tasks, ConcurrentBag<string> woken)
    {
        public MyelinDatabase Db { get; } = db;
        public FakeTimeProvider Time { get; } = time;
        public BackgroundTasks Tasks { get; } = tasks;
        public ConcurrentBag<string> Woken { get; } = woken;
        public long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    static World NewWorld(MyelinDatabase db, string yaml = "server_name: test")
    {
        var time = new FakeTimeProvider(Start);
        var woken = new ConcurrentBag<string>();
        var tasks = new BackgroundTasks(db, Options(yaml), time, NullLogger<BackgroundTasks>.Instance, user =>
        {
            woken.Add(user);
            return Task.CompletedTask;
        });
        return new World(db, time, tasks, woken);
    }

    [Fact]
    public Task EveryTask_Sqlite_DoesItsWorkOnceAndIsIdempotent() => WithSqliteAsync(EveryTaskAsync);

    [PostgresFact]
    public async Task EveryTask_Postgres_DoesItsWorkOnceAndIsIdempotent()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var db = await MyelinDatabase.OpenAsync(database.Options);
        await EveryTaskAsync(db);
    }

    static async Task WithSqliteAsync(Func<MyelinDatabase, Task> test)
    {
        var file = Path.Combine(Path.GetTempPath(), $"myelin-bg-{Guid.NewGuid():N}.db");
        try
        {
            await using var db = await MyelinDatabase.OpenAsync(new DatabaseOptions(DatabaseEngine.Sqlite, $"Data Source={file}"));
            await test(db);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(file);
        }
    }

    static async Task EveryTaskAsync(MyelinDatabase db)
    {
        var w = NewWorld(db);
        var now = w.Now;
        string alice = "@alice:test", bob = "@bob:test", room = "!room:test";

        // Transaction IDs: one two days old, one fresh.
        await db.Transactions.SetResultAsync(alice, "DEV", "send", "old", "$old", now - 2 * Day);
        await db.Transactions.SetResultAsync(alice, "DEV", "send", "new", "$new", now);
        Assert.Equal(1, await w.Tasks.DeleteExpiredTransactionIdsAsync());
        Assert.Null(await db.Transactions.GetResultAsync(alice, "DEV", "send", "old"));
        Assert.Equal("$new", await db.Transactions.GetResultAsync(alice, "DEV", "send", "new"));

        // To-device: an old transaction ID, and a message for a device that is gone.
        await db.Devices.UpsertDeviceAsync(bob, "PHONE", null, now, null);
        await db.DeviceInbox.AddMessageAsync(bob, "PHONE", "{}", new ToDeviceTxn(alice, "DEV", "m.x", "t1"), now - 2 * Day);
        await db.DeviceInbox.AddMessageAsync(bob, "LAPTOP", "{}", null, now);
        Assert.Equal(1, await w.Tasks.DeleteExpiredToDeviceTransactionIdsAsync());
        Assert.Equal(1, await w.Tasks.DeleteOrphanedToDeviceMessagesAsync());
        Assert.Single(await db.DeviceInbox.GetMessagesAsync(bob, "PHONE", 0, long.MaxValue, 10));

        // Push actions: bob read both events; only the one older than a month goes.
        var old = Notifying(room, alice, bob, now - 40 * Day);
        var recent = Notifying(room, alice, bob, now - Day);
        var last = await db.StreamIds.NextAsync("events", 2);
        await db.Events.PersistEventsAsync([(old, last - 1), (recent, last)]);
        await db.StreamIds.WriteAtNextAsync("receipts", (c, tx, position) => c.ExecuteAsync("""
            INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
            VALUES (@Room, 'm.read', @User, '', @EventId, @Ordering, '{"ts":1}', @Position)
            """, new { Room = room, User = bob, EventId = recent.EventId, Ordering = last, Position = position }, tx));
        Assert.Equal(1, await w.Tasks.PruneReadPushActionsAsync());
        Assert.Equal([recent.EventId], (await db.PushActions.GetNotificationsAsync(bob, null, 10, false)).Select(n => n.Event.EventId));

        // Presence: alice was online an hour ago and nobody holds her presence; bob synced just now.
        await db.Presence.UpsertAsync(new StoredPresence(alice, "online", null, now - 3_600_000, 0, now - 3_600_000, true, 1));
        await db.Presence.UpsertAsync(new StoredPresence(bob, "online", null, now, 0, now, true, 1));
        Assert.Equal(1, await w.Tasks.TimeOutStalePresenceAsync(default));
        Assert.Equal([alice], w.Woken);

        // Run again: nothing left to do (presence wakes alice again until her writer stores offline).
        Assert.Equal(0, await w.Tasks.DeleteExpiredTransactionIdsAsync());
        Assert.Equal(0, await w.Tasks.DeleteExpiredToDeviceTransactionIdsAsync());
        Assert.Equal(0, await w.Tasks.DeleteOrphanedToDeviceMessagesAsync());
        Assert.Equal(0, await w.Tasks.PruneReadPushActionsAsync());
        await db.Presence.UpsertAsync(new StoredPresence(alice, "offline", null, now - 3_600_000, 0, now - 3_600_000, false, 2));
        Assert.Equal(0, await w.Tasks.TimeOutStalePresenceAsync(default));
    }

    static NewEvent Notifying(string room, string sender, string member, long ts)
    {
        var id = "$" + Guid.NewGuid().ToString("N");
        var json = System.Text.Json.JsonSerializer.Serialize(new
        {
            event_id = id, room_id = room, type = "m.room.message", sender, depth = 1, origin_server_ts = ts, content = new { body = "hi" },
        });
        return new NewEvent(id, room, "m.room.message", null, sender, 1, ts, json, null,
            PushActions: [new NewPushAction(member, """["notify"]""", true, false)]);
    }

    [Fact]
    public Task StalePresence_PresenceDisabled_NobodyWoken() => WithSqliteAsync(async db =>
    {
        var w = NewWorld(db, "server_name: test\npresence:\n  enabled: false");
        await db.Presence.UpsertAsync(new StoredPresence("@gone:test", "online", null, 0, 0, 0, true, 1));
        Assert.Equal(0, await w.Tasks.TimeOutStalePresenceAsync(default));
        Assert.Empty(w.Woken);
    });

    [Fact]
    public Task Service_OnTheFakeClock_RunsEveryTaskAfterATickThenEachOnItsPeriod() => WithSqliteAsync(async db =>
    {
        var w = NewWorld(db);
        await db.Transactions.SetResultAsync("@a:test", "DEV", "send", "old", "$old", w.Now - 2 * Day);
        await w.Tasks.StartAsync(default);
        try
        {
            await TickAsync(w, 1);
            Assert.Equal(w.Tasks.Tasks.Count, w.Tasks.Runs);
            Assert.Null(await db.Transactions.GetResultAsync("@a:test", "DEV", "send", "old"));

            // The presence task runs every five minutes, the others hourly: ticks 2 to 5 run nothing.
            for (var tick = 2; tick <= 5; tick++)
            {
                await TickAsync(w, tick);
                Assert.Equal(w.Tasks.Tasks.Count, w.Tasks.Runs);
            }
            await TickAsync(w, 6);
            Assert.Equal(w.Tasks.Tasks.Count + 1, w.Tasks.Runs);
        }
        finally
        {
            await w.Tasks.StopAsync(default);
        }
    });

    /// <summary>Moves the fake clock one tick and waits until the service has handled it.</summary>
    static async Task TickAsync(World w, int expectedTicks)
    {
        w.Time.Advance(BackgroundTasks.Tick);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (w.Tasks.Ticks < expectedTicks)
        {
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"timed out waiting for tick {expectedTicks}");
            await Task.Delay(10);
        }
    }

    static List<ServiceDescriptor> WorkerApps(string yaml)
    {
        var services = new ServiceCollection();
        services.AddMyelinWorkerApps(Options(yaml));
        return services.Where(d => d.ServiceType == typeof(IHostedService)).ToList();
    }

    static bool Hosts<T>(List<ServiceDescriptor> hosted) =>
        hosted.Any(d => d.ImplementationType == typeof(T) || d.ImplementationFactory?.Method.ReturnType == typeof(T));

    [Fact]
    public void Registration_OnlyTheNamedProcessRunsBackgroundTasksAndTheDirectoryUpdater()
    {
        var single = WorkerApps("server_name: test");
        Assert.True(Hosts<BackgroundTasks>(single));
        Assert.True(Hosts<UserDirectoryUpdater>(single));

        var elsewhere = WorkerApps("server_name: test\nrun_background_tasks_on: background1");
        Assert.False(Hosts<BackgroundTasks>(elsewhere));
        Assert.False(Hosts<UserDirectoryUpdater>(elsewhere)); // its default home is the background tasks' process

        var split = WorkerApps("server_name: test\nworker_name: userdir1\nrun_background_tasks_on: background1\nupdate_user_directory_from_worker: userdir1");
        Assert.False(Hosts<BackgroundTasks>(split));
        Assert.True(Hosts<UserDirectoryUpdater>(split));

        var legacy = WorkerApps("server_name: test\nupdate_user_directory: false");
        Assert.False(Hosts<UserDirectoryUpdater>(legacy));
        Assert.True(Hosts<BackgroundTasks>(legacy));
    }
}
