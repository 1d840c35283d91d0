namespace Myelin.Gateway.Endpoints.Client;

// Groups being written; each moves to its own file.
public static class PendingGroups
{
}
