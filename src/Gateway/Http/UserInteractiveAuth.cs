using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Myelin.Grains;
using Myelin.Matrix;
using Myelin.Storage;

namespace Myelin.Gateway.Http;

/// <summary>
/// User-interactive authentication (spec: client-server API "User-Interactive Authentication API"):
/// sessions, flows and stages. A request without a completed flow is answered 401 with the flows, the
/// session ID and the stages completed so far.
/// </summary>
public sealed class UserInteractiveAuth(MyelinDatabase db)
{
    sealed class Session
    {
        public readonly HashSet<string> Completed = [];
        public DateTimeOffset Created = DateTimeOffset.UtcNow;
        public string? UserId;
    }

    static readonly TimeSpan SessionLifetime = TimeSpan.FromMinutes(30);
    readonly ConcurrentDictionary<string, Session> _sessions = new();

    /// <summary>
    /// Checks the request's <c>auth</c> against the flows; returns when one is complete, otherwise throws the
    /// 401 response. <paramref name="userId"/> is the authenticated user for password stages.
    /// </summary>
    public async Task RequireAsync(JsonObject body, IReadOnlyList<string[]> flows, string? userId)
    {
        Expire();
        var auth = body.OptObject("auth");
        Session? session = null;
        string? sessionId = auth?.OptString("session");
        if (sessionId is not null && !_sessions.TryGetValue(sessionId, out session))
            throw new MatrixException(400, "M_UNKNOWN", "Unknown session ID");
        if (session is null)
        {
            sessionId = MatrixIds.NewOpaqueId(24);
            session = new Session { UserId = userId };
            _sessions[sessionId] = session;
        }

        string? stageError = null;
        var type = auth?.OptString("type");
        if (type is not null)
        {
            if (!flows.Any(f => f.Contains(type)))
                stageError = $"Auth type {type} is not one of the flows";
            else if (type == "m.login.dummy")
                session.Completed.Add(type);
            else if (type == "m.login.password")
            {
                if (await CheckPasswordAsync(auth!, userId)) session.Completed.Add(type);
                else throw Challenge(flows, sessionId!, session, 401, "M_FORBIDDEN", "Invalid password");
            }
            else stageError = $"Auth type {type} is not supported";
        }

        if (flows.Any(f => f.All(session.Completed.Contains)))
        {
            _sessions.TryRemove(sessionId!, out _);
            return;
        }
        throw Challenge(flows, sessionId!, session, 401, stageError is null ? null : "M_UNRECOGNIZED", stageError);
    }

    async Task<bool> CheckPasswordAsync(JsonObject auth, string? userId)
    {
        var password = auth.OptString("password");
        if (password is null || userId is null) return false;
        var claimed = auth.OptObject("identifier")?.OptString("user") ?? auth.OptString("user");
        if (claimed is not null)
        {
            var server = MatrixIds.ServerOf(userId);
            var full = claimed.StartsWith('@') ? claimed : $"@{claimed}:{server}";
            if (!string.Equals(full, userId, StringComparison.OrdinalIgnoreCase)) return false;
        }
        var user = await db.Accounts.GetUserAsync(userId);
        return user?.PasswordHash is not null && PasswordHasher.Verify(password, user.PasswordHash);
    }

    static MatrixException Challenge(IReadOnlyList<string[]> flows, string sessionId, Session s, int status, string? errcode, string? error)
    {
        var body = new JsonObject
        {
            ["flows"] = new JsonArray(flows.Select(f => (JsonNode)new JsonObject
            {
                ["stages"] = new JsonArray(f.Select(x => (JsonNode)x!).ToArray()),
            }).ToArray()),
            ["params"] = new JsonObject(),
            ["session"] = sessionId,
            ["completed"] = new JsonArray(s.Completed.Select(x => (JsonNode)x!).ToArray()),
        };
        // The 401 carries the flows; errcode/error only when a stage failed.
        return new MatrixException(status, errcode ?? "", error ?? "", body.ToJsonString()) { };
    }

    void Expire()
    {
        var cutoff = DateTimeOffset.UtcNow - SessionLifetime;
        foreach (var (k, v) in _sessions)
            if (v.Created < cutoff) _sessions.TryRemove(k, out _);
    }
}
