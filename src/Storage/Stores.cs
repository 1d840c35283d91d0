namespace Myelin.Storage;

// The narrow interfaces the grains and the gateway use. One store per area; implementations run on
// SQLite and PostgreSQL alike (see Database.cs). All timestamps are Unix milliseconds.

public sealed record UserAccount(
    string UserId, string? PasswordHash, long CreationTs, bool IsAdmin, bool IsGuest, bool Deactivated);

public sealed record Profile(string UserId, string? DisplayName, string? AvatarUrl);

public sealed record Device(string UserId, string DeviceId, string? DisplayName, long? LastSeenTs, string? LastSeenIp);

public sealed record TokenOwner(string UserId, string DeviceId, long TokenId);

public interface IAccountStore
{
    /// <summary>Creates the user and an empty profile; false when the ID is taken.</summary>
    Task<bool> CreateUserAsync(string userId, string? passwordHash, bool isAdmin, bool isGuest, long now);
    Task<UserAccount?> GetUserAsync(string userId);
    Task SetPasswordHashAsync(string userId, string passwordHash);
    Task SetDeactivatedAsync(string userId, bool deactivated);
    Task SetAdminAsync(string userId, bool isAdmin);
    Task<IReadOnlyList<UserAccount>> ListUsersAsync(int offset, int limit);

    Task<Profile?> GetProfileAsync(string userId);
    Task SetDisplayNameAsync(string userId, string? displayName);
    Task SetAvatarUrlAsync(string userId, string? avatarUrl);
}

public interface IDeviceStore
{
    /// <summary>Inserts the device, or keeps the existing row (and its name) when it exists.</summary>
    Task UpsertDeviceAsync(string userId, string deviceId, string? displayName, long now, string? ip);
    Task<Device?> GetDeviceAsync(string userId, string deviceId);
    Task<IReadOnlyList<Device>> GetDevicesAsync(string userId);
    Task<bool> UpdateDisplayNameAsync(string userId, string deviceId, string? displayName);
    /// <summary>Deletes the devices, every access token issued to them, their to-device inboxes and their pushers.</summary>
    Task DeleteDevicesAsync(string userId, IReadOnlyCollection<string> deviceIds);
    Task UpdateLastSeenAsync(string userId, string deviceId, long now, string? ip);
}

public interface IAccessTokenStore
{
    /// <summary>Stores the SHA-256 of the token, never the token itself.</summary>
    Task<long> AddAccessTokenAsync(string token, string userId, string deviceId, long now);
    Task<TokenOwner?> GetOwnerAsync(string token);
    Task DeleteAccessTokenAsync(string token);
    /// <summary>Every token of the user, but the one with <paramref name="exceptTokenId"/> when given.
    /// Returns the deleted tokens' hashes (<see cref="AccessTokenHash.Compute"/>): the tokens themselves
    /// are not stored. A cache keyed by that hash can drop them.</summary>
    Task<IReadOnlyList<string>> DeleteAllForUserAsync(string userId, long? exceptTokenId = null);
}

public interface ITransactionStore
{
    /// <summary>The result recorded for this (user, device, scope, txnId), if any.</summary>
    Task<string?> GetResultAsync(string userId, string deviceId, string scope, string txnId);
    /// <summary>Records the result; first writer wins, returns the stored result.</summary>
    Task<string> SetResultAsync(string userId, string deviceId, string scope, string txnId, string result, long now);
    /// <summary>Forgets results recorded before <paramref name="beforeTs"/> (Synapse keeps them a day);
    /// returns how many were removed.</summary>
    Task<int> DeleteOlderThanAsync(long beforeTs);
}

public interface IFilterStore
{
    Task<long> AddFilterAsync(string userId, string filterJson);
    Task<string?> GetFilterAsync(string userId, long filterId);
}

public sealed record RoomAlias(string Alias, string RoomId, string Creator);

public interface IAliasStore
{
    /// <summary>false when the alias exists.</summary>
    Task<bool> CreateAliasAsync(string alias, string roomId, string creator);
    Task<RoomAlias?> GetAliasAsync(string alias);
    Task<bool> DeleteAliasAsync(string alias);
    Task<IReadOnlyList<string>> GetAliasesForRoomAsync(string roomId);
}

public sealed record RoomRecord(string RoomId, string RoomVersion, string Creator, bool IsPublic, long CreatedTs);

