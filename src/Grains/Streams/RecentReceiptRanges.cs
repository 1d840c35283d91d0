using System.Collections.Concurrent;
using Myelin.Storage;

namespace Myelin.Grains.Streams;

/// <summary>
/// The receipts written in a small range of the receipts stream, for every room, read from the database
/// once and shared: when a receipt in a room of a thousand members wakes a thousand long-polls, they all
/// ask for the same (from, to] range, and one query answers them all (concurrent askers wait on the same read).
/// </summary>
/// <remarks>
/// Rows at or below a committed position never change position except by being replaced by a later
/// receipt (which moves it above <c>to</c>), so a cached range can only hold a receipt that a later range
/// supersedes: the client sees the newer one in its next sync, as with Synapse's receipts stream.
/// </remarks>
public sealed class RecentReceiptRanges(MyelinDatabase db)
{
    /// <summary>Ranges wider than this are read per room as before: a client far behind is rare and its
    /// range would hold every room's receipts.</summary>
    public const long MaxSharedRange = 256;

    const int MaxEntries = 64;

    readonly ConcurrentDictionary<(long From, long To), Task<IReadOnlyList<ReceiptRow>>> _ranges = new();
    readonly ConcurrentQueue<(long From, long To)> _order = new();

    /// <summary>Reads from the database actually made (for tests and the benchmark notes).</summary>
    public int DatabaseReads;

    public static bool Covers(long from, long to) => to > from && to - from <= MaxSharedRange;

    public Task<IReadOnlyList<ReceiptRow>> GetAsync(long from, long to)
    {
        var key = (from, to);
        if (_ranges.TryGetValue(key, out var known)) return known;
        // The first asker publishes a pending task and only then starts the read, outside any lock: the
        // others take the task at once and wait on it without holding a thread (a Lazy would have kept a
        // thousand threads blocked on its lock while SQLite, synchronous underneath, read the range).
        var pending = new TaskCompletionSource<IReadOnlyList<ReceiptRow>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = _ranges.GetOrAdd(key, pending.Task);
        if (!ReferenceEquals(entry, pending.Task)) return entry;
        _order.Enqueue(key);
        while (_order.Count > MaxEntries && _order.TryDequeue(out var old)) _ranges.TryRemove(old, out _);
        _ = ReadAsync(key, pending);
        return pending.Task;
    }

    // A failed read is not kept: the next asker reads again.
    async Task ReadAsync((long From, long To) key, TaskCompletionSource<IReadOnlyList<ReceiptRow>> pending)
    {
        try
        {
            Interlocked.Increment(ref DatabaseReads);
            pending.SetResult(await db.Receipts.GetAllChangedAsync(key.From, key.To, (int)MaxSharedRange));
        }
        catch (Exception e)
        {
            _ranges.TryRemove(new KeyValuePair<(long, long), Task<IReadOnlyList<ReceiptRow>>>(key, pending.Task));
            pending.SetException(e);
        }
    }
}
