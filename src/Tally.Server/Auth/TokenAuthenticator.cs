using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Auth;

/// <summary>
/// Turns a presented secret into a <see cref="Grant"/>. Valid tokens are cached for <see cref="CacheFor"/>;
/// a revocation in this process evicts at once, one in another process takes effect within <see cref="CacheFor"/>.
/// Expiry is checked on every call against the injected clock.
/// </summary>
public sealed class TokenAuthenticator(TallyDatabase database, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, CachedGrant> _cache = new(StringComparer.Ordinal);

    public async ValueTask<Grant?> AuthenticateAsync(string secret, CancellationToken ct)
    {
        if (!secret.StartsWith(TokenSecrets.Prefix, StringComparison.Ordinal) && secret.Length < 16)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var hash = TokenSecrets.Hash(secret);
        if (_cache.TryGetValue(hash, out var cached) && cached.CachedUntil > now)
        {
            return IsLive(cached.ExpiresAt, null, now) ? cached.Grant : null;
        }

        await using var db = database.CreateContext();
        var row = await db.ApiTokens.AsNoTracking().SingleOrDefaultAsync(t => t.SecretHash == hash, ct);
        if (row is null || !IsLive(row.ExpiresAt, row.RevokedAt, now))
        {
            _cache.TryRemove(hash, out _);
            return null;
        }

        var grant = ToGrant(row);
        _cache[hash] = new CachedGrant(grant, row.ExpiresAt, now + CacheFor);
        return grant;
    }

    /// <summary>Forgets a revoked token in this process at once.</summary>
    public void Evict(string tokenId)
    {
        foreach (var (hash, cached) in _cache)
        {
            if (cached.Grant.TokenId == tokenId)
            {
                _cache.TryRemove(hash, out _);
            }
        }
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
