using System.Text.Json.Nodes;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Grains.Rooms;

/// <summary>
/// A room's current state as its persister holds it in memory: the state map, the forward extremity and
/// depth. <see cref="Build"/> turns a draft into a signed PDU that passes the auth rules, and advances the
/// state as if it were persisted (the grain drops this object if persisting fails).
/// </summary>
public sealed class RoomState
{
    /// <summary>Keys in a PDU's unsigned section that are for this server only and never leave it.</summary>
    public const string TxnIdKey = "io.myelin.txn_id";
    public const string DeviceIdKey = "io.myelin.device_id";

    const int MaxPduBytes = 65536;

    readonly Dictionary<(string Type, string StateKey), AuthEvent> _state = new();

    public string RoomId { get; }
    public RoomVersion Version { get; }
    public string Creator { get; }
    public string? LastEventId { get; private set; }
    public long Depth { get; private set; }
    public long LastStreamOrdering { get; set; }
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Bumped whenever a member or the power levels change: what push evaluation derives from the
    /// state (the joined members, their display names, the levels) is rebuilt only then.</summary>
    public int MembersVersion { get; private set; }

    PowerLevels? _powerLevels;
    (string UserId, string? DisplayName)[]? _joined;

    RoomState(string roomId, RoomVersion version, string creator)
    {
        RoomId = roomId; Version = version; Creator = creator;
    }

    public static RoomState Empty(string roomId, RoomVersion version, string creator) => new(roomId, version, creator);

    public static RoomState Load(string roomId, RoomVersion version, string creator,
        IReadOnlyList<StoredEvent> currentState, StoredEvent? latest)
    {
        var s = new RoomState(roomId, version, creator);
        foreach (var e in currentState)
            s.SetState((e.Type, e.StateKey ?? ""), ToAuthEvent(e.EventId, JsonNode.Parse(e.Json)!.AsObject()));
        if (latest is not null)
        {
            s.LastEventId = latest.EventId;
            s.Depth = latest.Depth;
            s.LastStreamOrdering = latest.StreamOrdering;
        }
        return s;
    }

    public long NowMs() => Clock.GetUtcNow().ToUnixTimeMilliseconds();

    public string? MembershipOf(string userId) =>
        _state.TryGetValue(("m.room.member", userId), out var m) ? m.Content["membership"]?.GetValue<string>() : null;

    public PowerLevels PowerLevels => _powerLevels ??= PowerLevels.FromContent(
        _state.TryGetValue(("m.room.power_levels", ""), out var pl) ? pl.Content : null, Creator);

    /// <summary>The joined members and their display names (content.displayname of their m.room.member).</summary>
    public IReadOnlyList<(string UserId, string? DisplayName)> JoinedMembers => _joined ??= _state
        .Where(kv => kv.Key.Type == "m.room.member"
            && kv.Value.Content["membership"] is JsonValue m && m.TryGetValue<string>(out var membership) && membership == "join")
        .Select(kv => (kv.Key.StateKey, DisplayName(kv.Value.Content)))
        .ToArray();

    /// <summary>The user's display name in the room's current state, if they have one.</summary>
    public string? DisplayNameOf(string userId) =>
        _state.TryGetValue(("m.room.member", userId), out var m) ? DisplayName(m.Content) : null;

    static string? DisplayName(JsonObject memberContent) =>
        memberContent["displayname"] is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;

    void SetState((string Type, string StateKey) key, AuthEvent ev)
    {
        _state[key] = ev;
        if (key.Type is "m.room.member" or "m.room.power_levels")
        {
            MembersVersion++;
            _powerLevels = null;
            _joined = null;
        }
    }

    /// <summary>spec: a redaction is allowed to those with the redact level, or of the sender's own events.</summary>
    public void CheckRedaction(Grains.Rooms.EventDraft draft, string? originalSender)
    {
        if (originalSender is null) throw MatrixException.NotFound("The event to redact is not in this room");
        var pl = PowerLevels;
        if (originalSender != draft.Sender && pl.UserLevel(draft.Sender) < pl.Redact)
            throw MatrixException.Forbidden("You don't have permission to redact this event");
    }

    public NewEvent Build(EventDraft draft, ServerIdentity server, TxnKey? txn = null) => Build(draft, server, txn, out _);

