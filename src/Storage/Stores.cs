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

    /// <summary>The receipts of every room written at stream positions in (from, to], ascending, at most
    /// <paramref name="limit"/> (a replication consumer following the stream, e.g. the appservice sender, or a
    /// small range that many /sync requests share, read once for all of them).</summary>
    Task<IReadOnlyList<ReceiptRow>> GetAllChangedAsync(long from, long to, int limit);
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

/// <summary>One user found by a directory search.</summary>
public sealed record DirectoryUser(string UserId, string? DisplayName, string? AvatarUrl);

/// <summary>A directory search: the searcher, what they typed, how many results, and the server's rules.</summary>
/// <param name="SearchAllUsers">Every user is a candidate (<c>user_directory.search_all_users</c>), not only
/// those in public rooms or sharing a room with the searcher.</param>
/// <param name="PreferLocalUsers">Users of <paramref name="ServerName"/> rank higher (<c>prefer_local_users</c>).</param>
/// <param name="ExcludeRemoteUsers">Only local users are found (<c>exclude_remote_users</c>).</param>
public sealed record DirectorySearch(string SearcherId, string Term, int Limit, string ServerName,
    bool SearchAllUsers = false, bool PreferLocalUsers = false, bool ExcludeRemoteUsers = false);

/// <summary>What a room's current state says about the directory: whether the room is public (publicly
/// joinable or world-readable) and who is joined.</summary>
public sealed record DirectoryRoom(string RoomId, bool IsPublic, IReadOnlyList<string> Joined);

/// <summary>
/// The user directory (Synapse's user_directory and its two visibility tables). Entries of local users
/// follow their profile (<see cref="IAccountStore"/> writes them); the updater keeps the visibility tables
/// from room state. Every write is idempotent: it makes the tables agree with what it is given.
/// </summary>
public interface IUserDirectoryStore
{
    /// <summary>The matching users, best first, at most <see cref="DirectorySearch.Limit"/> + 1 (the caller
    /// tells "limited" from the extra one).</summary>
    Task<IReadOnlyList<DirectoryUser>> SearchAsync(DirectorySearch search);

    Task<DirectoryUser?> GetEntryAsync(string userId);
    /// <summary>Sets the user's entry (a remote user seen joining a room).</summary>
    Task UpsertEntryAsync(string userId, string? displayName, string? avatarUrl);
    /// <summary>Adds an entry for each local user who has none, from their profile; returns how many (the
    /// directory's first population; an entry already there is newer and stays).</summary>
    Task<int> AddMissingLocalUsersAsync();

    /// <summary>The room's publicness and joined members, from its current state.</summary>
    Task<DirectoryRoom> ReadRoomAsync(string roomId);
    /// <summary>Makes the room's rows of both visibility tables those of <paramref name="room"/>.</summary>
    Task ReplaceRoomAsync(DirectoryRoom room);
    /// <summary>Brings the rows of <paramref name="users"/> in the room in line with <paramref name="room"/>
    /// (joined users are added as its publicness says, the others removed), leaving other users' rows.</summary>
    Task UpdateMembersAsync(DirectoryRoom room, IReadOnlyCollection<string> users);

    /// <summary>The public rooms the user is recorded in (for tests and diagnostics).</summary>
    Task<IReadOnlyList<string>> GetPublicRoomsOfUserAsync(string userId);
    /// <summary>The users recorded as sharing a private room with the user (for tests and diagnostics).</summary>
    Task<IReadOnlyList<string>> GetUsersSharingPrivateRoomsWithAsync(string userId);
}

/// <summary>
/// The periodic housekeeping the background-tasks process runs (Synapse's run_background_tasks_on). Each
/// delete works through the table in batches, one transaction each, and returns how many rows went; run
/// again, it finds nothing more to do, so a run cut short is finished by the next.
/// </summary>
public interface IHousekeepingStore
{
    /// <summary>Forgets to-device transaction IDs (device_inbox_txn) recorded before the time.</summary>
    Task<int> DeleteToDeviceTxnsOlderThanAsync(long beforeTs);
    /// <summary>Deletes to-device messages waiting for devices that no longer exist.</summary>
    Task<int> DeleteInboxOfMissingDevicesAsync();
    /// <summary>Users stored as not offline, neither active nor syncing since the time, after
    /// <paramref name="afterUserId"/> in user ID order (a caller pages with the last one it got).</summary>
    Task<IReadOnlyList<string>> GetStalePresenceAsync(long seenBeforeTs, string afterUserId, int limit);
    /// <summary>The highest events-stream position of an event sent before the time (0 when none), by a
    /// binary search over positions (local events' timestamps grow with their positions).</summary>
    Task<long> GetStreamOrderingBeforeAsync(long beforeTs);
    /// <summary>Deletes push actions their user has read (at or before the user's m.read / m.read.private
    /// receipt in the room, unthreaded or main) with position at most <paramref name="upToStreamOrdering"/>.</summary>
    Task<int> DeleteReadPushActionsAsync(long upToStreamOrdering);
}

