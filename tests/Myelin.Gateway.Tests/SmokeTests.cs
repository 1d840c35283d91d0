using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class SmokeTests(GatewayFixture fx)
{
    [Fact]
    public async Task SendMessage_OtherMemberSyncs_SeesIt()
    {
        using var alice = await fx.NewClient().RegisterAsync();
        using var bob = await fx.NewClient().RegisterAsync();
        var room = await alice.CreateRoomAsync(new { invite = new[] { bob.UserId } });
        await bob.JoinAsync(room);
        var first = await bob.SyncAsync();
        var eventId = await alice.SendMessageAsync(room, "hello");
        var next = await bob.SyncAsync(first["next_batch"]!.GetValue<string>(), timeoutMs: 10000);
        var events = next["rooms"]!["join"]![room]!["timeline"]!["events"]!.AsArray();
        Assert.Contains(events, e => e!["event_id"]!.GetValue<string>() == eventId);
    }

    [Fact]
    public async Task UnknownEndpoint_Returns404Unrecognized()
    {
        using var c = fx.NewClient();
        var r = await c.GetAsync("/_matrix/client/v3/no_such_thing");
        Assert.Equal(404, r.Status);
        Assert.Equal("M_UNRECOGNIZED", r.ErrCode);
    }
}
