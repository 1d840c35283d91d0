namespace Myelin.Storage.Tests;

public sealed class DeviceInboxStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static ToDeviceTxn Txn(string sender, string txnId, string type = "m.test") => new(sender, "SENDERDEV", type, txnId);

    [Theory, SqliteData, PostgresData]
    public async Task AddMessage_ThenGet_ReturnsTheDevicesMessagesInRangeAscending(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();
        var before = await db.StreamIds.CurrentCommittedAsync("to_device");

        var a = await db.DeviceInbox.AddMessageAsync(user, "D1", """{"n":1}""", Txn(sender, "t1"), Now());
        await db.DeviceInbox.AddMessageAsync(user, "D2", """{"other":"device"}""", Txn(sender, "t1"), Now());
        await db.DeviceInbox.AddMessageAsync(NewUserId(), "D1", """{"other":"user"}""", Txn(sender, "t1"), Now());
        var b = await db.DeviceInbox.AddMessageAsync(user, "D1", """{"n":2}""", Txn(sender, "t2"), Now());

        Assert.True(a > before);
        Assert.True(b > a);
        Assert.Equal([new ToDeviceRow(a!.Value, """{"n":1}"""), new ToDeviceRow(b!.Value, """{"n":2}""")],
            await db.DeviceInbox.GetMessagesAsync(user, "D1", before, b.Value, 10));
        Assert.Equal([new ToDeviceRow(b.Value, """{"n":2}""")], await db.DeviceInbox.GetMessagesAsync(user, "D1", a.Value, b.Value, 10));
        Assert.Empty(await db.DeviceInbox.GetMessagesAsync(user, "D1", before, a.Value - 1, 10));
        Assert.True(await db.StreamIds.CurrentCommittedAsync("to_device") >= b.Value);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetMessages_OverLimit_ReturnsTheOldest(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();
        var positions = new List<long>();
        for (var i = 0; i < 5; i++)
            positions.Add((await db.DeviceInbox.AddMessageAsync(user, "D", $$"""{"i":{{i}}}""", Txn(sender, $"t{i}"), Now()))!.Value);

        var rows = await db.DeviceInbox.GetMessagesAsync(user, "D", 0, positions[^1], 3);

        Assert.Equal(positions.Take(3), rows.Select(r => r.StreamId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddMessage_SameTransactionAgain_IsNotStoredTwice(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();

        var first = await db.DeviceInbox.AddMessageAsync(user, "D", """{"try":1}""", Txn(sender, "t"), Now());
        var retry = await db.DeviceInbox.AddMessageAsync(user, "D", """{"try":2}""", Txn(sender, "t"), Now());
        // spec: a txnId is scoped to the sending device and the request path (which has the event type).
        var otherType = await db.DeviceInbox.AddMessageAsync(user, "D", """{"type":"other"}""", Txn(sender, "t", "m.other"), Now());
        var otherSenderDevice = await db.DeviceInbox.AddMessageAsync(user, "D", "{}", new ToDeviceTxn(sender, "OTHERDEV", "m.test", "t"), Now());
        var otherRecipient = await db.DeviceInbox.AddMessageAsync(user, "D2", "{}", Txn(sender, "t"), Now());

        Assert.NotNull(first);
        Assert.Null(retry);
        Assert.NotNull(otherType);
        Assert.NotNull(otherSenderDevice);
        Assert.NotNull(otherRecipient);
        var rows = await db.DeviceInbox.GetMessagesAsync(user, "D", 0, long.MaxValue, 10);
        Assert.Equal(["""{"try":1}""", """{"type":"other"}""", "{}"], rows.Select(r => r.MessageJson));
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddMessage_SameTransactionConcurrently_StoredOnce(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "t"), Now()))));

        Assert.Single(results, r => r is not null);
        Assert.Single(await db.DeviceInbox.GetMessagesAsync(user, "D", 0, long.MaxValue, 10));
    }

    [Theory, SqliteData, PostgresData]
    public async Task AddMessage_WithoutTransaction_AlwaysStored(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        Assert.NotNull(await db.DeviceInbox.AddMessageAsync(user, "D", "{}", null, Now()));
        Assert.NotNull(await db.DeviceInbox.AddMessageAsync(user, "D", "{}", null, Now()));

        Assert.Equal(2, (await db.DeviceInbox.GetMessagesAsync(user, "D", 0, long.MaxValue, 10)).Count);
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteMessages_UpToPosition_RemovesOnlyThoseOfTheDevice(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();
        var a = (await db.DeviceInbox.AddMessageAsync(user, "D", """{"n":1}""", Txn(sender, "1"), Now()))!.Value;
        var otherDevice = (await db.DeviceInbox.AddMessageAsync(user, "E", """{"n":2}""", Txn(sender, "2"), Now()))!.Value;
        var b = (await db.DeviceInbox.AddMessageAsync(user, "D", """{"n":3}""", Txn(sender, "3"), Now()))!.Value;

        Assert.Equal(1, await db.DeviceInbox.DeleteMessagesAsync(user, "D", otherDevice));
        Assert.Equal(0, await db.DeviceInbox.DeleteMessagesAsync(user, "D", otherDevice));

        Assert.Equal([b], (await db.DeviceInbox.GetMessagesAsync(user, "D", 0, long.MaxValue, 10)).Select(r => r.StreamId));
        Assert.Equal([otherDevice], (await db.DeviceInbox.GetMessagesAsync(user, "E", 0, long.MaxValue, 10)).Select(r => r.StreamId));
        Assert.True(a < otherDevice);
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteTxnsOlderThan_ForgetsOldTransactionsOfTheDevice(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();
        await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "old"), now: 1_000);
        await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "new"), now: 5_000);
        await db.DeviceInbox.AddMessageAsync(user, "E", "{}", Txn(sender, "old"), now: 1_000);

        Assert.Equal(1, await db.DeviceInbox.DeleteTxnsOlderThanAsync(user, "D", 2_000));

        Assert.NotNull(await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "old"), Now()));
        Assert.Null(await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "new"), Now()));
        Assert.Null(await db.DeviceInbox.AddMessageAsync(user, "E", "{}", Txn(sender, "old"), Now()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteDevices_RemovesTheirInboxes(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var sender = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "D", null, Now(), null);
        await db.Devices.UpsertDeviceAsync(user, "KEEP", null, Now(), null);
        await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "t"), Now());
        await db.DeviceInbox.AddMessageAsync(user, "KEEP", "{}", Txn(sender, "t"), Now());

        await db.Devices.DeleteDevicesAsync(user, ["D"]);

        Assert.Empty(await db.DeviceInbox.GetMessagesAsync(user, "D", 0, long.MaxValue, 10));
        Assert.Single(await db.DeviceInbox.GetMessagesAsync(user, "KEEP", 0, long.MaxValue, 10));
        // Its transactions went with it: a device created again under the ID starts afresh.
        Assert.NotNull(await db.DeviceInbox.AddMessageAsync(user, "D", "{}", Txn(sender, "t"), Now()));
    }
}
