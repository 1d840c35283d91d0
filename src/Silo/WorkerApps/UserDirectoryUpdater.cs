using System.Text.Json;
using Microsoft.Extensions.Logging;
using Myelin.Grains.Streams;
using Myelin.Silo.Configuration;
using Myelin.Storage;

namespace Myelin.Silo.WorkerApps;

/// <summary>
/// Keeps the user directory's visibility tables current from the events stream (Synapse's user directory
/// handler on <c>update_user_directory_from_worker</c>): a membership change updates who shares a room with
/// whom, a join rule or history visibility change re-files the whole room as public or private, and a
/// remote user's join carries their profile. Local profiles are written with the profile itself.
/// </summary>
/// <remarks>
/// Each change is applied by reading the room's current state, not by replaying the event: whatever the
/// order, a replayed batch (at-least-once) or an event whose state is already superseded, the tables end
/// up agreeing with the room. On its first start the app fills the directory from the current state of
/// every room (Synapse's populate_user_directory background update), then follows the stream from the
/// position it had before it read that state.
/// </remarks>
public sealed class UserDirectoryUpdater : EventStreamFollower
{
    public const string AppName = "user_directory";
    const int RoomPage = 500;

    readonly MyelinDatabase _db;
    readonly IReplicationBus _bus;
    readonly TimeProvider _time;
    readonly HomeserverOptions _options;

    public UserDirectoryUpdater(MyelinDatabase db, IReplicationBus bus, WorkerAppPositions positions, TimeProvider time,
        HomeserverOptions options, ILogger<UserDirectoryUpdater> log)
        : base(AppName, options.WorkerName, db, bus, positions, time, log)
    {
        _db = db;
        _bus = bus;
        _time = time;
        _options = options;
    }

    long? _populatedFrom;

    /// <summary>Rooms re-filed by the first start's population (for the log and tests).</summary>
    public int PopulatedRooms { get; private set; }

    protected override long StartingPosition(long current) => _populatedFrom ?? current;

    protected override async Task ExecuteAsync(CancellationToken ct)
    {
        if (await RetryAsync(() => _db.WorkerAppPositions.GetAsync(App, Instance, StreamNames.Events), ct) is null)
        {
            // The position before the state is read: events after it are applied again, which is harmless.
            var from = _bus.Position(StreamNames.Events);
            await RetryAsync(async () => { await PopulateAsync(ct); return true; }, ct);
            _populatedFrom = from;
        }
        if (!ct.IsCancellationRequested) await base.ExecuteAsync(ct);
    }

    /// <summary>Every local user's entry, and every room's rows, from the current state.</summary>
    async Task PopulateAsync(CancellationToken ct)
    {
        var users = await _db.UserDirectory.AddMissingLocalUsersAsync();
        var rooms = 0;
        for (var offset = 0; !ct.IsCancellationRequested; offset += RoomPage)
        {
            var page = await _db.Rooms.ListRoomsAsync(offset, RoomPage);
            foreach (var room in page) await _db.UserDirectory.ReplaceRoomAsync(await _db.UserDirectory.ReadRoomAsync(room.RoomId));
            rooms += page.Count;
            if (page.Count < RoomPage) break;
        }
        PopulatedRooms = rooms;
        Log.LogInformation("User directory populated: {Users} users added, {Rooms} rooms filed", users, rooms);
    }

    async Task<T?> RetryAsync<T>(Func<Task<T?>> action, CancellationToken ct)
    {
        for (var failures = 1; ; failures++)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, failures)));
                Log.LogWarning(e, "User directory: starting failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                try { await Task.Delay(delay, _time, ct); }
                catch (OperationCanceledException) { return default; }
            }
        }
    }

    protected override async Task HandleAsync(IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        var refile = new HashSet<string>(StringComparer.Ordinal);
        var members = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (e.StateKey is null) continue;
            if (e.StateKey.Length == 0 && e.Type is "m.room.join_rules" or "m.room.history_visibility")
            {
                refile.Add(e.RoomId);
            }
            else if (e.Type == "m.room.member")
            {
                if (!members.TryGetValue(e.RoomId, out var set)) members[e.RoomId] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(e.StateKey);
                if (e.Membership == "join" && !IsLocal(e.StateKey)) await UpdateRemoteProfileAsync(e);
            }
        }
        foreach (var room in refile)
            await _db.UserDirectory.ReplaceRoomAsync(await _db.UserDirectory.ReadRoomAsync(room));
        foreach (var (room, users) in members)
        {
            if (refile.Contains(room)) continue;
            await _db.UserDirectory.UpdateMembersAsync(await _db.UserDirectory.ReadRoomAsync(room), users);
        }
    }

    bool IsLocal(string userId) => userId.EndsWith(":" + _options.ServerName, StringComparison.Ordinal);

    /// <summary>A remote user is known by what their joins say (Synapse: only public information, the join
    /// event's displayname and avatar_url).</summary>
    async Task UpdateRemoteProfileAsync(StoredEvent e)
    {
        string? name = null, avatar = null;
        try
        {
            using var doc = JsonDocument.Parse(e.Json);
            if (doc.RootElement.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object)
            {
                if (content.TryGetProperty("displayname", out var n) && n.ValueKind == JsonValueKind.String) name = n.GetString();
                if (content.TryGetProperty("avatar_url", out var a) && a.ValueKind == JsonValueKind.String) avatar = a.GetString();
            }
        }
        catch (JsonException)
        {
            return;
        }
        await _db.UserDirectory.UpsertEntryAsync(e.StateKey!, name, avatar);
    }
}
