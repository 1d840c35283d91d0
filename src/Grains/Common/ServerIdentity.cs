using Myelin.Matrix;

namespace Myelin.Grains;

/// <summary>Who this homeserver is: its name, signing key and room defaults. One per process.</summary>
public sealed class ServerIdentity(string serverName, SigningKey signingKey, RoomVersion defaultRoomVersion)
{
    public string ServerName { get; } = serverName;
    public SigningKey SigningKey { get; } = signingKey;
    public RoomVersion DefaultRoomVersion { get; } = defaultRoomVersion;

    public bool IsMine(string id) => MatrixIds.ServerOf(id) == ServerName;

    /// <summary>Loads the key from Synapse's signing-key file, generating it on first start.</summary>
    public static SigningKey LoadOrCreateSigningKey(string path)
    {
        if (File.Exists(path)) return SigningKey.Parse(File.ReadAllText(path));
        var key = SigningKey.Generate();
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, key.ToFileText() + "\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return key;
    }
}
