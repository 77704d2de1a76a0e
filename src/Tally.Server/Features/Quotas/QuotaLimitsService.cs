using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain.Quotas;
using Tally.Server.Features.Catalog;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Quotas;

/// <summary>
/// Effective quota limits per (tenant, namespace), resolved by <see cref="EffectiveLimits.Resolve"/> from the default quota
/// of the tenant's plan (none without a plan), enabled quota objects in <c>system</c>, then in the namespace. Results are
/// cached for <see cref="TallyOptions.LimitCacheFor"/>; writes through this process (quota objects, plans, plan
/// assignments) invalidate at once.
/// </summary>
public sealed class QuotaLimitsService(TallyDatabase database, CatalogService catalog, TallyOptions options, TimeProvider clock)
{
    /// <summary>Bound on cached (tenant, namespace) entries; the cache starts over when it is reached.</summary>
    public const int MaxCachedEntries = 100_000;

    private readonly ConcurrentDictionary<(string Tenant, string Namespace), (EffectiveLimits Limits, DateTimeOffset Until)> _cache = new();

    public async Task<EffectiveLimits> GetAsync(string tenantId, string ns, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue((tenantId, ns), out var hit) && hit.Until > now)
        {
            return hit.Limits;
        }

        await using var db = database.CreateContext();
        var rows = await db.QuotaObjects.AsNoTracking()
            .Where(q => q.TenantId == tenantId && !q.Disabled && (q.Namespace == NamespaceRow.System || q.Namespace == ns))
            .Select(q => new { q.Namespace, q.SpecJson })
            .ToListAsync(ct);
        var system = rows.Where(r => r.Namespace == NamespaceRow.System).Select(r => Parse(r.SpecJson));
        var own = ns == NamespaceRow.System ? [] : rows.Where(r => r.Namespace == ns).Select(r => Parse(r.SpecJson));
        var plan = await catalog.GetTenantPlanAsync(tenantId, ct);
        var limits = EffectiveLimits.Resolve(plan?.Plan.DefaultQuota, system, own);
        if (_cache.Count >= MaxCachedEntries)
        {
            _cache.Clear();
        }

        _cache[(tenantId, ns)] = (limits, now + options.LimitCacheFor);
        return limits;
    }

    /// <summary>Drops cached limits of <paramref name="tenantId"/> (after a quota object changes).</summary>
    public void Invalidate(string tenantId)
    {
        foreach (var key in _cache.Keys)
        {
            if (key.Tenant == tenantId)
            {
                _cache.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Drops every cached entry (after a plan changes).</summary>
    public void InvalidateAll() => _cache.Clear();

    public static QuotaSpec Parse(string specJson) =>
        (JsonSerializer.Deserialize<F5QuotaSpec>(specJson, TallyJson.Options) ?? new F5QuotaSpec(null, null, null)).ToDomain();
}
