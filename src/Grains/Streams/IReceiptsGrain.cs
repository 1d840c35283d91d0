namespace Myelin.Grains.Streams;

/// <summary>
/// Where a user's markers in a room move to: the read receipts (<c>m.read</c>, <c>m.read.private</c>,
/// optionally in a thread) and the fully read marker (<c>m.fully_read</c>). Null leaves one where it is.
/// </summary>
[GenerateSerializer, Immutable, Alias("myelin.read-markers")]
public sealed record ReadMarkers(
    [property: Id(0)] string? FullyRead,
    [property: Id(1)] string? Read,
    [property: Id(2)] string? ReadPrivate,
    [property: Id(3)] string? ThreadId = null);

/// <summary>
/// The receipts stream's writer for one room (Synapse's receipts stream writer, sharded by room): checks a
/// user's receipts against the room, stores each as the user's latest of its kind, and publishes it on
/// the receipts stream. The fully read marker goes to the user's room account data.
/// </summary>
[Alias("myelin.receipts")]
public interface IReceiptsGrain : IGrainWithStringKey
{
    /// <summary>
    /// Moves the user's markers (spec: POST /receipt and POST /read_markers). 403 when the user is not
    /// joined, 404 when an event is not in the room, 400 when an event is not in <see cref="ReadMarkers.ThreadId"/>.
    /// A receipt for the same or an earlier event than the user's current one of that kind is accepted and
    /// ignored (as Synapse), and so is a fully read marker that would move backwards.
    /// </summary>
    Task SetReadMarkers(string userId, ReadMarkers markers);
}
