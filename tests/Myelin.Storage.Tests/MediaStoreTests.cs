namespace Myelin.Storage.Tests;

public sealed class MediaStoreTests(DatabaseFixture fixture) : StoreTestBase(fixture)
{
    static LocalMedia Uploaded(string id, string user, long ts, long length = 10, string type = "image/png", string? name = "a.png") =>
        new(id, type, length, ts, name, user, null, ts, false, "abc");

    static LocalMedia Pending(string id, string user, long ts) => new(id, null, null, ts, null, user, null, null, false, null);

    [Theory, SqliteData, PostgresData]
    public async Task Create_ThenGet_RoundTripsEveryColumn(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var id = NewId();
        var now = Now();

        await db.Media.CreateAsync(Uploaded(id, user, now, 1234, "text/plain", "notes ü.txt"));

        var got = await db.Media.GetAsync(id);
        Assert.Equal(new LocalMedia(id, "text/plain", 1234, now, "notes ü.txt", user, null, now, false, "abc"), got);
        Assert.Null(await db.Media.GetAsync(NewId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CompletePending_OnlyOnce(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var id = NewId();
        await db.Media.CreateAsync(Pending(id, user, Now()));
        Assert.Null((await db.Media.GetAsync(id))!.MediaLength);

        Assert.True(await db.Media.CompletePendingAsync(id, "image/png", "x.png", 5, "h", Now()));
        Assert.False(await db.Media.CompletePendingAsync(id, "image/jpeg", "y.jpg", 6, "h", Now()));
        Assert.False(await db.Media.CompletePendingAsync(NewId(), "image/jpeg", null, 6, "h", Now()));

        var got = (await db.Media.GetAsync(id))!;
        Assert.Equal(("image/png", 5L, "x.png"), (got.MediaType!, got.MediaLength!.Value, got.UploadName!));
    }

    [Theory, SqliteData, PostgresData]
    public async Task CountPending_CountsUnexpiredUnuploaded_AndDeleteExpiredRemovesOld(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var now = Now();
        string old = NewId(), fresh1 = NewId(), fresh2 = NewId(), done = NewId();
        await db.Media.CreateAsync(Pending(old, user, now - 100_000));
        await db.Media.CreateAsync(Pending(fresh1, user, now - 10));
        await db.Media.CreateAsync(Pending(fresh2, user, now));
        await db.Media.CreateAsync(Uploaded(done, user, now));
        await db.Media.CreateAsync(Pending(NewId(), NewUserId(), now));

        var (count, first) = await db.Media.CountPendingAsync(user, now - 50_000);
        Assert.Equal(2, count);
        Assert.Equal(now - 10, first);

        Assert.True(await db.Media.DeleteExpiredPendingAsync(now - 50_000) >= 1);
        Assert.Null(await db.Media.GetAsync(old));
        Assert.NotNull(await db.Media.GetAsync(fresh1));
        Assert.NotNull(await db.Media.GetAsync(done));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Thumbnails_AddTwiceAndGet(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var id = NewId();
        await db.Media.CreateAsync(Uploaded(id, NewUserId(), Now()));

        await db.Media.AddThumbnailAsync(id, new MediaThumbnail(32, 32, "crop", "image/png", 100));
        await db.Media.AddThumbnailAsync(id, new MediaThumbnail(320, 240, "scale", "image/png", 900));
        await db.Media.AddThumbnailAsync(id, new MediaThumbnail(32, 32, "crop", "image/png", 101));

        var thumbs = await db.Media.GetThumbnailsAsync(id);
        Assert.Equal([new MediaThumbnail(32, 32, "crop", "image/png", 101), new MediaThumbnail(320, 240, "scale", "image/png", 900)], thumbs);
        Assert.Empty(await db.Media.GetThumbnailsAsync(NewId()));
    }

    [Theory, SqliteData, PostgresData]
    public async Task Quarantine_SkipsProtected_AndReleases(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        string a = NewId(), b = NewId(), c = NewId();
        foreach (var id in new[] { a, b, c }) await db.Media.CreateAsync(Uploaded(id, user, Now()));
        await db.Media.SetSafeFromQuarantineAsync(b, true);

        Assert.Equal(1, await db.Media.SetQuarantinedAsync([a, b], "@admin:test"));
        Assert.Equal("@admin:test", (await db.Media.GetAsync(a))!.QuarantinedBy);
        Assert.Null((await db.Media.GetAsync(b))!.QuarantinedBy);
        Assert.True((await db.Media.GetAsync(b))!.SafeFromQuarantine);

        Assert.Equal(2, await db.Media.QuarantineUserMediaAsync(user, "@admin:test"));
        Assert.Equal("@admin:test", (await db.Media.GetAsync(c))!.QuarantinedBy);

        Assert.Equal(1, await db.Media.SetQuarantinedAsync([a], null));
        Assert.Null((await db.Media.GetAsync(a))!.QuarantinedBy);
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetUserMedia_PagesInOrder_WithTotal(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();
        for (var i = 0; i < ids.Count; i++) await db.Media.CreateAsync(Uploaded(ids[i], user, 1000 + i, length: 100 - i));
        await db.Media.CreateAsync(Uploaded(NewId(), NewUserId(), 1000));

        var (newest, total) = await db.Media.GetUserMediaAsync(user, 0, 2, "created_ts", backwards: true);
        Assert.Equal(5, total);
        Assert.Equal([ids[4], ids[3]], newest.Select(m => m.MediaId));
        var (page2, _) = await db.Media.GetUserMediaAsync(user, 2, 2, "created_ts", backwards: true);
        Assert.Equal([ids[2], ids[1]], page2.Select(m => m.MediaId));
        var (bySize, _) = await db.Media.GetUserMediaAsync(user, 0, 10, "media_length", backwards: false);
        Assert.Equal(ids.AsEnumerable().Reverse(), bySize.Select(m => m.MediaId));
    }

    [Theory, SqliteData, PostgresData]
    public async Task GetOldMediaIds_ByAccessAndSize_KeepsQuarantinedProtectedAndAvatars(DatabaseEngine engine)
    {
        var db = await OpenAsync(engine);
        var user = NewUserId();
        await db.Accounts.CreateUserAsync(user, null, false, false, Now());
        string old = NewId(), small = NewId(), recent = NewId(), quarantined = NewId(), safe = NewId(), avatar = NewId();
        await db.Media.CreateAsync(Uploaded(old, user, 1000, length: 500));
        await db.Media.CreateAsync(Uploaded(small, user, 1000, length: 5));
        await db.Media.CreateAsync(Uploaded(recent, user, 1000, length: 500));
        await db.Media.UpdateLastAccessAsync([recent], 9000);
        await db.Media.CreateAsync(Uploaded(quarantined, user, 1000, length: 500));
        await db.Media.SetQuarantinedAsync([quarantined], "@a:test");
        await db.Media.CreateAsync(Uploaded(safe, user, 1000, length: 500));
        await db.Media.SetSafeFromQuarantineAsync(safe, true);
        await db.Media.CreateAsync(Uploaded(avatar, user, 1000, length: 500));
        await db.Accounts.SetAvatarUrlAsync(user, $"mxc://test/{avatar}");

        var keep = await db.Media.GetOldMediaIdsAsync(5000, 10, keepProfiles: true, "mxc://test/");
        Assert.Contains(old, keep);
        Assert.DoesNotContain(small, keep);
        Assert.DoesNotContain(recent, keep);
        Assert.DoesNotContain(quarantined, keep);
        Assert.DoesNotContain(safe, keep);
        Assert.DoesNotContain(avatar, keep);
        Assert.Contains(avatar, await db.Media.GetOldMediaIdsAsync(5000, 10, keepProfiles: false, "mxc://test/"));

        await db.Media.AddThumbnailAsync(old, new MediaThumbnail(32, 32, "crop", "image/png", 1));
        await db.Media.DeleteAsync([old]);
        Assert.Null(await db.Media.GetAsync(old));
        Assert.Empty(await db.Media.GetThumbnailsAsync(old));
    }
}
