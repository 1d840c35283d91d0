using System.Text.Json.Nodes;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Storage;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class MediaAdminEndpointsTests(GatewayFixture fx)
{
    static string E(string s) => Uri.EscapeDataString(s);

    const string Admin = "/_synapse/admin/v1";

    /// <summary>A fresh user made a server admin in the gateway's database (there is no HTTP way yet).</summary>
    async Task<(MatrixClient User, MediaClient Media)> NewAdminAsync()
    {
        var (user, media) = await NewUserAsync();
        await using var db = await MyelinDatabase.OpenAsync(DatabaseOptions.Sqlite(Path.Combine(fx.Gateway.Directory, "homeserver.db")));
        await db.Accounts.SetAdminAsync(user.UserId, true);
        return (user, media);
    }

    async Task<(MatrixClient User, MediaClient Media)> NewUserAsync()
    {
        var user = await fx.NewClient().RegisterAsync();
        return (user, new MediaClient(fx.Gateway.BaseUrl, user.AccessToken));
    }

    static string Download(string id) => $"/_matrix/client/v1/media/download/localhost/{id}";

    [Fact]
    public async Task EveryMediaAdminEndpoint_NonAdmin_Returns403()
    {
        var (user, media) = await NewUserAsync();
        using var _ = user;
        using var __ = media;
        var (_, id) = await media.UploadAsync([1, 2, 3], "text/plain");
        var room = "!r:localhost";
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Post, $"{Admin}/purge_media_cache?before_ts=40000000000"),
            (HttpMethod.Post, $"{Admin}/room/{E(room)}/media/quarantine"),
            (HttpMethod.Post, $"{Admin}/quarantine_media/{E(room)}"),
            (HttpMethod.Post, $"{Admin}/user/{E(user.UserId)}/media/quarantine"),
            (HttpMethod.Post, $"{Admin}/media/quarantine/localhost/{id}"),
            (HttpMethod.Post, $"{Admin}/media/unquarantine/localhost/{id}"),
            (HttpMethod.Post, $"{Admin}/media/protect/{id}"),
            (HttpMethod.Post, $"{Admin}/media/unprotect/{id}"),
            (HttpMethod.Get, $"{Admin}/room/{E(room)}/media"),
            (HttpMethod.Post, $"{Admin}/media/delete?before_ts=40000000000"),
            (HttpMethod.Post, $"{Admin}/media/localhost/delete?before_ts=40000000000"),
            (HttpMethod.Delete, $"{Admin}/media/localhost/{id}"),
            (HttpMethod.Get, $"{Admin}/media/localhost/{id}"),
            (HttpMethod.Get, $"{Admin}/users/{E(user.UserId)}/media"),
            (HttpMethod.Delete, $"{Admin}/users/{E(user.UserId)}/media"),
        })
        {
            var r = await media.SendAsync(method, path);
            Assert.True(r.Status == 403 && r.ErrCode == "M_FORBIDDEN", $"{method} {path}: {r.Status} {r.ErrCode}");
        }
        // Nothing happened: the media is still there.
        Assert.Equal(200, (await media.GetAsync(Download(id))).Status);
        Assert.Equal(401, (await media.SendAsync(HttpMethod.Get, $"{Admin}/media/localhost/{id}", auth: false)).Status);
    }

    [Fact]
    public async Task QuarantineById_HidesMedia_UnquarantineRestores_ProtectedIsSpared()
    {
        var (admin, adminMedia) = await NewAdminAsync();
        var (user, media) = await NewUserAsync();
        using var _ = admin;
        using var __ = adminMedia;
        using var ___ = user;
        using var ____ = media;
        var (_, a) = await media.UploadAsync(MediaClient.Image(64, 64), "image/png");
        var (_, b) = await media.UploadAsync([4, 5, 6], "text/plain");

        Assert.Equal(200, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/quarantine/localhost/{a}")).Status);
        Assert.Equal(404, (await media.GetAsync(Download(a))).Status);
        Assert.Equal(404, (await media.GetAsync($"/_matrix/media/v3/download/localhost/{a}", auth: false)).Status);
        Assert.Equal(404, (await media.GetAsync($"/_matrix/client/v1/media/thumbnail/localhost/{a}?width=32&height=32")).Status);
        var info = (await adminMedia.GetAsync($"{Admin}/media/localhost/{a}")).Json["media_info"]!;
        Assert.Equal(admin.UserId, info["quarantined_by"]!.GetValue<string>());
        Assert.Equal(user.UserId, info["user_id"]!.GetValue<string>());
        Assert.Equal("image/png", info["media_type"]!.GetValue<string>());

        Assert.Equal(200, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/unquarantine/localhost/{a}")).Status);
        Assert.Equal(200, (await media.GetAsync(Download(a))).Status);

        // Protected media survives quarantining the user's media.
        Assert.Equal(200, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/protect/{b}")).Status);
        var byUser = await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/user/{E(user.UserId)}/media/quarantine");
        Assert.Equal(1, byUser.Json["num_quarantined"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(a))).Status);
        Assert.Equal(200, (await media.GetAsync(Download(b))).Status);
        Assert.Equal(200, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/unprotect/{b}")).Status);
        // Counted as Synapse counts: every row the update touched, the already-quarantined one too.
        Assert.Equal(2, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/user/{E(user.UserId)}/media/quarantine")).Json["num_quarantined"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(b))).Status);
    }

    [Fact]
    public async Task RoomMedia_ListsEventsMedia_AndQuarantineInRoomHidesIt()
    {
        var (admin, adminMedia) = await NewAdminAsync();
        var (user, media) = await NewUserAsync();
        using var _ = admin;
        using var __ = adminMedia;
        using var ___ = user;
        using var ____ = media;
        var room = await user.CreateRoomAsync();
        var (_, image) = await media.UploadAsync(MediaClient.Image(64, 64), "image/png");
        var (_, thumb) = await media.UploadAsync(MediaClient.Image(16, 16), "image/png");
        var (_, unrelated) = await media.UploadAsync([1], "text/plain");
        var send = await user.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/{Guid.NewGuid():N}", new
        {
            msgtype = "m.image", body = "pic.png", url = $"mxc://localhost/{image}",
            info = new { thumbnail_url = $"mxc://localhost/{thumb}" },
        });
        Assert.Equal(200, send.Status);
        await user.PutAsync($"/_matrix/client/v3/rooms/{E(room)}/send/m.room.message/{Guid.NewGuid():N}", new
        {
            msgtype = "m.file", body = "far.bin", url = "mxc://elsewhere.example/remoteMediaId",
        });

        var list = await adminMedia.GetAsync($"{Admin}/room/{E(room)}/media");
        Assert.Equal(200, list.Status);
        var local = list.Json["local"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Equal(new[] { $"mxc://localhost/{image}", $"mxc://localhost/{thumb}" }.Order(), local.Order());
        Assert.Equal(["mxc://elsewhere.example/remoteMediaId"], list.Json["remote"]!.AsArray().Select(x => x!.GetValue<string>()));

        var q = await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/room/{E(room)}/media/quarantine");
        Assert.Equal(2, q.Json["num_quarantined"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(image))).Status);
        Assert.Equal(404, (await media.GetAsync(Download(thumb))).Status);
        Assert.Equal(200, (await media.GetAsync(Download(unrelated))).Status);
    }

    [Fact]
    public async Task UserMedia_ListsPagesAndDeletes()
    {
        var (admin, adminMedia) = await NewAdminAsync();
        var (user, media) = await NewUserAsync();
        using var _ = admin;
        using var __ = adminMedia;
        using var ___ = user;
        using var ____ = media;
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await media.UploadAsync(new byte[i + 1], "application/octet-stream", $"f{i}.bin")).MediaId);
            await Task.Delay(5); // distinct created_ts
        }

        var page = await adminMedia.GetAsync($"{Admin}/users/{E(user.UserId)}/media?limit=2");
        Assert.Equal(200, page.Status);
        Assert.Equal(3, page.Json["total"]!.GetValue<int>());
        Assert.Equal(2, page.Json["next_token"]!.GetValue<int>());
        var listed = page.Json["media"]!.AsArray();
        Assert.Equal([ids[2], ids[1]], listed.Select(m => m!["media_id"]!.GetValue<string>()));
        var first = listed[0]!.AsObject();
        Assert.Equal("f2.bin", first["upload_name"]!.GetValue<string>());
        Assert.Equal(3, first["media_length"]!.GetValue<long>());
        Assert.False(first["safe_from_quarantine"]!.GetValue<bool>());
        Assert.Null(first["quarantined_by"]);

        var bySize = await adminMedia.GetAsync($"{Admin}/users/{E(user.UserId)}/media?order_by=media_length&dir=f");
        Assert.Equal(ids, bySize.Json["media"]!.AsArray().Select(m => m!["media_id"]!.GetValue<string>()));
        Assert.False(bySize.Json.ContainsKey("next_token"));

        Assert.Equal(400, (await adminMedia.GetAsync($"{Admin}/users/{E(user.UserId)}/media?order_by=nope")).Status);
        Assert.Equal(400, (await adminMedia.GetAsync($"{Admin}/users/{E(user.UserId)}/media?from=-1")).Status);
        Assert.Equal(404, (await adminMedia.GetAsync($"{Admin}/users/{E("@nobody" + Guid.NewGuid().ToString("N")[..8] + ":localhost")}/media")).Status);
        Assert.Equal(400, (await adminMedia.GetAsync($"{Admin}/users/{E("@someone:elsewhere.example")}/media")).Status);

        // One by ID, then the rest of the user's.
        var one = await adminMedia.SendAsync(HttpMethod.Delete, $"{Admin}/media/localhost/{ids[0]}");
        Assert.Equal(200, one.Status);
        Assert.Equal([ids[0]], one.Json["deleted_media"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(1, one.Json["total"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(ids[0]))).Status);
        Assert.Equal(404, (await adminMedia.SendAsync(HttpMethod.Delete, $"{Admin}/media/localhost/{ids[0]}")).Status);
        Assert.Equal(400, (await adminMedia.SendAsync(HttpMethod.Delete, $"{Admin}/media/elsewhere.example/{ids[1]}")).Status);

        var rest = await adminMedia.SendAsync(HttpMethod.Delete, $"{Admin}/users/{E(user.UserId)}/media");
        Assert.Equal(2, rest.Json["total"]!.GetValue<int>());
        Assert.Equal(0, (await adminMedia.GetAsync($"{Admin}/users/{E(user.UserId)}/media")).Json["total"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(ids[2]))).Status);
    }

    [Fact]
    public async Task DeleteByDateAndSize_RemovesOldLargeMediaOnly_AndPurgeRemoteCacheHasNothing()
    {
        var (admin, adminMedia) = await NewAdminAsync();
        var (user, media) = await NewUserAsync();
        using var _ = admin;
        using var __ = adminMedia;
        using var ___ = user;
        using var ____ = media;
        var (_, big) = await media.UploadAsync(new byte[5000], "application/octet-stream");
        var (_, small) = await media.UploadAsync(new byte[10], "application/octet-stream");
        var (_, avatar) = await media.UploadAsync(new byte[5000], "application/octet-stream");
        Assert.Equal(200, (await user.PutAsync($"/_matrix/client/v3/profile/{E(user.UserId)}/avatar_url", new { avatar_url = $"mxc://localhost/{avatar}" })).Status);
        await Task.Delay(5);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var deleted = await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/delete?before_ts={before}&size_gt=1000");
        Assert.Equal(200, deleted.Status);
        var removed = deleted.Json["deleted_media"]!.AsArray().Select(x => x!.GetValue<string>()).ToList();
        Assert.Contains(big, removed);
        Assert.DoesNotContain(small, removed);
        Assert.DoesNotContain(avatar, removed);
        Assert.Equal(removed.Count, deleted.Json["total"]!.GetValue<int>());
        Assert.Equal(404, (await media.GetAsync(Download(big))).Status);
        Assert.Equal(200, (await media.GetAsync(Download(small))).Status);
        Assert.Equal(200, (await media.GetAsync(Download(avatar))).Status);

        var seconds = await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/localhost/delete?before_ts=1700000000");
        Assert.Equal(400, seconds.Status);
        Assert.Equal("M_INVALID_PARAM", seconds.ErrCode);
        Assert.Equal("M_MISSING_PARAM", (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/media/delete")).ErrCode);

        var purge = await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/purge_media_cache?before_ts={before}");
        Assert.Equal(200, purge.Status);
        Assert.Equal(0, purge.Json["deleted"]!.GetValue<int>());
        Assert.Equal(400, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/purge_media_cache")).Status);
        Assert.Equal(400, (await adminMedia.SendAsync(HttpMethod.Post, $"{Admin}/purge_media_cache?before_ts=-1")).Status);
    }
}