/// <summary>A local user as the admin API shows it (Synapse's admin user dict).</summary>
public sealed record AdminUser(
    string UserId, bool IsGuest, bool IsAdmin, string? UserType, bool Deactivated, bool Erased,
    string? DisplayName, string? AvatarUrl, long CreationTs, long? LastSeenTs);

/// <summary>GET /_synapse/admin/v2/users: the filters and order. <paramref name="OrderBy"/> is one of
/// <see cref="IAdminStore.UserOrderColumns"/>.</summary>
public sealed record UserListQuery(
    int From, int Limit, string? UserIdContains = null, string? NameContains = null, bool Guests = true,
    bool Deactivated = false, bool? Admins = null, string OrderBy = "name", bool Backwards = false);

/// <summary>An event report; <paramref name="Sender"/> is the reported event's sender (null once purged).</summary>
public sealed record EventReport(
    long Id, long ReceivedTs, string RoomId, string EventId, string UserId, string? Reason, long? Score, string? Sender);

public sealed record EventReportQuery(
    int From, int Limit, bool Backwards = true, string? UserIdContains = null, string? RoomIdContains = null, string? SenderUserId = null);

/// <summary>Background admin work (a room deletion, a history purge) and how it went.</summary>
public sealed record AdminTask(
    string TaskId, string Action, string RoomId, string Status, string? Error, string? ResultJson, long CreatedTs, long UpdatedTs);

/// <summary>What the room list shows of a room, before its state is read: the rooms row, member and
/// state counts. <paramref name="State"/>: (type, PDU JSON) of its current state events with an empty
/// state key of the types the list shows.</summary>
public sealed record AdminRoomRow(
    string RoomId, string RoomVersion, string Creator, bool IsPublic, int JoinedMembers, int JoinedLocalMembers,
    int StateEvents, IReadOnlyList<(string Type, string Json)> State);

/// <summary>The admin API's storage: user listing and flags, blocked rooms, event reports, admin tasks,
/// and the purges (history before a point, a whole room).</summary>
public interface IAdminStore
{
    /// <summary>The orders GET /v2/users accepts.</summary>
    static readonly IReadOnlyList<string> UserOrderColumns =
        ["name", "is_guest", "admin", "user_type", "deactivated", "shadow_banned", "displayname", "avatar_url", "creation_ts", "last_seen_ts"];

    Task<(IReadOnlyList<AdminUser> Users, int Total)> ListUsersAsync(UserListQuery query);
    Task<AdminUser?> GetUserAsync(string userId);
    Task SetUserTypeAsync(string userId, string? userType);
    Task SetErasedAsync(string userId, bool erased);
    /// <summary>Deactivation wipes the password hash (Synapse), so only a new password brings the account back.</summary>
    Task ClearPasswordAsync(string userId);

    Task<string?> GetRoomBlockerAsync(string roomId);
    Task BlockRoomAsync(string roomId, string byUserId);

    /// <summary>Stores the report; returns its ID.</summary>
    Task<long> AddEventReportAsync(string roomId, string eventId, string userId, string? reason, long? score, long now);
    Task<(IReadOnlyList<EventReport> Reports, int Total)> ListEventReportsAsync(EventReportQuery query);
    Task<EventReport?> GetEventReportAsync(long id);
    Task<bool> DeleteEventReportAsync(long id);

    Task AddTaskAsync(AdminTask task);
    Task UpdateTaskAsync(string taskId, string status, string? error, string? resultJson, long now);
    Task<AdminTask?> GetTaskAsync(string taskId);
    /// <summary>The room's tasks of the action, oldest first.</summary>
    Task<IReadOnlyList<AdminTask>> GetTasksForRoomAsync(string roomId, string action);

    /// <summary>Every room (or the one room) with what the room list shows (local members: user IDs ending
    /// <c>:serverName</c>).</summary>
    Task<IReadOnlyList<AdminRoomRow>> ListRoomsAsync(string serverName, string? roomId = null);

    /// <summary>The room's newest event sent before <paramref name="ts"/> (where purge_up_to_ts purges up to), or null.</summary>
    Task<StoredEvent?> GetLastEventBeforeAsync(string roomId, long ts);

    /// <summary>
    /// Synapse's purge_history: of the room's events with depth below <paramref name="beforeDepth"/>, deletes
    /// the non-state ones (only those of other servers' senders unless <paramref name="deleteLocalEvents"/>)
    /// with their push actions, and marks the rest outliers, out of every timeline. Returns how many were deleted.
    /// </summary>
    Task<int> PurgeHistoryAsync(string roomId, long beforeDepth, bool deleteLocalEvents, string serverName);

    /// <summary>Removes every trace of the room: events, state, memberships, receipts, push actions,
    /// aliases, room account data, reports and the rooms row.</summary>
    Task PurgeRoomAsync(string roomId);
}

