namespace Myelin.Matrix;

/// <summary>The per-version switches that the auth, redaction and event-format code consults.</summary>
public sealed class RoomVersion
{
    public required string Id { get; init; }

    /// <summary>spec: rooms v11 "Redactions" — origin/membership/prev_state unprotected, create keeps all content, etc.</summary>
    public bool UpdatedRedactionRules { get; init; }

    /// <summary>spec: rooms v11 — the room creator is the sender of m.room.create; content.creator is not used.</summary>
    public bool CreatorIsSender { get; init; }

    /// <summary>spec: rooms v10 — power level values must be integers, not strings.</summary>
    public bool IntegerOnlyPowerLevels { get; init; }

    /// <summary>spec: rooms v10 — the knock_restricted join rule exists.</summary>
    public bool KnockRestricted { get; init; }

    /// <summary>spec: rooms v11 — m.room.redaction carries "redacts" in content rather than at top level.</summary>
    public bool RedactsInContent { get; init; }

    public override string ToString() => Id;
}

public static class RoomVersions
{
    public static readonly RoomVersion V10 = new()
    {
        Id = "10",
        IntegerOnlyPowerLevels = true,
        KnockRestricted = true,
    };

    public static readonly RoomVersion V11 = new()
    {
        Id = "11",
        IntegerOnlyPowerLevels = true,
        KnockRestricted = true,
        UpdatedRedactionRules = true,
        CreatorIsSender = true,
        RedactsInContent = true,
    };

    /// <summary>The version new rooms get when the client does not ask for one.</summary>
    public static RoomVersion Default => V10;

    public static IReadOnlyCollection<RoomVersion> Supported { get; } = [V10, V11];

    public static RoomVersion? Get(string id) => Supported.FirstOrDefault(v => v.Id == id);
}