public interface IRoomStore
{
    Task CreateRoomAsync(RoomRecord room);
    Task<RoomRecord?> GetRoomAsync(string roomId);
    Task SetPublicAsync(string roomId, bool isPublic);
    /// <summary>Public rooms ordered by joined-member count descending, then room ID.</summary>
    Task<IReadOnlyList<string>> GetPublicRoomIdsAsync();
    Task<IReadOnlyList<RoomRecord>> ListRoomsAsync(int offset, int limit);
}

public interface IAccountDataStore
{
    /// <summary>roomId null = global. Returns the new stream position.</summary>
    Task<long> PutAccountDataAsync(string userId, string? roomId, string type, string contentJson);
    Task<string?> GetAccountDataAsync(string userId, string? roomId, string type);
    /// <summary>Rows with stream position in (from, to].</summary>
    Task<IReadOnlyList<AccountDataRow>> GetChangedAsync(string userId, long from, long to);
    Task<long> GetMaxStreamIdAsync();
    /// <summary>Records that the user's push rules changed, at the next position of the push_rules stream;
    /// returns it.</summary>
    Task<long> RecordPushRulesChangeAsync(string userId);
    /// <summary>The position of the user's latest push rule change (0 when never changed).</summary>
    Task<long> GetPushRulesPositionAsync(string userId);
}

public sealed record AccountDataRow(string UserId, string? RoomId, string Type, string ContentJson, long StreamId);

/// <summary>A message waiting in a device's inbox: the event as /sync delivers it, at its stream position.</summary>
public sealed record ToDeviceRow(long StreamId, string MessageJson);

/// <summary>The client transaction a to-device message answers (spec: a txnId is scoped to the sending
/// device and the request path, so the event type is part of it).</summary>
public sealed record ToDeviceTxn(string SenderUserId, string SenderDeviceId, string MessageType, string TxnId);

/// <summary>The to_device stream: each local device's inbox (Synapse's device_inbox).</summary>
public interface IDeviceInboxStore
{
    /// <summary>
    /// Puts the message in the device's inbox at the to_device stream's next position (in position order
    /// across processes, see <see cref="IStreamIdGenerator.WriteAtNextAsync"/>) and returns the position;
    /// null when <paramref name="txn"/> already delivered a message to this device.
    /// </summary>
    Task<long?> AddMessageAsync(string userId, string deviceId, string messageJson, ToDeviceTxn? txn, long now);
    /// <summary>The device's messages with from &lt; stream_id &lt;= to, ascending, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ToDeviceRow>> GetMessagesAsync(string userId, string deviceId, long fromExclusive, long toInclusive, int limit);
    /// <summary>Deletes the device's messages up to the position (the client acknowledged them); returns
    /// how many. Takes no write when there are none.</summary>
    Task<int> DeleteMessagesAsync(string userId, string deviceId, long upToInclusive);
    /// <summary>Forgets the device's recorded transactions older than <paramref name="beforeTs"/>.</summary>
    Task<int> DeleteTxnsOlderThanAsync(string userId, string deviceId, long beforeTs);
}

/// <summary>A user's latest receipt of one type in a room (and thread): what the receipts stream carries.
/// <paramref name="ThreadId"/> is null for an unthreaded receipt, else <c>main</c> or a thread root's event ID;
/// <paramref name="DataJson"/> is the receipt's data, e.g. <c>{"ts":1700000000000}</c>.</summary>
public sealed record ReceiptRow(
    string RoomId, string ReceiptType, string UserId, string? ThreadId, string EventId, long EventStreamOrdering,
    string DataJson, long StreamId);

public interface IReceiptStore
{
    /// <summary>
    /// Makes this the user's receipt of the type in the room and thread, at the receipts stream's next
    /// position (in position order across processes), and returns that position. As Synapse, a receipt
    /// for the same event as the stored one, or an earlier one (by stream ordering), is ignored: null.
    /// </summary>
    Task<long?> PutReceiptAsync(string roomId, string receiptType, string userId, string? threadId, string eventId,
        long eventStreamOrdering, string dataJson);

    /// <summary>The stored receipt of the kind, or null.</summary>
    Task<ReceiptRow?> GetReceiptAsync(string roomId, string receiptType, string userId, string? threadId);

    /// <summary>The receipts of the rooms written at stream positions in (from, to], ascending.</summary>
    Task<IReadOnlyList<ReceiptRow>> GetChangedAsync(IReadOnlyCollection<string> roomIds, long from, long to);

