using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Myelin.Grains;
using Myelin.Storage;

namespace Myelin.Gateway.Http;

/// <summary>Who is making the request, from their access token. An application service acting through its
/// <c>as_token</c> has <paramref name="Appservice"/> set and no device (DeviceId empty, as Synapse's None).</summary>
public sealed record Requester(string UserId, string DeviceId, long TokenId, string AccessToken, bool IsGuest,
    Myelin.Matrix.ApplicationService? Appservice = null);

/// <summary>
/// Access tokens: issued in Synapse's <c>syt_&lt;base64 localpart&gt;_&lt;random&gt;_&lt;crc&gt;</c> shape (so a proxy
/// can hash /sync by user), stored hashed, and cached here; logout drops the cache entry.
/// </summary>
public sealed class AccessTokens(MyelinDatabase db)
{
    readonly ConcurrentDictionary<string, TokenOwner> _cache = new();

    public static string Generate(string localpart)
    {
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(localpart)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var random = RandomString(20);
        var body = $"syt_{b64}_{random}";
        var crc = Crc32.HashToUInt32(Encoding.ASCII.GetBytes(body));
        return $"{body}_{Base62(crc).PadLeft(6, '0')}";
    }

    static string RandomString(int n)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        return string.Create(n, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
        });
    }

    static string Base62(uint v)
    {
        const string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var sb = new StringBuilder();
        do { sb.Insert(0, digits[(int)(v % 62)]); v /= 62; } while (v > 0);
        return sb.ToString();
    }

    public async Task<string> IssueAsync(string userId, string deviceId)
    {
        var localpart = userId[1..userId.IndexOf(':')];
        var token = Generate(localpart);
        await db.AccessTokens.AddAccessTokenAsync(token, userId, deviceId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return token;
    }

    public async Task<TokenOwner?> LookupAsync(string token)
    {
        if (_cache.TryGetValue(token, out var cached)) return cached;
        var owner = await db.AccessTokens.GetOwnerAsync(token);
        if (owner is not null) _cache[token] = owner;
        return owner;
    }

    public void Forget(string token) => _cache.TryRemove(token, out _);

    public void ForgetUser(string userId)
    {
        foreach (var (k, v) in _cache)
            if (v.UserId == userId) _cache.TryRemove(k, out _);
    }

    /// <summary>The token of a request: <c>Authorization: Bearer</c> or the <c>access_token</c> query parameter.</summary>
    public static string? FromRequest(HttpRequest r)
    {
        var header = r.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        return r.Query.TryGetValue("access_token", out var q) ? q.ToString() : null;
    }
}

public static class RequesterExtensions
{
    /// <summary>Authenticates the request: 401 M_MISSING_TOKEN / M_UNKNOWN_TOKEN when it can't.</summary>
    public static async Task<Requester> AuthAsync(this HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(typeof(Requester), out var r) && r is Requester known) return known;
        var token = AccessTokens.FromRequest(ctx.Request)
            ?? throw new MatrixException(401, "M_MISSING_TOKEN", "Missing access token");
        if (ctx.RequestServices.GetService<Myelin.Matrix.ApplicationServices>()?.ByToken(token) is { } service)
        {
            var acting = await AppserviceAuth.AuthAsync(ctx, service, token);
            ctx.Items[typeof(Requester)] = acting;
            return acting;
        }
        var owner = await ctx.RequestServices.GetRequiredService<AccessTokens>().LookupAsync(token)
            ?? throw new MatrixException(401, "M_UNKNOWN_TOKEN", "Unknown access token", "{\"soft_logout\":false}");
        var requester = new Requester(owner.UserId, owner.DeviceId, owner.TokenId, token, false);
        ctx.Items[typeof(Requester)] = requester;
        return requester;
    }

    /// <summary>Authenticates the request and requires a server admin (Synapse's admin API): 403 M_FORBIDDEN
    /// for anyone else. Read from the database each time, so making or unmaking an admin takes effect at once.</summary>
    public static async Task<Requester> RequireServerAdminAsync(this HttpContext ctx)
    {
        var requester = await ctx.AuthAsync();
        var user = await ctx.RequestServices.GetRequiredService<MyelinDatabase>().Accounts.GetUserAsync(requester.UserId);
        if (user is not { IsAdmin: true })
            throw new MatrixException(403, "M_FORBIDDEN", "You are not a server admin");
        return requester;
    }
}
