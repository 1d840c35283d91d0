using System.Text.Json.Nodes;
using Myelin.Gateway.Http;
using Myelin.Grains;
using Myelin.Grains.Rooms;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

public static class RoomsEndpoints
{
    public static void MapRooms(this RouteGroupBuilder g) => g.MapPost("/createRoom", CreateRoom);

    /// <summary>`POST /_matrix/client/v3/createRoom`</summary>
    static async Task<IResult> CreateRoom(HttpContext ctx, IGrainFactory grains, ServerIdentity server, MyelinDatabase db)
    {
        var me = await ctx.AuthAsync();
        var body = await JsonBody.ReadObjectAsync(ctx.Request, allowEmpty: true);

        var visibility = body.OptString("visibility") ?? "private";
        if (visibility is not ("public" or "private")) throw MatrixException.InvalidParam("'visibility' must be public or private");
        var preset = body.OptString("preset") ?? (visibility == "public" ? "public_chat" : "private_chat");
        if (preset is not ("private_chat" or "public_chat" or "trusted_private_chat"))
            throw MatrixException.InvalidParam($"Unknown preset {preset}");
        var versionId = body.OptString("room_version") ?? server.DefaultRoomVersion.Id;
        var version = RoomVersions.Get(versionId)
            ?? throw new MatrixException(400, "M_UNSUPPORTED_ROOM_VERSION", $"Room version {versionId} is not supported");
        var isDirect = body.OptBool("is_direct") ?? false;
        var invites = body.OptStringList("invite") ?? [];
        foreach (var invitee in invites)
            if (!MatrixIds.IsValidUserId(invitee)) throw MatrixException.InvalidParam($"Invalid user ID {invitee}");
        if (body.OptArray("invite_3pid") is { Count: > 0 })
            throw new MatrixException(400, "M_UNKNOWN", "Third-party invites are not supported");

        string? alias = null;
        if (body.OptString("room_alias_name") is { } aliasName)
        {
            alias = $"#{aliasName}:{server.ServerName}";
            if (aliasName.Length == 0 || aliasName.Contains(':') || aliasName.Any(char.IsWhiteSpace) || !MatrixIds.IsValidRoomAlias(alias))
                throw new MatrixException(400, "M_INVALID_PARAM", "Invalid characters in room alias");
            if (await db.Aliases.GetAliasAsync(alias) is not null)
                throw new MatrixException(400, "M_ROOM_IN_USE", "Room alias already taken");
        }

        var creationContent = body.OptObject("creation_content")?.DeepClone().AsObject() ?? new JsonObject();
        creationContent.Remove("room_version");
        var profile = await db.Accounts.GetProfileAsync(me.UserId);
        var creatorMember = MemberContent("join", profile, isDirect: false);

        var power = DefaultPowerLevels(me.UserId, preset, invites);
        if (body.OptObject("power_level_content_override") is { } over)
            foreach (var (k, v) in over) power[k] = v?.DeepClone();

        // Preset state, then initial_state (which replaces preset entries of the same type and key).
        var state = new List<(string Type, string Key, JsonObject Content)>();
        if (alias is not null) state.Add(("m.room.canonical_alias", "", new JsonObject { ["alias"] = alias }));
        state.Add(("m.room.join_rules", "", new JsonObject { ["join_rule"] = preset == "public_chat" ? "public" : "invite" }));
        state.Add(("m.room.history_visibility", "", new JsonObject { ["history_visibility"] = "shared" }));
        if (preset != "public_chat") state.Add(("m.room.guest_access", "", new JsonObject { ["guest_access"] = "can_join" }));
        foreach (var node in body.OptArray("initial_state") ?? [])
        {
            if (node is not JsonObject e) throw MatrixException.BadJson("'initial_state' entries must be objects");
            var type = e.ReqString("type");
            var key = e.OptString("state_key") ?? "";
            var content = e.OptObject("content") ?? throw MatrixException.BadJson("initial_state entry needs 'content'");
            if (type is "m.room.create" or "m.room.member" or "m.room.power_levels")
                throw MatrixException.BadJson($"initial_state may not set {type}");
            state.RemoveAll(s => s.Type == type && s.Key == key);
            state.Add((type, key, content.DeepClone().AsObject()));
        }
        if (body.OptString("name") is { } name) state.Add(("m.room.name", "", new JsonObject { ["name"] = name }));
        if (body.OptString("topic") is { } topic) state.Add(("m.room.topic", "", new JsonObject { ["topic"] = topic }));

        var drafts = state.Select(s => new EventDraft(s.Type, s.Key, me.UserId, s.Content.ToJsonString())).ToList();
        foreach (var invitee in invites.Distinct())
        {
            var inviteeProfile = await db.Accounts.GetProfileAsync(invitee);
            drafts.Add(new EventDraft("m.room.member", invitee, me.UserId, MemberContent("invite", inviteeProfile, isDirect).ToJsonString()));
        }

        var roomId = MatrixIds.NewRoomId(server.ServerName);
        await grains.Room(roomId).Create(new CreateRoomCommand(me.UserId, version.Id, creationContent.ToJsonString(),
            creatorMember.ToJsonString(), power.ToJsonString(), drafts, visibility == "public"));

        var result = new JsonObject { ["room_id"] = roomId };
        if (alias is not null)
        {
            await db.Aliases.CreateAliasAsync(alias, roomId, me.UserId);
            result["room_alias"] = alias;
        }
        return JsonBody.Json(result);
    }

    /// <summary>m.room.member content with the member's profile, as Synapse writes it.</summary>
    public static JsonObject MemberContent(string membership, Profile? profile, bool isDirect = false, string? reason = null)
    {
        var c = new JsonObject { ["membership"] = membership };
        if (profile?.DisplayName is { } dn) c["displayname"] = dn;
        if (profile?.AvatarUrl is { } av) c["avatar_url"] = av;
        if (isDirect) c["is_direct"] = true;
        if (reason is not null) c["reason"] = reason;
        return c;
    }

    /// <summary>Synapse's default power levels for a new room.</summary>
    static JsonObject DefaultPowerLevels(string creator, string preset, IReadOnlyList<string> invites)
    {
        var users = new JsonObject { [creator] = 100 };
        if (preset == "trusted_private_chat")
            foreach (var i in invites) users[i] = 100;
        return new JsonObject
        {
            ["users"] = users,
            ["users_default"] = 0,
            ["events"] = new JsonObject
            {
                ["m.room.name"] = 50,
                ["m.room.power_levels"] = 100,
                ["m.room.history_visibility"] = 100,
                ["m.room.canonical_alias"] = 50,
                ["m.room.avatar"] = 50,
                ["m.room.tombstone"] = 100,
                ["m.room.server_acl"] = 100,
                ["m.room.encryption"] = 100,
            },
            ["events_default"] = 0,
            ["state_default"] = 50,
            ["ban"] = 50,
            ["kick"] = 50,
            ["redact"] = 50,
            // Synapse's presets: anyone may invite in private rooms, moderators in public ones.
            ["invite"] = preset == "public_chat" ? 50 : 0,
            ["historical"] = 100,
        };
    }
}