    /// <summary>Every current receipt of the rooms written at or below <paramref name="upTo"/> (an initial
    /// sync), ascending by stream position.</summary>
    Task<IReadOnlyList<ReceiptRow>> GetCurrentAsync(IReadOnlyCollection<string> roomIds, long upTo);
}

/// <summary>One event as stored: the PDU JSON beside the columns that queries filter and order on.</summary>
public sealed record StoredEvent(
    long StreamOrdering, string EventId, string RoomId, string Type, string? StateKey, string Sender,
    long Depth, long OriginServerTs, string Json, string? Membership);

/// <summary>An event to persist; the stream position is given by the persister.</summary>
/// <remarks>For a redaction, <paramref name="Redacts"/> and <paramref name="RedactedTargetJson"/> (the pruned
/// target PDU) make the store replace the target's JSON in the same transaction.</remarks>
public sealed record NewEvent(
    string EventId, string RoomId, string Type, string? StateKey, string Sender, long Depth,
    long OriginServerTs, string Json, string? Membership,
    string? Redacts = null, string? RedactedTargetJson = null, EventTxn? Txn = null,
    IReadOnlyList<NewPushAction>? PushActions = null);

/// <summary>What a local member's push rules say about an event (event_push_actions): written in the event's
/// own transaction, so an acknowledged event never loses its notifications.</summary>
public sealed record NewPushAction(string UserId, string ActionsJson, bool Notify, bool Highlight);

/// <summary>The client transaction an event answers: recorded in event_txn_id in the event's own transaction,
/// so a retry after a crash still finds it.</summary>
public sealed record EventTxn(string UserId, string DeviceId, string Scope, string TxnId);

public sealed record MembershipRow(string RoomId, string UserId, string Membership, string EventId, long StreamOrdering,
    bool Forgotten = false);

public interface IEventStore
{
    /// <summary>
    /// Persists events in one transaction: the events, current state (state events replace the
    /// (type, state_key) entry), local_current_membership for m.room.member, the events' push actions, and
    /// forward extremities (each room's newest event replaces the room's extremities). Each event's StreamOrdering is taken
    /// from the list given (already allocated by the caller, increasing).
    /// </summary>
    Task PersistEventsAsync(IReadOnlyList<(NewEvent Event, long StreamOrdering)> events);

    Task<long> GetMaxStreamOrderingAsync();
    Task<StoredEvent?> GetEventAsync(string eventId);
    Task<IReadOnlyList<StoredEvent>> GetEventsAsync(IReadOnlyCollection<string> eventIds);

    /// <summary>Current state of the room, one event per (type, state_key).</summary>
    Task<IReadOnlyList<StoredEvent>> GetCurrentStateAsync(string roomId);
    /// <summary>State after the event at <paramref name="atStreamOrdering"/> (inclusive), one event per (type, state_key).</summary>
    Task<IReadOnlyList<StoredEvent>> GetStateAtAsync(string roomId, long atStreamOrdering);

    /// <summary>The room's newest event (for reloading a room grain), or null for an unknown room.</summary>
    Task<StoredEvent?> GetLatestEventAsync(string roomId);

    /// <summary>Events of the rooms with from &lt; stream_ordering &lt;= to, ascending; at most limit per room,
    /// keeping the newest when more.</summary>
    Task<IReadOnlyList<StoredEvent>> GetRoomEventsAsync(string roomId, long fromExclusive, long toInclusive, int limit);

    /// <summary>Events of many rooms with from &lt; stream_ordering &lt;= to, ascending, all of them.</summary>
    Task<IReadOnlyList<StoredEvent>> GetEventsInRangeAsync(IReadOnlyCollection<string> roomIds, long fromExclusive, long toInclusive);

    /// <summary>Every event with from &lt; stream_ordering &lt;= to, ascending (a replication consumer
    /// catching up with the stream).</summary>
    Task<IReadOnlyList<StoredEvent>> GetStreamRangeAsync(long fromExclusive, long toInclusive);

    /// <summary>Topological pagination: events ordered by (depth, stream_ordering), backwards from
    /// (before the) given position or forwards from (after) it.</summary>
    Task<IReadOnlyList<StoredEvent>> PaginateAsync(string roomId, long depth, long streamOrdering, bool backwards, int limit);

