using Dapper;

namespace Myelin.Storage.Tests;

public sealed class PusherStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static Pusher NewPusher(string user, string appId = "com.example.app", string? pushkey = null, string? device = "DEV1",
        long position = 0) =>
        new(user, appId, pushkey ?? "key-" + NewId(), "http", "App", "Phone", "", "en",
            """{"url":"https://push.example/_matrix/push/v1/notify"}""", 1_700_000_000_000, device, position, null, null);

    static async Task<long[]> PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        var rows = events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList();
        await db.Events.PersistEventsAsync(rows);
        return rows.Select(r => r.Item2).ToArray();
    }

    static NewEvent Notifying(string room, string sender, string user, bool highlight = false) =>
        EventFactory.Message(room, sender) with
        {
            PushActions = [new NewPushAction(user, highlight ? """["notify",{"set_tweak":"highlight"}]""" : """["notify"]""", true, highlight)],
        };

    [Theory, SqliteData, PostgresData]
    public async Task Upsert_NewThenReplaced_KeepsTheDeviceAndResetsFailure(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var p = NewPusher(user, position: 5);
        await db.Pushers.UpsertAsync(p);
        await db.Pushers.SetFailingSinceAsync(user, p.AppId, p.Pushkey, 123);
        Assert.Equal(p with { FailingSince = 123 }, await db.Pushers.GetAsync(user, p.AppId, p.Pushkey));

        // Another device edits it: the pusher stays tied to the first device.
        await db.Pushers.UpsertAsync(p with { DeviceId = "DEV2", Lang = "fr", LastStreamOrdering = 9 });
        var stored = await db.Pushers.GetAsync(user, p.AppId, p.Pushkey);
        Assert.Equal(p with { Lang = "fr", LastStreamOrdering = 9 }, stored);
        Assert.Single(await db.Pushers.GetForUserAsync(user));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteForOtherUsers_SameAppAndPushkey_OnlyOthersRemoved(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string alice = NewUserId(), bob = NewUserId(), key = "shared-" + NewId();
        await db.Pushers.UpsertAsync(NewPusher(alice, pushkey: key));
        await db.Pushers.UpsertAsync(NewPusher(bob, pushkey: key));
        await db.Pushers.UpsertAsync(NewPusher(bob, appId: "other.app", pushkey: key));

        Assert.Equal([bob], await db.Pushers.DeleteForOtherUsersAsync("com.example.app", key, alice));
        Assert.NotNull(await db.Pushers.GetAsync(alice, "com.example.app", key));
        Assert.Null(await db.Pushers.GetAsync(bob, "com.example.app", key));
        Assert.NotNull(await db.Pushers.GetAsync(bob, "other.app", key));
        Assert.True(await db.Pushers.DeleteAsync(bob, "other.app", key));
        Assert.False(await db.Pushers.DeleteAsync(bob, "other.app", key));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteDevices_RemovesThatDevicesPushersOnly(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var mine = NewPusher(user, device: "PHONE");
        var other = NewPusher(user, device: "LAPTOP");
        await db.Pushers.UpsertAsync(mine);
        await db.Pushers.UpsertAsync(other);
        await db.Devices.DeleteDevicesAsync(user, ["PHONE"]);
        Assert.Equal([other.Pushkey], (await db.Pushers.GetForUserAsync(user)).Select(p => p.Pushkey));
    }

    [Theory, SqliteData, PostgresData]
    public async Task RecordSuccess_MovesThePosition_FalseOnceDeleted(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var p = NewPusher(user);
        await db.Pushers.UpsertAsync(p);
        await db.Pushers.SetFailingSinceAsync(user, p.AppId, p.Pushkey, 77);
        Assert.True(await db.Pushers.RecordSuccessAsync(user, p.AppId, p.Pushkey, 42, 1000));
        var stored = (await db.Pushers.GetAsync(user, p.AppId, p.Pushkey))!;
        Assert.Equal((42L, 1000L, (long?)null), (stored.LastStreamOrdering, stored.LastSuccess!.Value, stored.FailingSince));
        await db.Pushers.SetLastStreamOrderingAsync(user, p.AppId, p.Pushkey, 50);
        Assert.Equal(50, (await db.Pushers.GetAsync(user, p.AppId, p.Pushkey))!.LastStreamOrdering);

        await db.Pushers.DeleteAsync(user, p.AppId, p.Pushkey);
        Assert.False(await db.Pushers.RecordSuccessAsync(user, p.AppId, p.Pushkey, 60, 2000));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUnreadActions_InRange_SkipsWhatTheUserHasRead(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        string room = NewRoomId(), other = NewRoomId(), alice = NewUserId(), bob = NewUserId();
        var e1 = Notifying(room, alice, bob);
        var e2 = Notifying(room, alice, bob, highlight: true);
        var e3 = Notifying(other, alice, bob);
        var e4 = Notifying(room, alice, NewUserId());
        var pos = await PersistAsync(db, e1, e2, e3, e4);

        var all = await db.Pushers.GetUnreadActionsAsync(bob, pos[0] - 1, pos[3], 10);
        Assert.Equal([e1.EventId, e2.EventId, e3.EventId], all.Select(a => a.Event.EventId));
        Assert.Equal([false, true, false], all.Select(a => a.Highlight));
        Assert.Equal("""["notify",{"set_tweak":"highlight"}]""", all[1].ActionsJson);
        Assert.Equal(e2.Json, all[1].Event.Json);
        Assert.Equal([e2.EventId], (await db.Pushers.GetUnreadActionsAsync(bob, pos[0], pos[1], 10)).Select(a => a.Event.EventId));
        Assert.Equal([e1.EventId], (await db.Pushers.GetUnreadActionsAsync(bob, pos[0] - 1, pos[3], 1)).Select(a => a.Event.EventId));

        // Bob reads the first room up to e2: only the other room's action is left.
        await db.StreamIds.WriteAtNextAsync("receipts", (c, tx, position) => c.ExecuteAsync("""
            INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
            VALUES (@Room, 'm.read', @User, '', @EventId, @Ordering, '{}', @Position)
            """, new { Room = room, User = bob, EventId = e2.EventId, Ordering = pos[1], Position = position }, tx));
        Assert.Equal([e3.EventId], (await db.Pushers.GetUnreadActionsAsync(bob, pos[0] - 1, pos[3], 10)).Select(a => a.Event.EventId));

        // Only users with a pusher are of interest to the pusher app.
        Assert.Empty(await db.Pushers.GetUsersToPushAsync(pos[0] - 1, pos[3]));
        await db.Pushers.UpsertAsync(NewPusher(bob));
        Assert.Equal([bob], await db.Pushers.GetUsersToPushAsync(pos[0] - 1, pos[3]));
        Assert.Equal([bob], await db.Pushers.GetUsersToPushAsync(pos[1], pos[2]));
        Assert.Empty(await db.Pushers.GetUsersToPushAsync(pos[2], pos[3]));
    }
}