    /// <summary>As <see cref="Build(EventDraft, ServerIdentity, TxnKey?)"/>; <paramref name="pdu"/> is the event
    /// as built (push rule evaluation reads it without parsing the JSON again).</summary>
    public NewEvent Build(EventDraft draft, ServerIdentity server, TxnKey? txn, out JsonObject pdu)
    {
        JsonObject content;
        try { content = JsonNode.Parse(draft.ContentJson) as JsonObject ?? throw MatrixException.BadJson("Content must be a JSON object"); }
        catch (System.Text.Json.JsonException) { throw new MatrixException(400, "M_NOT_JSON", "Content is not valid JSON"); }

        if (draft.Type == "m.room.redaction" && Version.UpdatedRedactionRules && draft.Redacts is not null)
            content["redacts"] = draft.Redacts;

        var prev = LastEventId is null ? new List<string>() : [LastEventId];
        var candidate = new AuthEvent("", draft.Type, draft.StateKey, draft.Sender, content, prev, RoomId);
        var result = EventAuth.Check(Version, candidate, _state);
        if (!result.Allowed) throw MatrixException.Forbidden(result.Reason ?? "Not allowed by the room's auth rules");

        var authIds = new JsonArray();
        foreach (var key in EventAuth.SelectAuthStateKeys(draft.Type, draft.StateKey, draft.Sender, content, Version))
            if (_state.TryGetValue(key, out var a)) authIds.Add(a.EventId);

        var now = NowMs();
        pdu = new JsonObject
        {
            ["auth_events"] = authIds,
            ["content"] = content.DeepClone(),
            ["depth"] = Depth + 1,
            ["origin_server_ts"] = now,
            ["prev_events"] = new JsonArray(prev.Select(p => (JsonNode)p!).ToArray()),
            ["room_id"] = RoomId,
            ["sender"] = draft.Sender,
            ["type"] = draft.Type,
        };
        if (draft.StateKey is not null) pdu["state_key"] = draft.StateKey;
        if (draft.Redacts is not null && !Version.UpdatedRedactionRules) pdu["redacts"] = draft.Redacts;
        // spec: "Size limits" — a PDU may be at most 65536 bytes of canonical JSON.
        int size;
        try { size = CanonicalJson.Serialize(pdu).Length; }
        catch (CanonicalJsonException e) { throw MatrixException.BadJson($"Content is not canonical JSON: {e.Message}"); }
        if (size > MaxPduBytes) throw new MatrixException(413, "M_TOO_LARGE", "Event is too large");
        EventHashing.AddContentHash(pdu);
        JsonSigning.SignEvent(pdu, server.ServerName, server.SigningKey, Version);
        var eventId = EventHashing.ComputeEventId(pdu, Version);

        if (draft.StateKey is not null && _state.TryGetValue((draft.Type, draft.StateKey), out var replaced))
            pdu["unsigned"] = new JsonObject { ["replaces_state"] = replaced.EventId, ["prev_content"] = replaced.Content.DeepClone() };
        if (txn is not null)
        {
            var unsigned = pdu["unsigned"] as JsonObject ?? new JsonObject();
            unsigned[TxnIdKey] = txn.TxnId;
            unsigned[DeviceIdKey] = txn.DeviceId;
            pdu["unsigned"] = unsigned;
        }

        var stored = candidate with { EventId = eventId };
        if (draft.StateKey is not null) SetState((draft.Type, draft.StateKey), stored);
        LastEventId = eventId;
        Depth++;

        var membership = draft.Type == "m.room.member" ? content["membership"]?.GetValue<string>() : null;
        return new NewEvent(eventId, RoomId, draft.Type, draft.StateKey, draft.Sender, Depth, now,
            pdu.ToJsonString(), membership);
    }

    /// <summary>
    /// spec: "Redactions" — the target's stored JSON becomes its pruned form with unsigned.redacted_because;
    /// a redacted current-state event also loses its content in the auth state.
    /// </summary>
    public NewEvent ApplyRedaction(NewEvent redaction, StoredEvent target)
    {
        var pruned = Redaction.Redact(JsonNode.Parse(target.Json)!.AsObject(), Version);
        var redactionPdu = JsonNode.Parse(redaction.Json)!.AsObject();
        var because = ClientEvents.Format(redaction.EventId, 0, redactionPdu, null, null, redaction.OriginServerTs);
        because.Remove("unsigned");
        pruned["unsigned"] = new JsonObject { ["redacted_because"] = because };
        if (target.StateKey is not null && _state.TryGetValue((target.Type, target.StateKey), out var current)
            && current.EventId == target.EventId)
            SetState((target.Type, target.StateKey), current with { Content = pruned["content"]?.DeepClone().AsObject() ?? new JsonObject() });
        return redaction with { Redacts = target.EventId, RedactedTargetJson = pruned.ToJsonString() };
    }

    static AuthEvent ToAuthEvent(string eventId, JsonObject pdu) => new(
        eventId,
        pdu["type"]!.GetValue<string>(),
        pdu["state_key"]?.GetValue<string>(),
        pdu["sender"]!.GetValue<string>(),
        pdu["content"] as JsonObject ?? new JsonObject(),
        (pdu["prev_events"] as JsonArray)?.Select(x => x!.GetValue<string>()).ToList() ?? [],
        pdu["room_id"]!.GetValue<string>());
}
