using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Auth;

/// <summary>
/// Turns a presented secret into a <see cref="Grant"/>. Valid tokens, and secrets that match none, are cached for <see cref="CacheFor"/>;
/// a revocation in this process evicts at once, one in another process takes effect within <see cref="CacheFor"/>.
/// Expiry is checked on every call against the injected clock. The caches are keyed by the presented secret itself
/// (process memory only, like the request that carried it), so a cache hit costs no hash; the database holds only hashes.
/// </summary>
public sealed class TokenAuthenticator(TallyDatabase database, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    /// <summary>Bound on each cache; a cache that reaches it starts over.</summary>
    public const int MaxCachedEntries = 100_000;

    private readonly ConcurrentDictionary<string, CachedGrant> _cache = new(StringComparer.Ordinal);

    // Secrets that matched no live token, so a flood of bad tokens costs no database query each.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _unknown = new(StringComparer.Ordinal);

    public async ValueTask<Grant?> AuthenticateAsync(string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(TokenSecrets.Prefix, StringComparison.Ordinal) && secret.Length < 16)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(secret, out var cached) && cached.CachedUntil > now)
        {
            return IsLive(cached.ExpiresAt, null, now) ? cached.Grant : null;
        }

        if (_unknown.TryGetValue(secret, out var until) && until > now)
        {
            return null;
        }

        var hash = TokenSecrets.Hash(secret);
        await using var db = database.CreateContext();
        var row = await db.ApiTokens.AsNoTracking().SingleOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (row is null || !IsLive(row.ExpiresAt, row.RevokedAt, now))
        {
            _cache.TryRemove(secret, out _);
            Remember(_unknown, secret, now + CacheFor);
            return null;
        }

        var grant = ToGrant(row);
        Remember(_cache, secret, new CachedGrant(grant, row.ExpiresAt, now + CacheFor));
        return grant;
    }

    /// <summary>Forgets a revoked token in this process at once.</summary>
    public void Evict(string tokenId)
    {
        foreach (var (secret, cached) in _cache)
        {
            if (cached.Grant.TokenId == tokenId)
            {
                _cache.TryRemove(secret, out _);
            }
        }
    }

    private static void Remember<T>(ConcurrentDictionary<string, T> cache, string secret, T value)
    {
        if (cache.Count >= MaxCachedEntries)
        {
            cache.Clear();
        }

        cache[secret] = value;
    }

    public static Grant ToGrant(ApiTokenRow row) => new(
        row.Id,
        row.TenantId == ApiTokenRow.OperatorTenant ? null : row.TenantId,
        Roles.Parse(row.Role),
        Split(row.Permissions),
        Split(row.Scopes),
        Split(row.Namespaces));

    public static string[] Split(string list) => list.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static bool IsLive(DateTimeOffset? expiresAt, DateTimeOffset? revokedAt, DateTimeOffset now) =>
        revokedAt is null && (expiresAt is null || expiresAt > now);

    private sealed record CachedGrant(Grant Grant, DateTimeOffset? ExpiresAt, DateTimeOffset CachedUntil);
}
