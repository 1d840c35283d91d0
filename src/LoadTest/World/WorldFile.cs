using System.Text.Json;
using System.Text.Json.Serialization;

namespace Myelin.LoadTest.World;

/// <summary>
/// The users and rooms a previous run made, saved so the next run against the same server can reuse them
/// instead of registering everything again.
/// </summary>
public sealed class WorldFile
{
    public required string ServerUrl { get; set; }
    public required string Tag { get; set; }
    public List<WorldUser> Users { get; set; } = [];
    public List<WorldRoom> Rooms { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static WorldFile? TryLoad(string path)
    {
        if (!File.Exists(path))
            return null;
        return JsonSerializer.Deserialize<WorldFile>(File.ReadAllText(path), Json);
    }

    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }
}

public sealed class WorldUser
{
    public required string Username { get; set; }
    public required string Password { get; set; }
    public string? UserId { get; set; }
    public string? AccessToken { get; set; }
    public string? DeviceId { get; set; }
}

public sealed class WorldRoom
{
    public required string RoomId { get; set; }
    public List<string> Members { get; set; } = [];
    /// <summary>Messages already sent into the room to give initial /sync something to return.</summary>
    public int History { get; set; }
}
