using Dapper;

namespace Myelin.Storage.Tests;

public sealed class HousekeepingStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static async Task<long[]> PersistAsync(MyelinDatabase db, params NewEvent[] events)
    {
        var last = await db.StreamIds.NextAsync("events", events.Length);
        var rows = events.Select((e, i) => (e, last - events.Length + 1 + i)).ToList();
        await db.Events.PersistEventsAsync(rows);
        return rows.Select(r => r.Item2).ToArray();
    }

    static NewEvent Notifying(string room, string sender, string member, long ts) =>
        EventFactory.Message(room, sender) with
        {
            OriginServerTs = ts,
            PushActions = [new NewPushAction(member, """["notify"]""", true, false)],
        };

    static Task<long> ReceiptAsync(MyelinDatabase db, string room, string user, string eventId, long eventOrdering, string type = "m.read") =>
        db.StreamIds.WriteAtNextAsync("receipts", (c, tx, position) => c.ExecuteAsync("""
            DELETE FROM receipts WHERE room_id = @Room AND receipt_type = @Type AND user_id = @User AND thread_id = '';
            INSERT INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, event_stream_ordering, data, stream_id)
            VALUES (@Room, @Type, @User, '', @EventId, @Ordering, '{"ts":1}', @Position)
            """, new { Room = room, Type = type, User = user, EventId = eventId, Ordering = eventOrdering, Position = position }, tx));

    [Theory, SqliteData, PostgresData]
    public async Task DeleteToDeviceTxnsOlderThan_MixedAges_RemovesOnlyOld(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var (user, sender) = (NewUserId(), NewUserId());
        await db.Devices.UpsertDeviceAsync(user, "DEV", null, Now(), null);
        await db.DeviceInbox.AddMessageAsync(user, "DEV", "{}", new ToDeviceTxn(sender, "S", "m.x", "old"), 1_000);
        await db.DeviceInbox.AddMessageAsync(user, "DEV", "{}", new ToDeviceTxn(sender, "S", "m.x", "new"), Now());

        Assert.True(await db.Housekeeping.DeleteToDeviceTxnsOlderThanAsync(2_000) >= 1);

        // The old transaction is forgotten (a retry now delivers again), the new one still de-duplicates.
        Assert.NotNull(await db.DeviceInbox.AddMessageAsync(user, "DEV", "{}", new ToDeviceTxn(sender, "S", "m.x", "old"), Now()));
        Assert.Null(await db.DeviceInbox.AddMessageAsync(user, "DEV", "{}", new ToDeviceTxn(sender, "S", "m.x", "new"), Now()));
        Assert.Equal(0, await db.Housekeeping.DeleteToDeviceTxnsOlderThanAsync(2_000));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteInboxOfMissingDevices_DeletedDevice_ItsMessagesGoOthersStay(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "KEPT", null, Now(), null);
        await db.DeviceInbox.AddMessageAsync(user, "KEPT", "{\"n\":1}", null, Now());
        await db.DeviceInbox.AddMessageAsync(user, "GONE", "{\"n\":2}", null, Now());
        await db.DeviceInbox.AddMessageAsync(user, "GONE", "{\"n\":3}", null, Now());

        Assert.True(await db.Housekeeping.DeleteInboxOfMissingDevicesAsync() >= 2);

        Assert.Single(await db.DeviceInbox.GetMessagesAsync(user, "KEPT", 0, long.MaxValue, 10));
        Assert.Empty(await db.DeviceInbox.GetMessagesAsync(user, "GONE", 0, long.MaxValue, 10));
        Assert.Equal(0, await db.Housekeeping.DeleteInboxOfMissingDevicesAsync());
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetStalePresence_OnlyNotOfflineUsersUnseenSinceTheTime(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var prefix = "@s" + NewId();
        string stale = prefix + "a:test", fresh = prefix + "b:test", offline = prefix + "c:test", stale2 = prefix + "d:test";
        await db.Presence.UpsertAsync(new StoredPresence(stale, "online", null, 1_000, 0, 1_000, true, 1));
        await db.Presence.UpsertAsync(new StoredPresence(fresh, "online", null, 1_000, 0, 9_000, true, 1));
        await db.Presence.UpsertAsync(new StoredPresence(offline, "offline", null, 1_000, 0, 1_000, false, 1));
        await db.Presence.UpsertAsync(new StoredPresence(stale2, "unavailable", null, 2_000, 0, 1_000, false, 1));

        var all = await db.Housekeeping.GetStalePresenceAsync(5_000, prefix, 100);
        Assert.Equal([stale, stale2], all.Where(u => u.StartsWith(prefix, StringComparison.Ordinal)));

        // Paged by user ID.
        Assert.Equal([stale], await db.Housekeeping.GetStalePresenceAsync(5_000, prefix, 1));
        Assert.Equal([stale2], await db.Housekeeping.GetStalePresenceAsync(5_000, stale, 1));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetStreamOrderingBefore_FindsTheLastEventSentBeforeTheTime(DatabaseEngine engine)
    {
        // A database of its own: the answer depends on every event in it.
        await using var db = await MyelinDatabase.OpenAsync(await Fixture.CreateOptionsAsync(engine));
        Assert.Equal(0, await db.Housekeeping.GetStreamOrderingBeforeAsync(Now()));
        var room = NewRoomId();
        var events = Enumerable.Range(0, 37).Select(i => EventFactory.Message(room, "@a:test") with { OriginServerTs = 1_000 + i * 10 }).ToArray();
        var positions = await PersistAsync(db, events);

        Assert.Equal(0, await db.Housekeeping.GetStreamOrderingBeforeAsync(1_000));
        Assert.Equal(positions[0], await db.Housekeeping.GetStreamOrderingBeforeAsync(1_001));
        Assert.Equal(positions[20], await db.Housekeeping.GetStreamOrderingBeforeAsync(1_205));
        Assert.Equal(positions[20], await db.Housekeeping.GetStreamOrderingBeforeAsync(1_210));
        Assert.Equal(positions[^1], await db.Housekeeping.GetStreamOrderingBeforeAsync(100_000));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteReadPushActions_KeepsUnreadAndNewerThanTheCutoff(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var room = NewRoomId();
        var (sender, reader, unreader) = (NewUserId(), NewUserId(), NewUserId());
        var events = new[]
        {
            Notifying(room, sender, reader, 1_000), Notifying(room, sender, reader, 2_000), Notifying(room, sender, reader, 3_000),
            Notifying(room, sender, unreader, 1_000),
        };
        var positions = await PersistAsync(db, events);
        // reader read up to the third event; unreader read nothing.
        await ReceiptAsync(db, room, reader, events[2].EventId, positions[2]);

        // Old enough: the first two events only.
        var deleted = await db.Housekeeping.DeleteReadPushActionsAsync(positions[1]);

        Assert.True(deleted >= 2);
        var left = await db.PushActions.GetNotificationsAsync(reader, null, 10, false);
        Assert.Equal([events[2].EventId], left.Select(n => n.Event.EventId));
        Assert.Single(await db.PushActions.GetNotificationsAsync(unreader, null, 10, false));
        Assert.Equal(0, await db.Housekeeping.DeleteReadPushActionsAsync(positions[1]));
    }
}
