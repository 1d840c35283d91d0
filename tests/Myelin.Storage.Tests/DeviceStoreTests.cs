namespace Myelin.Storage.Tests;

public sealed class DeviceStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    [Theory, SqliteData, PostgresData]
    public async Task UpsertDevice_New_Stores(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();

        await db.Devices.UpsertDeviceAsync(user, "DEV1", "Phone", 100, "10.0.0.1");

        Assert.Equal(new Device(user, "DEV1", "Phone", 100, "10.0.0.1"), await db.Devices.GetDeviceAsync(user, "DEV1"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task UpsertDevice_Existing_KeepsRowAndName(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "DEV1", "Phone", 100, "10.0.0.1");

        await db.Devices.UpsertDeviceAsync(user, "DEV1", "Other name", 200, "10.0.0.2");

        Assert.Equal(new Device(user, "DEV1", "Phone", 100, "10.0.0.1"), await db.Devices.GetDeviceAsync(user, "DEV1"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetDevices_SeveralUsers_ReturnsOnlyTheUsersOrderedById(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var other = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "B", null, 1, null);
        await db.Devices.UpsertDeviceAsync(user, "A", null, 1, null);
        await db.Devices.UpsertDeviceAsync(other, "C", null, 1, null);

        var devices = await db.Devices.GetDevicesAsync(user);

        Assert.Equal(["A", "B"], devices.Select(d => d.DeviceId));
        Assert.Null(await db.Devices.GetDeviceAsync(user, "C"));
    }

    [Theory, SqliteData, PostgresData]
    public async Task UpdateDisplayName_ExistingOrNot_ReportsWhetherFound(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "DEV1", "Old", 1, null);

        Assert.True(await db.Devices.UpdateDisplayNameAsync(user, "DEV1", "New"));
        Assert.False(await db.Devices.UpdateDisplayNameAsync(user, "NOPE", "New"));

        Assert.Equal("New", (await db.Devices.GetDeviceAsync(user, "DEV1"))!.DisplayName);
    }

    [Theory, SqliteData, PostgresData]
    public async Task DeleteDevices_WithTokens_DeletesDevicesAndTheirTokensOnly(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        foreach (var d in new[] { "D1", "D2", "D3" }) await db.Devices.UpsertDeviceAsync(user, d, null, 1, null);
        var t1 = "tok1" + NewId();
        var t2 = "tok2" + NewId();
        var t3 = "tok3" + NewId();
        await db.AccessTokens.AddAccessTokenAsync(t1, user, "D1", 1);
        await db.AccessTokens.AddAccessTokenAsync(t2, user, "D2", 1);
        await db.AccessTokens.AddAccessTokenAsync(t3, user, "D3", 1);

        await db.Devices.DeleteDevicesAsync(user, ["D1", "D2", "UNKNOWN"]);

        Assert.Equal(["D3"], (await db.Devices.GetDevicesAsync(user)).Select(d => d.DeviceId));
        Assert.Null(await db.AccessTokens.GetOwnerAsync(t1));
        Assert.Null(await db.AccessTokens.GetOwnerAsync(t2));
        Assert.NotNull(await db.AccessTokens.GetOwnerAsync(t3));
    }

    [Theory, SqliteData, PostgresData]
    public async Task UpdateLastSeen_Existing_SetsTimeAndIp(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Devices.UpsertDeviceAsync(user, "DEV1", null, 1, "10.0.0.1");

        await db.Devices.UpdateLastSeenAsync(user, "DEV1", 999, "10.0.0.9");
        Assert.Equal(new Device(user, "DEV1", null, 999, "10.0.0.9"), await db.Devices.GetDeviceAsync(user, "DEV1"));

        await db.Devices.UpdateLastSeenAsync(user, "DEV1", 1000, null);
        Assert.Equal(new Device(user, "DEV1", null, 1000, "10.0.0.9"), await db.Devices.GetDeviceAsync(user, "DEV1"));
    }
}
