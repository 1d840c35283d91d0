using System.Text.Json;
using System.Text.Json.Nodes;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Presence;

/// <summary>
/// A row of the presence stream in Synapse's PresenceStreamRow shape (user_id, state, last_active_ts,
/// last_federation_update_ts, last_user_sync_ts, status_msg, currently_active): the whole state, so a
/// process that receives it needs nothing else.
/// </summary>
public static class PresenceStreamRow
{
    public static string ToJson(UserPresence p) => new JsonObject
    {
        ["user_id"] = p.UserId,
        ["state"] = p.State,
        ["last_active_ts"] = p.LastActiveTs,
        ["last_federation_update_ts"] = p.LastFederationUpdateTs,
        ["last_user_sync_ts"] = p.LastUserSyncTs,
        ["status_msg"] = p.StatusMsg,
        ["currently_active"] = p.CurrentlyActive,
    }.ToJsonString();

    /// <summary>Reads a row; <see cref="FormatException"/> (or <see cref="JsonException"/>) when it is not one.</summary>
    public static UserPresence Parse(string json)
    {
        var o = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("a presence row is a JSON object");
        try
        {
            var userId = (string?)o["user_id"] ?? throw new FormatException("a presence row needs user_id");
            var state = (string?)o["state"];
            if (!PresenceStates.IsValid(state)) throw new FormatException($"not a presence state: {state}");
            return new UserPresence(userId, state!, (string?)o["status_msg"], (long?)o["last_active_ts"] ?? 0,
                (long?)o["last_federation_update_ts"] ?? 0, (long?)o["last_user_sync_ts"] ?? 0, (bool?)o["currently_active"] ?? false);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException("a presence row field has the wrong type", e);
        }
    }

    public static UserPresence FromStored(StoredPresence s) =>
        new(s.UserId, s.State, s.StatusMsg, s.LastActiveTs, s.LastFederationUpdateTs, s.LastUserSyncTs, s.CurrentlyActive);

    public static StoredPresence ToStored(UserPresence p, long streamId) =>
        new(p.UserId, p.State, p.StatusMsg, p.LastActiveTs, p.LastFederationUpdateTs, p.LastUserSyncTs, p.CurrentlyActive, streamId);
}
