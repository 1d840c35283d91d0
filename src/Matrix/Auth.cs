using System.Text.Json.Nodes;

namespace Myelin.Matrix;

/// <summary>The parts of an event the authorization rules look at.</summary>
public sealed record AuthEvent(
    string EventId,
    string Type,
    string? StateKey,
    string Sender,
    JsonObject Content,
    IReadOnlyList<string> PrevEvents,
    string RoomId);

public readonly record struct AuthResult(bool Allowed, string? Reason)
{
    public static AuthResult Allow { get; } = new(true, null);

    public static AuthResult Deny(string reason) => new(false, reason);
}

/// <summary>spec: rooms v10 / v11 "Authorisation rules".</summary>
public static class EventAuth
{
    public static AuthResult Check(RoomVersion v, AuthEvent ev, IReadOnlyDictionary<(string Type, string StateKey), AuthEvent> authState)
    {
        return AuthResult.Deny("not implemented");
    }

    public static IReadOnlyList<(string Type, string StateKey)> SelectAuthStateKeys(string type, string? stateKey, string sender, JsonObject content, RoomVersion v)
    {
        return [];
    }
}
