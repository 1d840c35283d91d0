using Myelin.Grains.Streams;

namespace Myelin.Grains.Typing;

/// <summary>
/// The typing stream's writer for one room (spec: client-server API "Typing Notifications"; Synapse's
/// TypingWriterHandler). Nothing is written to the database: the list lives here, each change goes to
/// every process's <see cref="TypingCache"/> through <see cref="StreamFanout"/>, and a one-shot grain timer
/// on the injected <see cref="TimeProvider"/> fires at the next user's timeout.
/// <para>While anyone is typing the list is published again every <see cref="KeepAlive"/>, unchanged:
/// readers drop a room whose writer went quiet (a silo lost with this activation), so nobody is shown
/// typing forever.</para>
/// </summary>
public sealed class TypingGrain(StreamFanout fanout, TimeProvider time) : Grain, ITypingGrain
{
    /// <summary>How often a non-empty list is published again while it stays the same.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    readonly TypingRoom _room = new();
    long _token;
    long _publishedAtMs;
    IGrainTimer? _timer;

    string RoomId => this.GetPrimaryKeyString();
    long NowMs => time.GetUtcNow().ToUnixTimeMilliseconds();

    public async Task Start(string userId, TimeSpan timeout)
    {
        // A user typing now was joined when they started, and leaving since would have stopped them.
        if (!_room.IsTyping(userId)) await CheckJoinedAsync(userId);
        // Synapse: a user already typing only has the timeout moved; readers are not told again.
        if (_room.Start(userId, NowMs, (long)timeout.TotalMilliseconds)) await PublishAsync();
        Schedule();
    }

    public async Task Stop(string userId)
    {
        if (!_room.IsTyping(userId))
        {
            await CheckJoinedAsync(userId);
            return;
        }
        _room.Stop(userId);
        await PublishAsync();
        Schedule();
    }

    public async Task UserLeft(string userId)
    {
        if (!_room.Stop(userId)) return;
        await PublishAsync();
        Schedule();
    }

    public Task<TypingSnapshot> Get() => Task.FromResult(new TypingSnapshot(_token, _room.Users));

    async Task CheckJoinedAsync(string userId)
    {
        if (await GrainFactory.Room(RoomId).GetMembership(userId) != "join")
            throw MatrixException.Forbidden($"User {userId} not in room {RoomId}");
    }

    async Task OnTimerAsync(CancellationToken ct)
    {
        var now = NowMs;
        if (_room.Expire(now) || (_room.Count > 0 && now - _publishedAtMs >= (long)KeepAlive.TotalMilliseconds))
            await PublishAsync();
        Schedule();
    }

    /// <summary>Arms the timer for the next timeout or keep-alive; none while nobody is typing.</summary>
    void Schedule()
    {
        if (_room.NextDeadline is not { } deadline)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }
        var at = Math.Min(deadline, _publishedAtMs + (long)KeepAlive.TotalMilliseconds);
        var due = TimeSpan.FromMilliseconds(Math.Max(0, at - NowMs));
        if (_timer is null)
            // KeepAlive: the activation (and so the list) must outlive idle collection while anyone types.
            _timer = this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        else
            _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    Task PublishAsync()
    {
        var now = NowMs;
        // From the clock, so a later activation (after a move or restart) goes on above this one's tokens.
        _token = Math.Max(_token + 1, now);
        _publishedAtMs = now;
        return fanout.PublishAsync(StreamNames.Typing, _token, new TypingStreamRow(RoomId, _room.Users).ToJson());
    }
}
