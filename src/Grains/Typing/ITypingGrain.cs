using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Myelin.Grains.Typing;

/// <summary>Who is typing in a room, and the writer's token of that list.</summary>
[GenerateSerializer, Immutable, Alias("myelin.typing-snapshot")]
public sealed record TypingSnapshot([property: Id(0)] long Token, [property: Id(1)] ImmutableArray<string> UserIds);

/// <summary>
/// The typing stream's writer for one room (Synapse's TypingWriterHandler, sharded by room): who is typing
/// and until when, held in memory only; each change goes out on the typing stream.
/// </summary>
[Alias("myelin.typing")]
public interface ITypingGrain : IGrainWithStringKey
{
    /// <summary>Marks the user typing for <paramref name="timeout"/> (a user already typing has the
    /// timeout extended). 403 M_FORBIDDEN when the user is not joined to the room.</summary>
    Task Start(string userId, TimeSpan timeout);

    /// <summary>The user stopped typing. 403 M_FORBIDDEN when the user is not joined to the room.</summary>
    Task Stop(string userId);

    /// <summary>The user's membership left "join" (leave, kick, ban): they stop typing. Sent by the room
    /// grain, which does not wait for it.</summary>
    [OneWay]
    Task UserLeft(string userId);

    /// <summary>The users typing now, and the token of the last change.</summary>
    Task<TypingSnapshot> Get();
}
