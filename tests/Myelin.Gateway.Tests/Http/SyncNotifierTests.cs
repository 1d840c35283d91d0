using Myelin.Gateway.Http;
using Myelin.Grains.Streams;
using Myelin.Grains.Sync;
using Xunit;

namespace Myelin.Gateway.Tests.Http;

public sealed class SyncNotifierTests
{
    static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    // A token no stream's position passes: only an update wakes its waiter.
    static readonly SyncToken Nothing = SyncToken.EventsOnly(long.MaxValue);

    readonly InMemoryReplicationBus _bus = new();
    readonly SyncNotifier _notifier;

    public SyncNotifierTests() => _notifier = new SyncNotifier(_bus);

    Task Park(string user, params string[] rooms) => _notifier.WaitAsync(user, rooms, Nothing, Long, CancellationToken.None);

    async Task UntilParked(int count)
    {
        for (var i = 0; i < 200 && _notifier.WaiterCount != count; i++) await Task.Delay(5);
        Assert.Equal(count, _notifier.WaiterCount);
    }

    [Fact]
    public async Task An_event_in_a_room_wakes_the_members_parked_on_it_and_no_one_else()
    {
        var alice = Park("@alice:hs", "!a:hs", "!b:hs");
        var bob = Park("@bob:hs", "!b:hs");
        var carol = Park("@carol:hs", "!c:hs");
        await UntilParked(3);

        _bus.Publish(new StreamUpdate("events", 1, ["!b:hs"], []));

        await Task.WhenAll(alice, bob).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(carol.IsCompleted);
        Assert.Equal(1, _notifier.WaiterCount);
    }

    [Fact]
    public async Task An_update_naming_the_user_wakes_every_sync_of_theirs()
    {
        var phone = Park("@alice:hs", "!a:hs");
        var laptop = Park("@alice:hs");
        var bob = Park("@bob:hs", "!a:hs");
        await UntilParked(3);

        _bus.Publish(new StreamUpdate("account_data", 1, [], ["@alice:hs"]));

        await Task.WhenAll(phone, laptop).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(bob.IsCompleted);
    }

    [Fact]
    public async Task An_update_for_everyone_wakes_everyone_and_leaves_the_maps_empty()
    {
        var parked = Enumerable.Range(0, 50).Select(i => Park($"@u{i}:hs", "!a:hs", $"!r{i}:hs")).ToList();
        await UntilParked(50);

        _bus.Publish(new StreamUpdate("presence", 1, [], [], Everyone: true));

        await Task.WhenAll(parked).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _notifier.WaiterCount);
        // Nobody is left behind in the room or user maps: the next update wakes only new waiters.
        var next = Park("@u0:hs", "!a:hs");
        await UntilParked(1);
        _bus.Publish(new StreamUpdate("events", 2, ["!a:hs"], ["@u0:hs"]));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _notifier.WaiterCount);
    }

    [Fact]
    public async Task A_timeout_or_a_cancelled_request_leaves_the_notifier()
    {
        await _notifier.WaitAsync("@alice:hs", ["!a:hs"], Nothing, TimeSpan.FromMilliseconds(20), CancellationToken.None);
        Assert.Equal(0, _notifier.WaiterCount);

        using var cts = new CancellationTokenSource();
        var cancelled = _notifier.WaitAsync("@bob:hs", ["!a:hs"], Nothing, Long, cts.Token);
        await UntilParked(1);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(0, _notifier.WaiterCount);
    }

    [Fact]
    public async Task A_stream_already_past_the_callers_position_returns_at_once()
    {
        _bus.Publish(new StreamUpdate("events", 7, ["!a:hs"], []));
        await _notifier.WaitAsync("@alice:hs", ["!a:hs"], SyncToken.EventsOnly(6), Long, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, _notifier.WaiterCount);
    }
}
