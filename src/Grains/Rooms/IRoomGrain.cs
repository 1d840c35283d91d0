namespace Myelin.Grains.Rooms;

/// <summary>An event a client asks to send; the room grain turns it into a PDU.</summary>
[GenerateSerializer, Immutable, Alias("myelin.event-draft")]
public sealed record EventDraft(
    [property: Id(0)] string Type,
    [property: Id(1)] string? StateKey,
    [property: Id(2)] string Sender,
    [property: Id(3)] string ContentJson,
    [property: Id(4)] string? Redacts = null);

/// <summary>The client transaction that asked for an event: retries with the same key get the same event.</summary>
[GenerateSerializer, Immutable, Alias("myelin.txn-key")]
public sealed record TxnKey([property: Id(0)] string UserId, [property: Id(1)] string DeviceId, [property: Id(2)] string TxnId);

/// <summary>Everything createRoom asks for, already validated by the gateway.</summary>
[GenerateSerializer, Immutable, Alias("myelin.create-room")]
public sealed record CreateRoomCommand(
    [property: Id(0)] string Creator,
    [property: Id(1)] string RoomVersion,
    [property: Id(2)] string CreationContentJson,
    [property: Id(3)] string CreatorMemberContentJson,
    [property: Id(4)] string PowerLevelsContentJson,
    [property: Id(5)] IReadOnlyList<EventDraft> InitialEvents,
    [property: Id(6)] bool IsPublic);

[GenerateSerializer, Immutable, Alias("myelin.room-summary")]
public sealed record RoomInfo(
    [property: Id(0)] string RoomId,
    [property: Id(1)] string RoomVersion,
    [property: Id(2)] string Creator,
    [property: Id(3)] long LastStreamOrdering);

/// <summary>
/// The room's event persister (Synapse's event persister, sharded by room ID): applies the auth rules
/// against current state, links the DAG, hashes, signs, and persists before it answers.
/// </summary>
[Alias("myelin.room")]
public interface IRoomGrain : IGrainWithStringKey
{
    /// <summary>Creates the room with its initial events, all persisted in one batch.</summary>
    Task<RoomInfo> Create(CreateRoomCommand command);

    /// <summary>Sends an event; returns its event ID. A repeated <paramref name="txn"/> returns the first event's ID.</summary>
    Task<string> Send(EventDraft draft, TxnKey? txn);

    /// <summary>The user's current membership ("join", "invite", "leave", "ban", "knock") or null.</summary>
    Task<string?> GetMembership(string userId);

    /// <summary>Null when the room does not exist here.</summary>
    Task<RoomInfo?> GetInfo();

    /// <summary>Admin: from now on nobody may join, be invited or knock (Synapse's blocked rooms); the caller
    /// has stored the block.</summary>
    Task Block();

    /// <summary>Admin: refuses every send from now on, waits for the sends in flight, removes every trace of
    /// the room from the database and forgets it.</summary>
    Task Purge();
}
