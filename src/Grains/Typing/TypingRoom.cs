using System.Collections.Immutable;

namespace Myelin.Grains.Typing;

/// <summary>
/// The users typing in one room and the time (Unix ms) at which each stops: the typing writer's rules
/// without the grain around them.
/// </summary>
public sealed class TypingRoom
{
    readonly Dictionary<string, long> _until = new(StringComparer.Ordinal);

    public int Count => _until.Count;

    public bool IsTyping(string userId) => _until.ContainsKey(userId);

    /// <summary>The users typing, in a stable (ordinal) order.</summary>
    public ImmutableArray<string> Users => [.. _until.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The earliest time a user stops typing; null when nobody is typing.</summary>
    public long? NextDeadline => _until.Count == 0 ? null : _until.Values.Min();

    /// <summary>The user types until <paramref name="nowMs"/> + <paramref name="timeoutMs"/>; a user already
    /// typing has that time replaced. True when the user was not typing (the list changed).</summary>
    public bool Start(string userId, long nowMs, long timeoutMs)
    {
        var added = !_until.ContainsKey(userId);
        _until[userId] = nowMs + Math.Max(0, timeoutMs);
        return added;
    }

    /// <summary>True when the user was typing (the list changed).</summary>
    public bool Stop(string userId) => _until.Remove(userId);

    /// <summary>Drops every user whose time has come; true when anyone was dropped.</summary>
    public bool Expire(long nowMs)
    {
        List<string>? due = null;
        foreach (var (user, until) in _until)
            if (until <= nowMs) (due ??= []).Add(user);
        if (due is null) return false;
        foreach (var user in due) _until.Remove(user);
        return true;
    }
}
