using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Endpoints.Client;

/// <summary>Path parameter checks and room lookups shared by the room endpoint groups.</summary>
public static class RoomAccess
{
    public static string CheckRoomId(string roomId) =>
        MatrixIds.IsValidRoomId(roomId) ? roomId : throw MatrixException.InvalidParam($"Invalid room ID {roomId}");

    public static string CheckUserId(string? userId, string field = "user_id") =>
        userId is not null && MatrixIds.IsValidUserId(userId) ? userId : throw MatrixException.InvalidParam($"Invalid '{field}'");

    /// <summary>A room ID, or an alias resolved to one (404 M_NOT_FOUND for unknown aliases).</summary>
    public static async Task<string> ResolveAsync(string roomIdOrAlias, MyelinDatabase db)
    {
        if (roomIdOrAlias.StartsWith('#'))
        {
            if (!MatrixIds.IsValidRoomAlias(roomIdOrAlias)) throw MatrixException.InvalidParam("Invalid room alias");
            var alias = await db.Aliases.GetAliasAsync(roomIdOrAlias) ?? throw MatrixException.NotFound("Room alias not found");
            return alias.RoomId;
        }
        return CheckRoomId(roomIdOrAlias);
    }

    /// <summary>Path values keep %2F encoded; state keys and event types may contain '/'.</summary>
    public static string DecodeSlashes(string? value) =>
        (value ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
}
