using Myelin.Cluster.Tests.Infrastructure;
using Myelin.Gateway.Tests.Infrastructure;
using Myelin.Grains.Rooms;

namespace Myelin.Cluster.Tests;

/// <summary>
/// Separate processes on one PostgreSQL: membership through Myelin's ADO.NET clustering tables, and
/// room grains kept on the silos that stream_writers.events names.
/// </summary>
public sealed class ClusterPlacementTests
{
    [PostgresFact]
    public async Task SiloAndGateway_EventsWriterIsTheSilo_JoinOneClusterAndRoomsLiveOnTheSilo()
    {
        await using var cluster = await TestCluster.CreateAsync(eventWriters: ["persister1"]);
        await cluster.StartSiloAsync("persister1");
        var gateway = await cluster.StartGatewayAsync("gateway1");

        Assert.Equal(["gateway1", "persister1"], await cluster.ActiveMembersAsync());

        using var alice = await new MatrixClient(gateway.BaseUrl!).RegisterAsync();
        var client = await cluster.ClientAsync();
        for (var i = 0; i < 3; i++)
        {
            var roomId = await alice.CreateRoomAsync();
            var eventId = await alice.SendMessageAsync(roomId, $"hello {i}");

            Assert.Equal("persister1", await cluster.WhereIsAsync(client.GetGrain<IRoomGrain>(roomId)));
            var read = await alice.GetAsync($"/_matrix/client/v3/rooms/{Uri.EscapeDataString(roomId)}/event/{Uri.EscapeDataString(eventId)}");
            Assert.Equal(200, read.Status);
            Assert.Equal($"hello {i}", read.Json["content"]!["body"]!.GetValue<string>());
        }
    }
}
