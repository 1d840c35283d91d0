using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Myelin.Storage.Stores;

/// <summary>
/// How the directory cuts user IDs, display names and search terms into words: lowercased, split on anything
/// that is neither a letter, a digit nor a combining mark, so "@alice.smith:example.org" is found by "alice",
/// "smi" or "example". Full-width forms count as their ASCII letters (the part of Synapse's NFKC folding that
/// needs no tables: the process runs with invariant globalization, where string.Normalize is not available).
/// Words hold only letters, digits and marks, so they never carry a LIKE wildcard.
/// </summary>
public static class DirectoryWords
{
    /// <summary>Terms of a search beyond this many are ignored (Synapse: a pasted paragraph costs no more).</summary>
    public const int MaxTerms = 10;

    public static List<string> Split(string? text)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(text)) return words;
        var word = new StringBuilder();
        foreach (var r in text.EnumerateRunes())
        {
            // U+FF01..U+FF5E are the full-width forms of U+0021..U+007E.
            var rune = r.Value is >= 0xFF01 and <= 0xFF5E ? new Rune(r.Value - 0xFF01 + 0x21) : r;
            if (Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
            {
                word.Append(Rune.ToLowerInvariant(rune).ToString());
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0) words.Add(word.ToString());
        return words;
    }

    /// <summary>The stored form: each word with a space before and after (" alice smith ").</summary>
    public static string Index(string? text)
    {
        var words = Split(text);
        return words.Count == 0 ? " " : " " + string.Join(' ', words) + " ";
    }

    /// <summary>The localpart and server name of a user ID ("@a:b" → ("a", "b")).</summary>
    public static (string Localpart, string Domain) SplitUserId(string userId)
    {
        var colon = userId.IndexOf(':');
        var start = userId.StartsWith('@') ? 1 : 0;
        return colon < 0 ? (userId[start..], "") : (userId[start..colon], userId[(colon + 1)..]);
    }
}

internal sealed class UserDirectoryStore(Db db) : IUserDirectoryStore
{
    const string JoinRulesType = "m.room.join_rules";

    sealed class EntryRow
    {
        public string UserId { get; set; } = "";
        public string? DisplayName { get; set; }
        public string? AvatarUrl { get; set; }
    }

    // ---------------------------------------------------------------- entries

    const string UpsertEntrySql = """
        INSERT INTO user_directory (user_id, display_name, avatar_url, search_localpart, search_domain, search_display)
        VALUES (@UserId, @DisplayName, @AvatarUrl, @Localpart, @Domain, @Display)
        ON CONFLICT (user_id) DO UPDATE SET
            display_name = excluded.display_name, avatar_url = excluded.avatar_url,
            search_localpart = excluded.search_localpart, search_domain = excluded.search_domain,
            search_display = excluded.search_display
        """;
    const string InsertEntryIfMissingSql = """
        INSERT INTO user_directory (user_id, display_name, avatar_url, search_localpart, search_domain, search_display)
        VALUES (@UserId, @DisplayName, @AvatarUrl, @Localpart, @Domain, @Display)
        ON CONFLICT (user_id) DO NOTHING
        """;

    static object EntryArgs(string userId, string? displayName, string? avatarUrl)
    {
        var (localpart, domain) = DirectoryWords.SplitUserId(userId);
        return new
        {
            UserId = userId, DisplayName = displayName, AvatarUrl = avatarUrl,
            Localpart = DirectoryWords.Index(localpart), Domain = DirectoryWords.Index(domain), Display = DirectoryWords.Index(displayName),
        };
    }

    /// <summary>The user's entry as their profile now is: run by <see cref="AccountStore"/> in the transaction
    /// that changes the profile, so the directory never lags a local profile (Synapse's
    /// handle_local_profile_change, called by the profile handler).</summary>
    internal static async Task WriteLocalEntryAsync(DbConnection c, DbTransaction tx, string userId)
    {
        var profile = await c.QuerySingleOrDefaultAsync<EntryRow>(SelectProfile, new { UserId = userId }, tx);
        await c.ExecuteAsync(UpsertEntrySql, EntryArgs(userId, profile?.DisplayName, profile?.AvatarUrl), tx);
    }