/// <summary>An application service's transaction sequence: the last transaction ID, and the events and
/// receipts positions up to which everything is in a transaction (sent or waiting).</summary>
public sealed record AppserviceState(string AppserviceId, long LastTxnId, long EventsStreamId, long ReceiptsStreamId);

/// <summary>A transaction stored before it is sent, with the exact body that goes out.</summary>
public sealed record AppserviceTxn(string AppserviceId, long TxnId, string BodyJson);

/// <summary>Application services' transactions (Synapse's application_services_state / _txns).</summary>
public interface IAppserviceStore
{
    /// <summary>The service's state, created at the given positions when it has none yet.</summary>
    Task<AppserviceState> GetOrCreateStateAsync(string appserviceId, long eventsStreamId, long receiptsStreamId);
    Task<AppserviceState?> GetStateAsync(string appserviceId);
    /// <summary>In one database transaction: takes the next transaction ID, stores the body, and moves the
    /// state's positions up to those given (never down).</summary>
    Task<AppserviceTxn> CreateTxnAsync(string appserviceId, string bodyJson, long eventsStreamId, long receiptsStreamId);
    /// <summary>Moves the positions up to those given (never down) when nothing there was of interest.</summary>
    Task AdvanceAsync(string appserviceId, long eventsStreamId, long receiptsStreamId);
    /// <summary>Transactions stored and not yet acknowledged, oldest first.</summary>
    Task<IReadOnlyList<AppserviceTxn>> GetPendingTxnsAsync(string appserviceId);
    /// <summary>The service acknowledged it: forgets it.</summary>
    Task CompleteTxnAsync(string appserviceId, long txnId);
}

/// <summary>A local media item (local_media_repository); MediaType and MediaLength are null while a
/// created ID waits for its upload.</summary>
public sealed record LocalMedia(string MediaId, string? MediaType, long? MediaLength, long CreatedTs, string? UploadName,
    string UserId, string? QuarantinedBy, long? LastAccessTs, bool SafeFromQuarantine, string? Sha256);

/// <summary>A thumbnail made of a local media item.</summary>
public sealed record MediaThumbnail(int Width, int Height, string Method, string Type, long Length);

/// <summary>The media repository's records: local media and their thumbnails (the bytes are files).</summary>
public interface IMediaStore
{
    /// <summary>Records uploaded media, or (MediaLength null) an ID made by /create awaiting its upload.</summary>
    Task CreateAsync(LocalMedia media);
    /// <summary>Gives a pending ID its content; false when it is not pending (already uploaded, or gone).</summary>
    Task<bool> CompletePendingAsync(string mediaId, string mediaType, string? uploadName, long length, string sha256, long now);
    Task<LocalMedia?> GetAsync(string mediaId);
    /// <summary>The user's pending IDs created after the time: how many, and the oldest one's creation.</summary>
    Task<(int Count, long? FirstCreatedTs)> CountPendingAsync(string userId, long createdAfter);
    Task AddThumbnailAsync(string mediaId, MediaThumbnail thumbnail);
    Task<IReadOnlyList<MediaThumbnail>> GetThumbnailsAsync(string mediaId);
    Task UpdateLastAccessAsync(IReadOnlyCollection<string> mediaIds, long ts);
    /// <summary>A page of the user's media ordered by the column (a local_media_repository column name), and
    /// how many they have in all.</summary>
    Task<(IReadOnlyList<LocalMedia> Media, int Total)> GetUserMediaAsync(string userId, int from, int limit, string orderBy, bool backwards);
    /// <summary>Quarantines (or, with null, releases) media; media protected from quarantine is skipped.
    /// Returns how many rows changed.</summary>
    Task<int> SetQuarantinedAsync(IReadOnlyCollection<string> mediaIds, string? quarantinedBy);
    Task<int> QuarantineUserMediaAsync(string userId, string quarantinedBy);
    Task SetSafeFromQuarantineAsync(string mediaId, bool safe);
    /// <summary>Media last accessed before the time and larger than the size, neither quarantined nor
    /// protected; with keepProfiles, not a user's avatar (<paramref name="mxcPrefix"/> + media ID).</summary>
    Task<IReadOnlyList<string>> GetOldMediaIdsAsync(long beforeTs, long sizeGt, bool keepProfiles, string mxcPrefix);
    /// <summary>Removes the media and thumbnail rows.</summary>
    Task DeleteAsync(IReadOnlyCollection<string> mediaIds);
    /// <summary>Removes IDs created before the time that never got content; returns how many.</summary>
    Task<int> DeleteExpiredPendingAsync(long createdBefore);
    /// <summary>The JSON of the room's events that mention an mxc:// URI, newest first.</summary>
    Task<IReadOnlyList<string>> GetRoomEventsMentioningMediaAsync(string roomId);
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
