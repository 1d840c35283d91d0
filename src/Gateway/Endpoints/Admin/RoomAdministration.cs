using System.Text.Json.Nodes;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Grains.Streams;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Admin;

/// <summary>What DELETE /_synapse/admin/v2/rooms/{roomId} asks for.</summary>
public sealed record RoomDeletion(string RoomId, string RequesterUserId, bool Block, bool Purge, bool ForcePurge,
    string? NewRoomUserId, string RoomName, string Message);

/// <summary>
/// The admin API's background work on rooms (Synapse's room shutdown and purge handlers): deleting a room
/// and purging its history run after the request answers, as tasks whose status is kept in the database
/// (admin_tasks), so any gateway can report it.
/// </summary>
public sealed class RoomAdministration(MyelinDatabase db, IGrainFactory grains, StreamFanout fanout, ServerIdentity server,
    ILogger<RoomAdministration> log)
{
    public const string DeleteAction = "shutdown_and_purge_room";
    public const string PurgeHistoryAction = "purge_history";

    public const string Scheduled = "scheduled";
    public const string Active = "active";
    public const string Complete = "complete";
    public const string Failed = "failed";

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Whether a task of the action is still running for the room (one at a time, as Synapse).</summary>
    public async Task<bool> IsBusyAsync(string roomId, string action) =>
        (await db.Admin.GetTasksForRoomAsync(roomId, action)).Any(t => t.Status is Scheduled or Active);

    /// <summary>Starts deleting the room; returns the delete ID at once.</summary>
    public async Task<string> StartDeleteAsync(RoomDeletion d)
    {
        var id = MatrixIds.NewOpaqueId(16);
        var now = Now;
        await db.Admin.AddTaskAsync(new AdminTask(id, DeleteAction, d.RoomId, Scheduled, null, ShutdownResult([], [], [], null).ToJsonString(), now, now));
        _ = Task.Run(() => RunAsync(id, () => DeleteAsync(id, d)));
        return id;
    }

    /// <summary>Starts purging the room's history before <paramref name="point"/>; returns the purge ID at once.</summary>
    public async Task<string> StartPurgeHistoryAsync(string roomId, StoredEvent point, bool deleteLocalEvents)
    {
        var id = MatrixIds.NewOpaqueId(16);
        var now = Now;
        await db.Admin.AddTaskAsync(new AdminTask(id, PurgeHistoryAction, roomId, Active, null, null, now, now));
        _ = Task.Run(() => RunAsync(id, () => PurgeHistoryAsync(roomId, point, deleteLocalEvents)));
        return id;
    }

    async Task RunAsync(string id, Func<Task<JsonObject?>> work)
    {
        try
        {
            var result = await work();
            await db.Admin.UpdateTaskAsync(id, Complete, null, result?.ToJsonString(), Now);
        }
        catch (Exception e)
        {
            log.LogError(e, "Admin task {TaskId} failed", id);
            try { await db.Admin.UpdateTaskAsync(id, Failed, e is MatrixException m ? m.Error : e.Message, null, Now); }
            catch (Exception e2) { log.LogError(e2, "Recording the failure of admin task {TaskId} failed", id); }
        }
    }

    /// <summary>
    /// Purges the history: the store deletes and marks outliers, then every process's recent-events cache
    /// forgets the room's events before the point, so neither /sync nor /messages serves them again. The
    /// room grain holds only the room's state and newest event, which the purge keeps.
    /// </summary>
    async Task<JsonObject?> PurgeHistoryAsync(string roomId, StoredEvent point, bool deleteLocalEvents)
    {
        var deleted = await db.Admin.PurgeHistoryAsync(roomId, point.Depth, deleteLocalEvents, server.ServerName);
        await CachesStream.InvalidateAsync(fanout, CachesStream.PurgeRoomEvents, roomId, point.StreamOrdering.ToString(System.Globalization.CultureInfo.InvariantCulture));
        log.LogInformation("Purged {Count} events of {RoomId} before {EventId}", deleted, roomId, point.EventId);
        return null;
    }

    /// <summary>
    /// Synapse's shutdown_room then purge_room: block, move the local members out (to a new room when asked),
    /// take the room off the directory, then remove every trace of it.
    /// </summary>
    async Task<JsonObject?> DeleteAsync(string id, RoomDeletion d)
    {
        await db.Admin.UpdateTaskAsync(id, Active, null, null, Now);
        var room = grains.Room(d.RoomId);
        if (d.Block)
        {
            await db.Admin.BlockRoomAsync(d.RoomId, d.RequesterUserId);
            await room.Block();
        }
        var kicked = new List<string>();
        var failed = new List<string>();
        var aliases = (await db.Aliases.GetAliasesForRoomAsync(d.RoomId)).ToList();
        string? newRoomId = null;
        if (await room.GetInfo() is not null)
        {
            var members = (await db.Events.GetRoomMembershipsAsync(d.RoomId))
                .Where(m => m.Membership == "join" && server.IsMine(m.UserId)).Select(m => m.UserId).ToList();
            if (d.NewRoomUserId is not null && members.Count > 0)
                newRoomId = await CreateNoticeRoomAsync(d);
            var leave = Client.RoomsEndpoints.MemberContent("leave", null).ToJsonString();
            foreach (var user in members)
            {
                try
                {
                    // As Synapse: the member leaves (rather than being kicked), then forgets the room.
                    await room.Send(new EventDraft("m.room.member", user, user, leave), null);
                    await db.Events.ForgetRoomAsync(user, d.RoomId);
                    if (newRoomId is not null) await MoveToAsync(newRoomId, d.NewRoomUserId!, user);
                    kicked.Add(user);
                }
                catch (Exception e)
                {
                    log.LogWarning(e, "Could not remove {UserId} from {RoomId}", user, d.RoomId);
                    failed.Add(user);
                }
            }
            await db.Rooms.SetPublicAsync(d.RoomId, false);
            if (newRoomId is not null)
                foreach (var alias in aliases)
                {
                    await db.Aliases.DeleteAliasAsync(alias);
                    await db.Aliases.CreateAliasAsync(alias, newRoomId, d.NewRoomUserId!);
                }
        }
        var result = ShutdownResult(kicked, failed, aliases, newRoomId);
        await db.Admin.UpdateTaskAsync(id, Active, null, result.ToJsonString(), Now);

        if (d.Purge)
        {
            var remaining = (await db.Events.GetRoomMembershipsAsync(d.RoomId)).Count(m => m.Membership == "join" && server.IsMine(m.UserId));
            if (remaining > 0 && !d.ForcePurge)
                throw MatrixException.Unknown($"Cannot purge room {d.RoomId}: {remaining} local users still in it");
            await room.Purge();
            await CachesStream.InvalidateAsync(fanout, CachesStream.PurgeRoomEvents, d.RoomId, long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return result;
    }

    /// <summary>Synapse's content-violation room: made by new_room_user_id, named, with the message, where
    /// members land unable to speak (users_default -10).</summary>
    async Task<string> CreateNoticeRoomAsync(RoomDeletion d)
    {
        var creator = d.NewRoomUserId!;
        var newRoomId = MatrixIds.NewRoomId(server.ServerName);
        var power = new JsonObject
        {
            ["users"] = new JsonObject { [creator] = 100 },
            ["users_default"] = -10, ["events_default"] = 0, ["state_default"] = 50,
            ["ban"] = 50, ["kick"] = 50, ["redact"] = 50, ["invite"] = 0,
            ["events"] = new JsonObject { ["m.room.name"] = 50, ["m.room.power_levels"] = 100 },
        };
        var profile = await db.Accounts.GetProfileAsync(creator);
        var initial = new List<EventDraft>
        {
            new("m.room.join_rules", "", creator, new JsonObject { ["join_rule"] = "invite" }.ToJsonString()),
            new("m.room.history_visibility", "", creator, new JsonObject { ["history_visibility"] = "shared" }.ToJsonString()),
            new("m.room.name", "", creator, new JsonObject { ["name"] = d.RoomName }.ToJsonString()),
        };
        await grains.Room(newRoomId).Create(new CreateRoomCommand(creator, server.DefaultRoomVersion.Id, "{}",
            Client.RoomsEndpoints.MemberContent("join", profile).ToJsonString(), power.ToJsonString(), initial, IsPublic: false));
        await grains.Room(newRoomId).Send(new EventDraft("m.room.message", null, creator,
            new JsonObject { ["msgtype"] = "m.text", ["body"] = d.Message }.ToJsonString()), null);
        return newRoomId;
    }

    async Task MoveToAsync(string newRoomId, string creator, string user)
    {
        var profile = await db.Accounts.GetProfileAsync(user);
        var room = grains.Room(newRoomId);
        await room.Send(new EventDraft("m.room.member", user, creator, Client.RoomsEndpoints.MemberContent("invite", profile).ToJsonString()), null);
        await room.Send(new EventDraft("m.room.member", user, user, Client.RoomsEndpoints.MemberContent("join", profile).ToJsonString()), null);
    }

    public static JsonObject ShutdownResult(IEnumerable<string> kicked, IEnumerable<string> failed, IEnumerable<string> aliases, string? newRoomId) => new()
    {
        ["kicked_users"] = new JsonArray(kicked.Select(u => (JsonNode)u!).ToArray()),
        ["failed_to_kick_users"] = new JsonArray(failed.Select(u => (JsonNode)u!).ToArray()),
        ["local_aliases"] = new JsonArray(aliases.Select(a => (JsonNode)a!).ToArray()),
        ["new_room_id"] = newRoomId,
    };

    /// <summary>One entry of the delete status (GET .../delete_status).</summary>
    public static JsonObject DeleteStatus(AdminTask t)
    {
        var o = new JsonObject { ["delete_id"] = t.TaskId, ["room_id"] = t.RoomId, ["status"] = t.Status };
        if (t.Status == Failed) o["error"] = t.Error;
        o["shutdown_room"] = t.ResultJson is { } r ? JsonNode.Parse(r) : ShutdownResult([], [], [], null);
        return o;
    }
}
