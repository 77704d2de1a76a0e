using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Hosting;
using Tally.Storage;

namespace Tally.Server.Features.Catalog;

/// <summary>A catalog entry with the time it was last written.</summary>
public sealed record CatalogEntry<T>(T Definition, DateTimeOffset UpdatedAt);

/// <summary>The whole catalog at one moment: metrics, add-ons and plans by name.</summary>
public sealed class CatalogSnapshot(
    IReadOnlyDictionary<string, CatalogEntry<MetricDefinition>> metrics,
    IReadOnlyDictionary<string, CatalogEntry<AddOnDefinition>> addOns,
    IReadOnlyDictionary<string, CatalogEntry<PlanDefinition>> plans)
{
    public static readonly CatalogSnapshot Empty = new(
        FrozenDictionary<string, CatalogEntry<MetricDefinition>>.Empty,
        FrozenDictionary<string, CatalogEntry<AddOnDefinition>>.Empty,
        FrozenDictionary<string, CatalogEntry<PlanDefinition>>.Empty);

    public IReadOnlyDictionary<string, CatalogEntry<MetricDefinition>> Metrics { get; } = metrics;

    public IReadOnlyDictionary<string, CatalogEntry<AddOnDefinition>> AddOns { get; } = addOns;

    public IReadOnlyDictionary<string, CatalogEntry<PlanDefinition>> Plans { get; } = plans;
}

/// <summary>
/// Read side of the catalog, for every feature (rating, billing, F5 usage APIs). Singleton. The catalog is read whole
/// into a snapshot that is served for at most <see cref="CacheFor"/> and dropped at once when this process writes the
/// catalog (<see cref="Invalidate"/>); another process's writes show within <see cref="CacheFor"/>.
/// Lists are ordered by name (ordinal).
/// </summary>
public sealed class CatalogService(TallyDatabase database, TimeProvider clock, ILogger<CatalogService> logger)
{
    /// <summary>Longest time a snapshot is served.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private (CatalogSnapshot Snapshot, DateTimeOffset Until)? _cached;
    private long _version;

    public async Task<MetricDefinition?> GetMetricAsync(string name, CancellationToken ct) =>
        (await GetSnapshotAsync(ct)).Metrics.GetValueOrDefault(name)?.Definition;

    public async Task<IReadOnlyList<MetricDefinition>> ListMetricsAsync(CancellationToken ct) =>
        [.. (await GetSnapshotAsync(ct)).Metrics.Values.Select(e => e.Definition).OrderBy(m => m.Name, StringComparer.Ordinal)];

    public async Task<PlanDefinition?> GetPlanAsync(string name, CancellationToken ct) =>
        (await GetSnapshotAsync(ct)).Plans.GetValueOrDefault(name)?.Definition;

    public async Task<IReadOnlyList<PlanDefinition>> ListPlansAsync(CancellationToken ct) =>
        [.. (await GetSnapshotAsync(ct)).Plans.Values.Select(e => e.Definition).OrderBy(p => p.Name, StringComparer.Ordinal)];

    public async Task<AddOnDefinition?> GetAddOnAsync(string name, CancellationToken ct) =>
        (await GetSnapshotAsync(ct)).AddOns.GetValueOrDefault(name)?.Definition;

    public async Task<IReadOnlyList<AddOnDefinition>> ListAddOnsAsync(CancellationToken ct) =>
        [.. (await GetSnapshotAsync(ct)).AddOns.Values.Select(e => e.Definition).OrderBy(a => a.Name, StringComparer.Ordinal)];

    /// <summary>
    /// The plan the tenant is on now and when its subscription started; null when the tenant does not exist or is on no
    /// plan (or on one no longer in the catalog). Reads the tenant's subscriptions every time.
    /// </summary>
    public async Task<(PlanDefinition Plan, DateTimeOffset EffectiveAt)?> GetTenantPlanAsync(string tenantId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var row = await PlanSubscriptions.InEffectAsync(db, tenantId, clock.GetUtcNow(), ct);
        if (row is null || await GetPlanAsync(row.Plan, ct) is not { } plan)
        {
            return null;
        }

        return (plan, row.StartsAt);
    }

    /// <summary>The current snapshot (from cache when fresh).</summary>
    public async Task<CatalogSnapshot> GetSnapshotAsync(CancellationToken ct)
    {
        long version;
        lock (_gate)
        {
            if (_cached is { } hit && hit.Until > clock.GetUtcNow())
            {
                return hit.Snapshot;
            }

            version = _version;
        }

        var snapshot = await LoadAsync(ct);
        lock (_gate)
        {
            // A write that happened while loading may not be in this snapshot: serve it to this caller only.
            if (version == _version)
            {
                _cached = (snapshot, clock.GetUtcNow() + CacheFor);
            }
        }

        return snapshot;
    }

    /// <summary>Drops the cached snapshot (after a catalog write in this process).</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _version++;
            _cached = null;
        }
    }

    private async Task<CatalogSnapshot> LoadAsync(CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var metrics = await db.Metrics.AsNoTracking().Select(r => new { r.Name, r.DefinitionJson, r.UpdatedAt }).ToListAsync(ct);
        var addOns = await db.AddOns.AsNoTracking().Select(r => new { r.Name, r.DefinitionJson, r.UpdatedAt }).ToListAsync(ct);
        var plans = await db.Plans.AsNoTracking().Select(r => new { r.Name, r.DefinitionJson, r.UpdatedAt }).ToListAsync(ct);
        return new CatalogSnapshot(
            Build(metrics.Select(r => (r.Name, r.DefinitionJson, r.UpdatedAt)), "metric", (n, j) => CatalogMapping.ToMetric(n, Read<MetricBody>(j))),
            Build(addOns.Select(r => (r.Name, r.DefinitionJson, r.UpdatedAt)), "add-on", (n, j) => CatalogMapping.ToAddOn(n, Read<AddOnBody>(j))),
            Build(plans.Select(r => (r.Name, r.DefinitionJson, r.UpdatedAt)), "plan", (n, j) => CatalogMapping.ToPlan(n, Read<PlanBody>(j))));
    }

    private FrozenDictionary<string, CatalogEntry<T>> Build<T>(
        IEnumerable<(string Name, string Json, DateTimeOffset UpdatedAt)> rows, string kind, Func<string, string, T> parse)
    {
        var result = new Dictionary<string, CatalogEntry<T>>(StringComparer.Ordinal);
        foreach (var (name, json, updatedAt) in rows)
        {
            try
            {
                result[name] = new CatalogEntry<T>(parse(name, json), updatedAt);
            }
            catch (Exception e) when (e is JsonException or DomainValidationException or Errors.RequestValidationException)
            {
                // Stored entries were validated when written; one that no longer parses is skipped, not fatal.
                logger.LogError(e, "Stored catalog {Kind} '{Name}' is invalid and is ignored", kind, name);
            }
        }

        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    internal static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, TallyJson.Options) ?? throw new JsonException("null definition");
}