    const string SelectProfile = "SELECT user_id AS UserId, displayname AS DisplayName, avatar_url AS AvatarUrl FROM profiles WHERE user_id = @UserId";

    public Task UpsertEntryAsync(string userId, string? displayName, string? avatarUrl) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(UpsertEntrySql, EntryArgs(userId, displayName, avatarUrl), tx));

    public Task<DirectoryUser?> GetEntryAsync(string userId) =>
        db.ReadAsync(async c => (await c.QuerySingleOrDefaultAsync<EntryRow>(
            "SELECT user_id AS UserId, display_name AS DisplayName, avatar_url AS AvatarUrl FROM user_directory WHERE user_id = @UserId",
            new { UserId = userId })) is { } r ? new DirectoryUser(r.UserId, r.DisplayName, r.AvatarUrl) : null);

    const int PopulatePage = 500;
    const string SelectLocalUsersWithoutEntry = """
        SELECT u.user_id AS UserId, p.displayname AS DisplayName, p.avatar_url AS AvatarUrl
        FROM users u LEFT JOIN profiles p ON p.user_id = u.user_id
        WHERE u.user_id > @After AND NOT EXISTS (SELECT 1 FROM user_directory d WHERE d.user_id = u.user_id)
        ORDER BY u.user_id
        LIMIT @Limit
        """;

    public async Task<int> AddMissingLocalUsersAsync()
    {
        var added = 0;
        var after = "";
        while (true)
        {
            var page = await db.ReadAsync(async c =>
                (await c.QueryAsync<EntryRow>(SelectLocalUsersWithoutEntry, new { After = after, Limit = (long)PopulatePage })).ToList());
            if (page.Count == 0) return added;
            // DO NOTHING: an entry written meanwhile comes from a newer profile.
            added += await db.WriteAsync(async (c, tx) =>
                await c.ExecuteAsync(InsertEntryIfMissingSql, page.Select(r => EntryArgs(r.UserId, r.DisplayName, r.AvatarUrl)), tx));
            after = page[^1].UserId;
        }
    }

    // ---------------------------------------------------------------- search

    public async Task<IReadOnlyList<DirectoryUser>> SearchAsync(DirectorySearch search)
    {
        var terms = DirectoryWords.Split(search.Term).Distinct().Take(DirectoryWords.MaxTerms).ToList();
        if (terms.Count == 0 || search.Limit < 0) return [];

        var args = new DynamicParameters();
        args.Add("Me", search.SearcherId);
        args.Add("Limit", (long)search.Limit + 1);
        args.Add("LocalSuffix", "%:" + search.ServerName);
        var match = new List<string>();
        var score = new List<string>();
        for (var i = 0; i < terms.Count; i++)
        {
            args.Add($"P{i}", "% " + terms[i] + "%");
            args.Add($"E{i}", "% " + terms[i] + " %");
            match.Add($"(d.search_localpart LIKE @P{i} OR d.search_display LIKE @P{i} OR d.search_domain LIKE @P{i})");
            // Synapse's weights: localpart 1.0, display name 0.9, server name 0.1; a whole word counts 3 times a prefix.
            score.Add($"""
                3 * (CASE WHEN d.search_localpart LIKE @E{i} THEN 1.0 WHEN d.search_display LIKE @E{i} THEN 0.9
                          WHEN d.search_domain LIKE @E{i} THEN 0.1 ELSE 0.0 END)
                + (CASE WHEN d.search_localpart LIKE @P{i} THEN 1.0 WHEN d.search_display LIKE @P{i} THEN 0.9 ELSE 0.1 END)
                """);
        }

        const string SharesRoom = "EXISTS (SELECT 1 FROM users_who_share_private_rooms s WHERE s.user_id = @Me AND s.other_user_id = d.user_id)";
        var visible = search.SearchAllUsers
            ? "d.user_id <> @Me"
            : $"(EXISTS (SELECT 1 FROM users_in_public_rooms p WHERE p.user_id = d.user_id) OR {SharesRoom})";
        // The users table holds local users only: deactivated ones are not found, remote ones only when allowed.
        var account = search.ExcludeRemoteUsers
            ? "u.user_id IS NOT NULL AND u.deactivated = FALSE"
            : "(u.user_id IS NULL OR u.deactivated = FALSE)";
        var preferLocal = search.PreferLocalUsers ? "* (CASE WHEN d.user_id LIKE @LocalSuffix THEN 2.0 ELSE 1.0 END)" : "";

        var sql = $"""
            SELECT d.user_id AS UserId, d.display_name AS DisplayName, d.avatar_url AS AvatarUrl
            FROM user_directory d
            LEFT JOIN users u ON u.user_id = d.user_id
            WHERE {account} AND {visible} AND {string.Join(" AND ", match)}
            ORDER BY
                (CASE WHEN d.display_name IS NOT NULL THEN 1.2 ELSE 1.0 END)
                * (CASE WHEN d.avatar_url IS NOT NULL THEN 1.2 ELSE 1.0 END)
                * (CASE WHEN {SharesRoom} THEN 1.5 ELSE 1.0 END)
                {preferLocal}
                * ({string.Join(" + ", score)}) DESC,
                d.display_name IS NULL, d.avatar_url IS NULL, d.user_id
            LIMIT @Limit
            """;
        return await db.ReadAsync<IReadOnlyList<DirectoryUser>>(async c =>
            (await c.QueryAsync<EntryRow>(sql, args)).Select(r => new DirectoryUser(r.UserId, r.DisplayName, r.AvatarUrl)).ToList());
    }

    // ---------------------------------------------------------------- visibility

    sealed class StateRow
    {
        public string Type { get; set; } = "";
        public string Json { get; set; } = "";
    }

    const string SelectPublicnessState = """
        SELECT e.type AS Type, e.json AS Json
        FROM current_state_events c JOIN events e ON e.event_id = c.event_id
        WHERE c.room_id = @RoomId AND c.state_key = '' AND c.type IN ('m.room.join_rules', 'm.room.history_visibility')
        """;
    const string SelectJoined = "SELECT user_id FROM local_current_membership WHERE room_id = @RoomId AND membership = 'join' ORDER BY user_id";

    public Task<DirectoryRoom> ReadRoomAsync(string roomId) =>
        db.ReadAsync(async c =>
        {
            var state = await c.QueryAsync<StateRow>(SelectPublicnessState, new { RoomId = roomId });
            var joined = (await c.QueryAsync<string>(SelectJoined, new { RoomId = roomId })).ToList();
            return new DirectoryRoom(roomId, state.Any(IsPublicState), joined);
        });

    /// <summary>spec: the directory considers rooms with a <c>public</c> join rule or <c>world_readable</c>
    /// history (Synapse's is_room_world_readable_or_publicly_joinable).</summary>
    static bool IsPublicState(StateRow row)
    {
        try
        {
            using var doc = JsonDocument.Parse(row.Json);
            if (!doc.RootElement.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object) return false;
            var (key, value) = row.Type == JoinRulesType ? ("join_rule", "public") : ("history_visibility", "world_readable");
            return content.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == value;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    const string DeleteRoomPublic = "DELETE FROM users_in_public_rooms WHERE room_id = @RoomId";
    const string DeleteRoomPrivate = "DELETE FROM users_who_share_private_rooms WHERE room_id = @RoomId";
    const string DeleteUserPublic = "DELETE FROM users_in_public_rooms WHERE room_id = @RoomId AND user_id = @UserId";
    const string DeleteUserPrivate = "DELETE FROM users_who_share_private_rooms WHERE room_id = @RoomId AND (user_id = @UserId OR other_user_id = @UserId)";

    public Task ReplaceRoomAsync(DirectoryRoom room) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(DeleteRoomPublic, new { room.RoomId }, tx);
            await c.ExecuteAsync(DeleteRoomPrivate, new { room.RoomId }, tx);
            if (room.IsPublic)
                await InsertPublicAsync(c, tx, room.RoomId, room.Joined);
            else
                await InsertPairsAsync(c, tx, room.RoomId,
                    room.Joined.SelectMany(u => room.Joined.Where(o => o != u).Select(o => (u, o))).ToList());
        });

    public Task UpdateMembersAsync(DirectoryRoom room, IReadOnlyCollection<string> users) =>
        db.WriteAsync(async (c, tx) =>
        {
            var joined = room.Joined.ToHashSet(StringComparer.Ordinal);
            foreach (var user in users)
            {
                await c.ExecuteAsync(DeleteUserPublic, new { room.RoomId, UserId = user }, tx);
                await c.ExecuteAsync(DeleteUserPrivate, new { room.RoomId, UserId = user }, tx);
            }
            var present = users.Where(joined.Contains).Distinct().ToList();
            if (present.Count == 0) return;
            if (room.IsPublic)
            {
                await InsertPublicAsync(c, tx, room.RoomId, present);
                return;
            }
            var pairs = new List<(string, string)>();
            foreach (var user in present)
            foreach (var other in room.Joined)
            {
                if (other == user) continue;
                pairs.Add((user, other));
                pairs.Add((other, user));
            }
            await InsertPairsAsync(c, tx, room.RoomId, pairs);
        });

    const string InsertPublicLite = "INSERT INTO users_in_public_rooms (user_id, room_id) VALUES (@UserId, @RoomId) ON CONFLICT DO NOTHING";
    const string InsertPublicPg = """
        INSERT INTO users_in_public_rooms (user_id, room_id)
        SELECT u, $2 FROM unnest($1::text[]) AS t(u)
        ON CONFLICT DO NOTHING
        """;
    const string InsertPairLite = """
        INSERT INTO users_who_share_private_rooms (user_id, other_user_id, room_id) VALUES (@UserId, @OtherUserId, @RoomId)
        ON CONFLICT DO NOTHING
        """;
    const string InsertPairsPg = """
        INSERT INTO users_who_share_private_rooms (user_id, other_user_id, room_id)
        SELECT u, o, $3 FROM unnest($1::text[], $2::text[]) AS t(u, o)
        ON CONFLICT DO NOTHING
        """;

    // Rows go in by the thousand: a private room's pairs grow with the square of its members (as Synapse's).
    const int InsertChunk = 5000;

    async Task InsertPublicAsync(DbConnection c, DbTransaction tx, string roomId, IReadOnlyList<string> users)
    {
        if (users.Count == 0) return;
        if (c is NpgsqlConnection pg)
        {
            await using var cmd = new NpgsqlCommand(InsertPublicPg, pg, (NpgsqlTransaction)tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = users.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            cmd.Parameters.Add(new NpgsqlParameter { Value = roomId, NpgsqlDbType = NpgsqlDbType.Text });
            await cmd.ExecuteNonQueryAsync();
            return;
        }
        await c.ExecuteAsync(InsertPublicLite, users.Select(u => new { UserId = u, RoomId = roomId }), tx);
    }

    async Task InsertPairsAsync(DbConnection c, DbTransaction tx, string roomId, IReadOnlyList<(string User, string Other)> pairs)
    {
        foreach (var chunk in pairs.Chunk(InsertChunk))
        {
            if (c is NpgsqlConnection pg)
            {
                await using var cmd = new NpgsqlCommand(InsertPairsPg, pg, (NpgsqlTransaction)tx);
                cmd.Parameters.Add(new NpgsqlParameter { Value = chunk.Select(p => p.User).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = chunk.Select(p => p.Other).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                cmd.Parameters.Add(new NpgsqlParameter { Value = roomId, NpgsqlDbType = NpgsqlDbType.Text });
                await cmd.ExecuteNonQueryAsync();
            }
            else
            {
                await c.ExecuteAsync(InsertPairLite, chunk.Select(p => new { UserId = p.User, OtherUserId = p.Other, RoomId = roomId }), tx);
            }
        }
    }

    public Task<IReadOnlyList<string>> GetPublicRoomsOfUserAsync(string userId) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(
            "SELECT room_id FROM users_in_public_rooms WHERE user_id = @UserId ORDER BY room_id", new { UserId = userId })).ToList());

    public Task<IReadOnlyList<string>> GetUsersSharingPrivateRoomsWithAsync(string userId) =>
        db.ReadAsync<IReadOnlyList<string>>(async c => (await c.QueryAsync<string>(
            "SELECT DISTINCT other_user_id FROM users_who_share_private_rooms WHERE user_id = @UserId ORDER BY other_user_id",
            new { UserId = userId })).ToList());
}