    /// <summary>Current membership of the user in every room they have a membership event in.</summary>
    Task<IReadOnlyList<MembershipRow>> GetMembershipsForUserAsync(string userId);
    /// <summary>Current membership rows of a room (every user with a m.room.member state event).</summary>
    Task<IReadOnlyList<MembershipRow>> GetRoomMembershipsAsync(string roomId);
    Task<int> GetJoinedMemberCountAsync(string roomId);
    /// <summary>Marks the user's (non-joined) membership of the room forgotten; the next membership event clears it.</summary>
    Task ForgetRoomAsync(string userId, string roomId);

    /// <summary>The room's forward extremities (event IDs), as the last persisted batch left them.</summary>
    Task<IReadOnlyList<string>> GetForwardExtremitiesAsync(string roomId);
}

/// <summary>Per-instance positions of multi-writer streams (Synapse's stream_positions table).</summary>
public interface IStreamWriterPositionStore
{
    /// <summary>Records the writer's position; a lower one than stored is ignored.</summary>
    Task UpsertAsync(string stream, string instance, long position);
    Task<IReadOnlyDictionary<string, long>> GetAsync(string stream);
}

/// <summary>A worker app's stored position in a stream it follows.</summary>
public sealed record WorkerAppPosition(string App, string Instance, string Stream, long Position);

/// <summary>Where each worker app has got to (worker_app_positions): its resume point after a restart.</summary>
public interface IWorkerAppPositionStore
{
    /// <summary>The stored position, or null when the app has never stored one.</summary>
    Task<long?> GetAsync(string app, string instance, string stream);
    Task SetAsync(string app, string instance, string stream, long position);
    Task<IReadOnlyList<WorkerAppPosition>> GetAllAsync();
}

/// <summary>Hands out stream positions: unique and increasing across writers.</summary>
public interface IStreamIdGenerator
{
    /// <summary>Allocates <paramref name="count"/> consecutive positions and returns the LAST (highest):
    /// the block is (result - count, result]. Stream names are lowercase letters, digits and '_'.</summary>
    Task<long> NextAsync(string stream, int count = 1);
    /// <summary>The highest position allocated so far (0 when none). On PostgreSQL, by any process, and
    /// it may not be committed yet.</summary>
    Task<long> CurrentAsync(string stream);

    /// <summary>
    /// Runs <paramref name="write"/> in one transaction at the stream's next position and returns it.
    /// Writes of the stream through this method commit in position order across every process (one at a
    /// time per stream: a transaction-scoped lock on PostgreSQL, the single writer on SQLite), so once a
    /// position is seen committed, every lower one is too: the highest position any writer announced is
    /// safe to read up to. For streams with modest write rates (receipts, to-device, account data).
    /// </summary>
    Task<long> WriteAtNextAsync(string stream, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, long, Task> write);

    /// <summary>The highest position committed by <see cref="WriteAtNextAsync"/> (waits for one in flight).</summary>
    Task<long> CurrentCommittedAsync(string stream);
}

/// <summary>A user's last presence as stored (Synapse's presence_stream columns), with the writer's token.</summary>
public sealed record StoredPresence(
    string UserId, string State, string? StatusMsg, long LastActiveTs, long LastFederationUpdateTs, long LastUserSyncTs,
    bool CurrentlyActive, long StreamId);

/// <summary>Each user's last presence: what a presence writer resumes from, never read by /sync.</summary>
public interface IPresenceStore
{
    /// <summary>Stores the user's presence, unless a row with a higher stream_id is there already.</summary>
    Task UpsertAsync(StoredPresence presence);
    Task<StoredPresence?> GetAsync(string userId);
    /// <summary>Every user whose stored presence is not offline (what a starting process shows).</summary>
    Task<IReadOnlyList<StoredPresence>> GetNotOfflineAsync();
}

/// <summary>A room's unread notification counts for a user. <paramref name="LatestUnread"/>: stream position
/// of the newest counted action (0 when none); <paramref name="ReceiptStreamId"/>: receipts-stream position
/// of the user's latest read receipt that counts (0 when none), so a caller can tell the counts moved.</summary>
public sealed record UnreadCounts(string RoomId, long Notifications, long Highlights, long LatestUnread, long ReceiptStreamId);

/// <summary>One entry of GET /notifications.</summary>
public sealed record NotificationRow(StoredEvent Event, string ActionsJson, bool Highlight, bool Read);

