using System.Text.RegularExpressions;

namespace Myelin.Matrix;

/// <summary>One namespace entry of a registration: a regular expression and whether the AS claims it alone.</summary>
public sealed record AppserviceNamespace(Regex Regex, bool Exclusive)
{
    /// <summary>
    /// As Synapse (Python's <c>re.match</c>): the expression must match at the start of the ID, not
    /// necessarily all of it. The pattern is compiled once, anchored at the start.
    /// </summary>
    public static AppserviceNamespace Create(string pattern, bool exclusive) =>
        new(new Regex(@"\A(?:" + pattern + ")", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)), exclusive);

    public bool Matches(string id) => Regex.IsMatch(id);
}

/// <summary>
/// spec: application service API, "Registration" — an application service as its registration file
/// describes it, and which users, aliases and rooms it claims. Pure rules; the interest in an event that
/// needs the room's members or aliases is decided by the caller with <see cref="IsInterestedInUser"/>,
/// <see cref="IsRoomAliasInNamespace"/> and <see cref="IsRoomIdInNamespace"/>.
/// </summary>
public sealed class ApplicationService
{
    public required string Id { get; init; }
    /// <summary>Base URL transactions and pings go to; null: the AS receives nothing (an explicit <c>url: null</c>).</summary>
    public string? Url { get; init; }
    public required string AsToken { get; init; }
    public required string HsToken { get; init; }
    public required string SenderLocalpart { get; init; }
    /// <summary>The AS's own user, <c>@sender_localpart:server</c>.</summary>
    public required string Sender { get; init; }
    public IReadOnlyList<AppserviceNamespace> Users { get; init; } = [];
    public IReadOnlyList<AppserviceNamespace> Aliases { get; init; } = [];
    public IReadOnlyList<AppserviceNamespace> Rooms { get; init; } = [];
    public bool RateLimited { get; init; } = true;
    public IReadOnlyList<string> Protocols { get; init; } = [];
    /// <summary>spec: <c>receive_ephemeral</c> (or MSC2409's <c>de.sorunome.msc2409.push_ephemeral</c>):
    /// typing and receipts go in transactions' <c>ephemeral</c>.</summary>
    public bool ReceiveEphemeral { get; init; }
    /// <summary>Where the registration came from (for log lines and errors).</summary>
    public string? File { get; init; }

    public bool IsUserInNamespace(string userId) => Users.Any(n => n.Matches(userId));
    public bool IsRoomAliasInNamespace(string alias) => Aliases.Any(n => n.Matches(alias));
    public bool IsRoomIdInNamespace(string roomId) => Rooms.Any(n => n.Matches(roomId));

    /// <summary>Its sender, or a user in its users namespace.</summary>
    public bool IsInterestedInUser(string userId) => userId == Sender || IsUserInNamespace(userId);

    /// <summary>The first namespace entry that matches decides, as Synapse; the sender is always exclusive.</summary>
    public bool IsExclusiveUser(string userId) => userId == Sender || (Users.FirstOrDefault(n => n.Matches(userId))?.Exclusive ?? false);
    public bool IsExclusiveAlias(string alias) => Aliases.FirstOrDefault(n => n.Matches(alias))?.Exclusive ?? false;
    public bool IsExclusiveRoom(string roomId) => Rooms.FirstOrDefault(n => n.Matches(roomId))?.Exclusive ?? false;

    /// <summary>Interest that needs no look-up: the sender, or a membership event's target, is one of
    /// its users, or the room is in its rooms namespace. (The room's aliases and local members are the
    /// rest of the rule: <see cref="IsInterestedInRoom"/>.)</summary>
    public bool IsInterestedInEventDirectly(string sender, string type, string? stateKey, string roomId) =>
        IsInterestedInUser(sender)
        || (type == "m.room.member" && stateKey is not null && IsInterestedInUser(stateKey))
        || IsRoomIdInNamespace(roomId);

    /// <summary>spec: an AS is interested in a room whose ID is in its rooms namespace, one of whose
    /// aliases is in its aliases namespace, or one of whose joined local members is one of its users.</summary>
    public bool IsInterestedInRoom(string roomId, IEnumerable<string> aliases, IEnumerable<string> joinedLocalMembers) =>
        IsRoomIdInNamespace(roomId) || aliases.Any(IsRoomAliasInNamespace) || joinedLocalMembers.Any(IsInterestedInUser);

    public override string ToString() => $"appservice '{Id}'";
}

/// <summary>The application services of this homeserver (<c>app_service_config_files</c>), looked up by
/// token and by ID, with the exclusivity rules that apply to everyone else.</summary>
public sealed class ApplicationServices
{
    public static readonly ApplicationServices None = new([]);

    readonly Dictionary<string, ApplicationService> _byToken;
    readonly Dictionary<string, ApplicationService> _byId;

    public ApplicationServices(IReadOnlyList<ApplicationService> services)
    {
        All = services;
        _byToken = services.ToDictionary(s => s.AsToken, StringComparer.Ordinal);
        _byId = services.ToDictionary(s => s.Id, StringComparer.Ordinal);
    }

    public IReadOnlyList<ApplicationService> All { get; }

    public ApplicationService? ByToken(string token) => _byToken.GetValueOrDefault(token);
    public ApplicationService? ById(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The service, other than <paramref name="except"/>, that claims the user ID exclusively;
    /// null when nobody does (Synapse's check_user_id_not_appservice_exclusive).</summary>
    public ApplicationService? ExclusiveOwnerOfUser(string userId, ApplicationService? except = null) =>
        All.FirstOrDefault(s => s != except && s.IsInterestedInUser(userId) && s.IsExclusiveUser(userId));

    /// <summary>Whether <paramref name="userId"/> (not an AS) may create or delete the alias: not when a
    /// service claims it exclusively, unless the user is that service's sender (Synapse's can_modify_alias).</summary>
    public bool UserMayModifyAlias(string alias, string userId)
    {
        foreach (var s in All.Where(s => s.IsRoomAliasInNamespace(alias)))
        {
            if (s.Sender == userId) return true;
            if (s.IsExclusiveAlias(alias)) return false;
        }
        return true;
    }
}
