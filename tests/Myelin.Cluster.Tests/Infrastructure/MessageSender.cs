using System.Diagnostics;
using Myelin.Gateway.Tests.Infrastructure;

namespace Myelin.Cluster.Tests.Infrastructure;

/// <summary>
/// Background traffic: a client sending <c>m.room.message</c>s into one room, one after another with a
/// short pause, retrying a failed send with the same transaction ID as clients do (so a retry never
/// makes a second event). Keeps every acknowledged send: what the server promised to keep.
/// </summary>
public sealed class MessageSender : IAsyncDisposable
{
    public sealed record Acked(string EventId, string Body, TimeSpan At);

    readonly MatrixClient _client;
    readonly string _roomId;
    readonly string _prefix;
    readonly Stopwatch _clock;
    readonly TimeSpan _pause;
    readonly List<Acked> _acked = [];
    readonly List<string> _failures = [];
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;

    public MessageSender(MatrixClient client, string roomId, string prefix, Stopwatch clock, TimeSpan pause)
    {
        _client = client; _roomId = roomId; _prefix = prefix; _clock = clock; _pause = pause;
        _loop = Task.Run(LoopAsync);
    }

    public IReadOnlyList<Acked> AckedSoFar { get { lock (_acked) return [.. _acked]; } }
    /// <summary>Failed attempts (each retried), for messages.</summary>
    public IReadOnlyList<string> Failures { get { lock (_failures) return [.. _failures]; } }

    /// <summary>Waits until <paramref name="count"/> more sends than now have been acknowledged.</summary>
    public async Task WaitForMoreAsync(int count, TimeSpan timeout)
    {
        var target = AckedSoFar.Count + count;
        var deadline = DateTime.UtcNow + timeout;
        while (AckedSoFar.Count < target)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{count} sends were not acknowledged within {timeout.TotalSeconds} s: {string.Join("; ", Failures.TakeLast(5))}");
            await Task.Delay(50);
        }
    }

    async Task LoopAsync()
    {
        for (var n = 0; !_stop.IsCancellationRequested; n++)
        {
            var txn = Guid.NewGuid().ToString("N");
            var body = $"{_prefix} {n}";
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var r = await _client.PutAsync(
                        $"/_matrix/client/v3/rooms/{Uri.EscapeDataString(_roomId)}/send/m.room.message/{txn}",
                        new { msgtype = "m.text", body });
                    if (r.Status == 200)
                    {
                        lock (_acked) _acked.Add(new(r.Json["event_id"]!.GetValue<string>(), body, _clock.Elapsed));
                        break;
                    }
                    lock (_failures) _failures.Add($"{_clock.Elapsed.TotalSeconds:F1}s {body}: {r.Status} {r.Raw}");
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    lock (_failures) _failures.Add($"{_clock.Elapsed.TotalSeconds:F1}s {body}: {e.GetType().Name} {e.Message}");
                }
                await Task.Delay(100);
            }
            try { await Task.Delay(_pause, _stop.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>Stops after the send in flight (if any) is answered; returns everything acknowledged.</summary>
    public async Task<IReadOnlyList<Acked>> StopAsync()
    {
        _stop.Cancel();
        await _loop;
        return AckedSoFar;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
