using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Tally.Storage;

namespace Tally.Server.Features.Usage;

/// <summary>What an event's tenant/namespace pair resolved to.</summary>
internal enum NamespaceStatus
{
    Exists,
    NoTenant,
    NoNamespace,
}

/// <summary>
/// Whether tenants, namespaces and catalog metrics exist, for ingestion. Found names are cached for
/// <see cref="CacheFor"/>; names not found are looked up again on the next request (one query for all of a request's
/// misses), so a namespace or metric created a moment ago is accepted at once, and a deleted one is refused within
/// <see cref="CacheFor"/>.
/// </summary>
public sealed class UsageReferences(TallyDatabase database, TimeProvider clock)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    /// <summary>Bound on cached pairs; the cache starts over when it is reached.</summary>
    public const int MaxCachedEntries = 100_000;

    private readonly ConcurrentDictionary<(string Tenant, string Namespace), DateTimeOffset> _namespaces = new();
    private volatile MetricSet _metrics = new(new HashSet<string>(StringComparer.Ordinal), DateTimeOffset.MinValue);

    internal async Task<Dictionary<(string Tenant, string Namespace), NamespaceStatus>> ResolveNamespacesAsync(
        IEnumerable<(string Tenant, string Namespace)> pairs, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var result = new Dictionary<(string, string), NamespaceStatus>();
        List<(string Tenant, string Namespace)>? misses = null;
        foreach (var pair in pairs)
        {
            if (_namespaces.TryGetValue(pair, out var until) && until > now)
            {
                result[pair] = NamespaceStatus.Exists;
            }
            else
            {
                (misses ??= []).Add(pair);
            }
        }

        if (misses is null)
        {
            return result;
        }

        var tenantIds = misses.Select(m => m.Tenant).Distinct(StringComparer.Ordinal).ToList();
        var names = misses.Select(m => m.Namespace).Distinct(StringComparer.Ordinal).ToList();
        await using var db = database.CreateContext();
        var tenants = (await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.TenantId)).Select(t => t.TenantId).ToListAsync(ct))
            .ToHashSet(StringComparer.Ordinal);
        var found = (await db.Namespaces.AsNoTracking()
                .Where(n => tenantIds.Contains(n.TenantId) && names.Contains(n.Name))
                .Select(n => new { n.TenantId, n.Name })
                .ToListAsync(ct))
            .Select(n => (n.TenantId, n.Name))
            .ToHashSet();
        if (_namespaces.Count >= MaxCachedEntries)
        {
            _namespaces.Clear();
        }

        foreach (var pair in misses)
        {
            var status = !tenants.Contains(pair.Tenant) ? NamespaceStatus.NoTenant
                : found.Contains(pair) ? NamespaceStatus.Exists
                : NamespaceStatus.NoNamespace;
            result[pair] = status;
            if (status == NamespaceStatus.Exists)
            {
                _namespaces[pair] = now + CacheFor;
            }
        }

        return result;
    }

    /// <summary>The subset of <paramref name="metrics"/> that exists in the catalog (<c>metrics</c> table).</summary>
    internal async Task<HashSet<string>> ResolveMetricsAsync(IReadOnlyCollection<string> metrics, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var cached = _metrics;
        if (cached.Until <= now || !metrics.All(cached.Names.Contains))
        {
            await using var db = database.CreateContext();
            var names = await db.Metrics.AsNoTracking().Select(m => m.Name).ToListAsync(ct);
            cached = new MetricSet(names.ToHashSet(StringComparer.Ordinal), now + CacheFor);
            _metrics = cached;
        }

        return metrics.Where(cached.Names.Contains).ToHashSet(StringComparer.Ordinal);
    }

    private sealed record MetricSet(HashSet<string> Names, DateTimeOffset Until);
}
