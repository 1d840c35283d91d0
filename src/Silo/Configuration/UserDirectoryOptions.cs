namespace Myelin.Silo.Configuration;

/// <summary>
/// Synapse's <c>user_directory</c> section. <c>enabled: false</c> answers every search with no results (the
/// directory is still kept, so turning it back on needs no rebuild); <c>search_all_users</c> makes every
/// user a candidate, not only those sharing a room with the searcher or in a public room;
/// <c>prefer_local_users</c> ranks this server's users higher; <c>exclude_remote_users</c> finds local users only.
/// </summary>
public sealed record UserDirectoryOptions(
    bool Enabled = true, bool SearchAllUsers = false, bool PreferLocalUsers = false, bool ExcludeRemoteUsers = false)
{
    public static UserDirectoryOptions FromConfig(ConfigDocument c)
    {
        if (c.Has("user_directory")) c.Map("user_directory");
        return new UserDirectoryOptions(
            c.Bool("user_directory.enabled", true),
            c.Bool("user_directory.search_all_users", false),
            c.Bool("user_directory.prefer_local_users", false),
            c.Bool("user_directory.exclude_remote_users", false));
    }
}