/// <summary>Push actions (event_push_actions, written by <see cref="IEventStore.PersistEventsAsync"/>) and what is
/// read from them: unread counts for /sync, the notification list, and the rulesets evaluation needs.</summary>
public interface IPushActionStore
{
    /// <summary>
    /// For every room given (one row each): the user's notifying actions with stream position after their
    /// latest m.read or m.read.private receipt in the room (unthreaded or main thread) and at most
    /// <paramref name="upToStreamOrdering"/>. One query whatever the number of rooms.
    /// </summary>
    Task<IReadOnlyList<UnreadCounts>> GetUnreadCountsAsync(string userId, IReadOnlyCollection<string> roomIds, long upToStreamOrdering);

    /// <summary>The user's notifying actions with stream position in (from, to], ascending (what to add to
    /// counts already known at <paramref name="from"/> while the user's receipts stand still).</summary>
    Task<IReadOnlyList<(string RoomId, long StreamOrdering, bool Highlight)>> GetNewActionsAsync(string userId, long from, long to);

    /// <summary>Rooms where the user's counting receipt (m.read / m.read.private, unthreaded or main) was
    /// written at a receipts-stream position in (from, to].</summary>
    Task<IReadOnlyList<string>> GetRoomsWithNewReceiptsAsync(string userId, long from, long to);

    /// <summary>The user's notifications, newest first, with stream position below <paramref name="before"/>
    /// when given; only highlighted ones when <paramref name="onlyHighlight"/>.</summary>
    Task<IReadOnlyList<NotificationRow>> GetNotificationsAsync(string userId, long? before, int limit, bool onlyHighlight);

    /// <summary>The stored m.push_rules global account data of each user who has one (user ID → JSON).</summary>
    Task<IReadOnlyDictionary<string, string>> GetPushRulesAsync(IReadOnlyCollection<string> userIds);
}

/// <summary>A pusher as stored (Synapse's pushers row). <paramref name="DataJson"/> is the data object given
/// to POST /pushers/set; <paramref name="PushkeyTs"/> is in milliseconds.</summary>
public sealed record Pusher(
    string UserId, string AppId, string Pushkey, string Kind, string AppDisplayName, string DeviceDisplayName,
    string ProfileTag, string? Lang, string DataJson, long PushkeyTs, string? DeviceId, long LastStreamOrdering,
    long? LastSuccess, long? FailingSince);

/// <summary>A notifying push action that a pusher may have to send: the event with the actions of the rule.</summary>
public sealed record PushActionToSend(StoredEvent Event, string ActionsJson, bool Highlight);

/// <summary>Pushers (POST /pushers/set) and what the pusher worker app reads and records with them.</summary>
public interface IPusherStore
{
    /// <summary>Creates the pusher or replaces the one with the same user, app_id and pushkey. As Synapse, a
    /// replaced pusher keeps the device it was tied to (another device may edit it).</summary>
    Task UpsertAsync(Pusher pusher);
    Task<Pusher?> GetAsync(string userId, string appId, string pushkey);
    Task<IReadOnlyList<Pusher>> GetForUserAsync(string userId);
    Task<IReadOnlyList<Pusher>> GetAllAsync();
    /// <summary>false when there was no such pusher.</summary>
    Task<bool> DeleteAsync(string userId, string appId, string pushkey);
    /// <summary>Deletes the pushers with this app_id and pushkey of every other user; returns those users.</summary>
    Task<IReadOnlyList<string>> DeleteForOtherUsersAsync(string appId, string pushkey, string exceptUserId);

    /// <summary>Records a delivery: the pusher is done up to <paramref name="streamOrdering"/>. false when the
    /// pusher no longer exists.</summary>
    Task<bool> RecordSuccessAsync(string userId, string appId, string pushkey, long streamOrdering, long now);
    /// <summary>Moves the pusher's position without a delivery (a notification given up on).</summary>
    Task SetLastStreamOrderingAsync(string userId, string appId, string pushkey, long streamOrdering);
    Task SetFailingSinceAsync(string userId, string appId, string pushkey, long? failingSince);

    /// <summary>The user's notifying actions with stream position in (from, to] that are still unread (after
    /// the user's m.read / m.read.private receipt in the room), ascending, at most <paramref name="limit"/>
    /// (Synapse's get_unread_push_actions_for_user_in_range_for_http).</summary>
    Task<IReadOnlyList<PushActionToSend>> GetUnreadActionsAsync(string userId, long from, long to, int limit);
    /// <summary>The users with pushers and with notifying actions at stream positions in (from, to].</summary>
    Task<IReadOnlyList<string>> GetUsersToPushAsync(long from, long to);
}
