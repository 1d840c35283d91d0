using Myelin.Gateway.Tests.Infrastructure;
using static Myelin.Gateway.Tests.Admin.AdminTestHelpers;

namespace Myelin.Gateway.Tests.Admin;

[Collection(AdminCollection.Name)]
public sealed class ReportsTests(AdminFixture fx)
{
    [Fact]
    public async Task ReportEvent_AdminListsShowsAndDeletesIt()
    {
        using var sender = await fx.NewClient().RegisterAsync();
        using var reporter = await fx.NewClient().RegisterAsync();
        var room = await sender.CreateRoomAsync(new { preset = "public_chat", name = "Reported room" });
        await reporter.JoinAsync(room);
        var eventId = await sender.SendMessageAsync(room, "offensive");

        var r = await reporter.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/report/{E(eventId)}", new { reason = "rude", score = -100 });
        Assert.Equal(200, r.Status);
        Assert.Empty(r.Json);

        var list = await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports?room_id={E(room)}");
        Assert.Equal(200, list.Status);
        Assert.Equal(1, list.Json["total"]!.GetValue<int>());
        var entry = list.Json["event_reports"]![0]!;
        Assert.Equal(eventId, entry["event_id"]!.GetValue<string>());
        Assert.Equal(reporter.UserId, entry["user_id"]!.GetValue<string>());
        Assert.Equal(sender.UserId, entry["sender"]!.GetValue<string>());
        Assert.Equal("rude", entry["reason"]!.GetValue<string>());
        Assert.Equal(-100, entry["score"]!.GetValue<int>());
        Assert.Equal("Reported room", entry["name"]!.GetValue<string>());
        var id = entry["id"]!.GetValue<long>();
        var bySender = await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports?sender_user_id={E(sender.UserId)}");
        Assert.Equal(1, bySender.Json["total"]!.GetValue<int>());

        var detail = await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports/{id}");
        Assert.Equal(200, detail.Status);
        Assert.Equal("offensive", detail.Json["event_json"]!["content"]!["body"]!.GetValue<string>());

        Assert.Equal(200, (await fx.Admin.DeleteAsync($"/_synapse/admin/v1/event_reports/{id}")).Status);
        Assert.Equal(404, (await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports/{id}")).Status);
        Assert.Equal(404, (await fx.Admin.DeleteAsync($"/_synapse/admin/v1/event_reports/{id}")).Status);
    }

    [Fact]
    public async Task ReportEvent_PagingOverReports_NextToken()
    {
        using var sender = await fx.NewClient().RegisterAsync();
        var room = await sender.CreateRoomAsync();
        for (var i = 0; i < 3; i++)
        {
            var e = await sender.SendMessageAsync(room, $"r{i}");
            await sender.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/report/{E(e)}", new { reason = $"r{i}" });
        }
        var page = await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports?room_id={E(room)}&limit=2");
        Assert.Equal(3, page.Json["total"]!.GetValue<int>());
        Assert.Equal(2, page.Json["next_token"]!.GetValue<int>());
        Assert.Equal("r2", page.Json["event_reports"]![0]!["reason"]!.GetValue<string>());
        var forwards = await fx.Admin.GetAsync($"/_synapse/admin/v1/event_reports?room_id={E(room)}&dir=f");
        Assert.Equal("r0", forwards.Json["event_reports"]![0]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReportEvent_NotInRoomOrBadInput_Refused()
    {
        using var sender = await fx.NewClient().RegisterAsync();
        using var outsider = await fx.NewClient().RegisterAsync();
        var room = await sender.CreateRoomAsync();
        var eventId = await sender.SendMessageAsync(room, "private");
        var path = $"/_matrix/client/v3/rooms/{E(room)}/report/{E(eventId)}";

        var outside = await outsider.PostAsync(path, new { reason = "x" });
        Assert.Equal(404, outside.Status);
        Assert.Equal("M_NOT_FOUND", outside.ErrCode);
        Assert.Equal(404, (await sender.PostAsync($"/_matrix/client/v3/rooms/{E(room)}/report/{E("$missing")}", new { })).Status);
        Assert.Equal("M_INVALID_PARAM", (await sender.PostAsync(path, new { score = "bad" })).ErrCode);
        Assert.Equal("M_INVALID_PARAM", (await sender.PostAsync(path, new { reason = 5 })).ErrCode);
        Assert.Equal(401, (await fx.NewClient().PostAsync(path, new { })).Status);
        Assert.Equal("M_INVALID_PARAM", (await fx.Admin.GetAsync("/_synapse/admin/v1/event_reports/abc")).ErrCode);
    }
}
