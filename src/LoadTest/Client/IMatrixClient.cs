using System.Text.Json.Nodes;

namespace Myelin.LoadTest.Client;

/// <summary>The Client-Server API calls the scenarios make; one thin implementation over HttpClient.</summary>
public interface IMatrixClient
{
    /// <summary>`GET /_matrix/client/versions`</summary>
    Task<MatrixResult<IReadOnlyList<string>>> GetVersionsAsync(CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/register` with the m.login.dummy stage.</summary>
    Task<MatrixResult<Session>> RegisterAsync(string username, string password, CancellationToken ct);

    /// <summary>`POST /_synapse/admin/v1/register` with an HMAC of the registration shared secret.</summary>
    Task<MatrixResult<Session>> RegisterWithSharedSecretAsync(string username, string password, string sharedSecret, CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/login` with m.login.password; every call makes a new device.</summary>
    Task<MatrixResult<Session>> LoginAsync(string username, string password, CancellationToken ct);

    /// <summary>`GET /_matrix/client/v3/account/whoami`</summary>
    Task<MatrixResult<string>> WhoAmIAsync(string accessToken, CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/createRoom` (public_chat preset, so members can join without invites).</summary>
    Task<MatrixResult<string>> CreateRoomAsync(string accessToken, string name, CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/join`</summary>
    Task<MatrixResult<string>> JoinRoomAsync(string accessToken, string roomId, CancellationToken ct);

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/send/m.room.message/{txnId}`; returns the event ID.</summary>
    Task<MatrixResult<string>> SendMessageAsync(string accessToken, string roomId, string txnId, JsonObject content, CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/user/{userId}/filter`; returns the filter ID.</summary>
    Task<MatrixResult<string>> CreateFilterAsync(string accessToken, string userId, string filterJson, CancellationToken ct);

    /// <summary>`GET /_matrix/client/v3/sync`; <paramref name="filter"/> is an inline filter JSON or a filter ID.</summary>
    Task<MatrixResult<SyncResponse>> SyncAsync(string accessToken, string? since, int timeoutMs, string? filter, CancellationToken ct);

    /// <summary>`GET /_matrix/client/v3/rooms/{roomId}/messages`, newest first from <paramref name="from"/>.</summary>
    Task<MatrixResult<MessagesPage>> GetMessagesBackwardsAsync(string accessToken, string roomId, string from, int limit, string? filter, CancellationToken ct);

    /// <summary>`PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}`</summary>
    Task<MatrixResult<bool>> SetTypingAsync(string accessToken, string roomId, string userId, bool typing, int timeoutMs, CancellationToken ct);

    /// <summary>`POST /_matrix/client/v3/rooms/{roomId}/receipt/m.read/{eventId}`</summary>
    Task<MatrixResult<bool>> SendReadReceiptAsync(string accessToken, string roomId, string eventId, CancellationToken ct);
}
