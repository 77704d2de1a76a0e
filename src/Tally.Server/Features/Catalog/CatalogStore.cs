using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Server.Errors;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Catalog;

/// <summary>Outcome of a PUT: created or not, when the entry was last written, or why it was refused (409).</summary>
public sealed record PutOutcome(bool Created, bool Changed, DateTimeOffset UpdatedAt, string? Conflict = null);

/// <summary>Outcome of a DELETE: whether the entry existed, or why it was refused (409).</summary>
public sealed record DeleteOutcome(bool Found, string? Conflict = null);

/// <summary>What a catalog load changed.</summary>
public sealed record CatalogLoadResult(int Created, int Updated, int Unchanged);

/// <summary>
/// Write side of the catalog. Every write runs in one transaction holding the catalog lock (PostgreSQL: a transaction
/// advisory lock; SQLite: the write lock taken by the transaction), so reference checks and writes cannot interleave
/// across threads or processes: a plan never refers to a missing metric or add-on, a tenant never to a missing plan.
/// Writing identical content changes nothing (not even <c>updated_at</c>). After a write this process's caches are dropped.
/// </summary>
public sealed class CatalogStore(TallyDatabase database, CatalogService catalog, QuotaLimitsService limits)
{
    /// <summary>Key of the PostgreSQL advisory lock serialising catalog writes (0x54414C4C59434154, "TALLYCAT").</summary>
    public const long AdvisoryLockKey = 0x54414C4C59434154;

    private const string LockSql = "SELECT pg_advisory_xact_lock(6071217663470944596)";

    public Task<PutOutcome> PutMetricAsync(MetricDefinition metric, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var outcome = await UpsertAsync(db, db.Metrics, metric.Name, Json(CatalogMapping.FromMetric(metric)), now,
                (name, json) => new MetricRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct);
            return outcome;
        }, planChanged: false, ct);

    public Task<PutOutcome> PutAddOnAsync(AddOnDefinition addOn, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            await RequireMetricsAsync(db, addOn.Prices.Select(p => p.Metric).ToList(), "prices", [], ct);
            return await UpsertAsync(db, db.AddOns, addOn.Name, Json(CatalogMapping.FromAddOn(addOn)), now,
                (name, json) => new AddOnRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct);
        }, planChanged: false, ct);

    public Task<PutOutcome> PutPlanAsync(PlanDefinition plan, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            await RequireMetricsAsync(db, plan.Prices.Select(p => p.Metric).ToList(), "prices", [], ct);
            await RequireAddOnsAsync(db, plan.IncludedAddOns, "included_addon_services", [], ct);
            await RequireAddOnsAsync(db, plan.AllowedAddOns, "allowed_addon_services", [], ct);
            if (await CurrencyConflictAsync(db, plan, now, ct) is { } conflict)
            {
                return new PutOutcome(false, false, now, conflict);
            }

            return await UpsertAsync(db, db.Plans, plan.Name, Json(CatalogMapping.FromPlan(plan)), now,
                (name, json) => new PlanRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct);
        }, planChanged: true, ct);

    public Task<DeleteOutcome> DeleteMetricAsync(string name, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var row = await db.Metrics.SingleOrDefaultAsync(m => m.Name == name, ct);
            if (row is null)
            {
                return new DeleteOutcome(false);
            }

            var plans = (await db.Plans.AsNoTracking().ToListAsync(ct))
                .Where(p => CatalogService.Read<PlanBody>(p.DefinitionJson).Prices?.Any(x => x.Metric == name) == true).Select(p => p.Name);
            var addOns = (await db.AddOns.AsNoTracking().ToListAsync(ct))
                .Where(a => CatalogService.Read<AddOnBody>(a.DefinitionJson).Prices?.Any(x => x.Metric == name) == true).Select(a => a.Name);
            if (UsedBy(("plan", plans), ("add-on", addOns)) is { } users)
            {
                return new DeleteOutcome(true, $"Metric '{name}' is still priced by {users}; remove those prices first.");
            }

            db.Metrics.Remove(row);
            await db.SaveChangesAsync(ct);
            return new DeleteOutcome(true);
        }, planChanged: false, ct);

    public Task<DeleteOutcome> DeleteAddOnAsync(string name, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var row = await db.AddOns.SingleOrDefaultAsync(a => a.Name == name, ct);
            if (row is null)
            {
                return new DeleteOutcome(false);
            }

            var plans = (await db.Plans.AsNoTracking().ToListAsync(ct))
                .Where(p => CatalogService.Read<PlanBody>(p.DefinitionJson) is var b
                    && ((b.IncludedAddonServices?.Contains(name) ?? false) || (b.AllowedAddonServices?.Contains(name) ?? false)))
                .Select(p => p.Name);
            if (UsedBy(("plan", plans)) is { } users)
            {
                return new DeleteOutcome(true, $"Add-on '{name}' is still listed by {users}; remove it from their add-on lists first.");
            }

            db.AddOns.Remove(row);
            await db.SaveChangesAsync(ct);
            return new DeleteOutcome(true);
        }, planChanged: false, ct);

    public Task<DeleteOutcome> DeletePlanAsync(string name, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var row = await db.Plans.SingleOrDefaultAsync(p => p.Name == name, ct);
            if (row is null)
            {
                return new DeleteOutcome(false);
            }

            var tenants = await PlanSubscriptions.OnPlanFrom(db, name, now)
                .Select(s => s.TenantId).Distinct().OrderBy(t => t).Take(11).ToListAsync(ct);
            if (UsedBy(("tenant", tenants)) is { } users)
            {
                return new DeleteOutcome(true, $"Plan '{name}' is still assigned to {users}; move them to another plan first.");
            }

            db.Plans.Remove(row);
            await db.SaveChangesAsync(ct);
            return new DeleteOutcome(true);
        }, planChanged: true, ct);

    /// <summary>
    /// Puts <paramref name="tenantId"/> on <paramref name="planName"/> from <paramref name="now"/> through
    /// <see cref="PlanSubscriptions.SwitchAsync"/> (the plan's trial, once per tenant and plan; add-ons the plan does not
    /// allow end). Assigning the plan the tenant is already on changes nothing. Returns null when the tenant does not exist; throws
    /// <see cref="RequestValidationException"/> (field <c>plan</c>) for an unknown plan or one in another currency.
    /// </summary>
    public async Task<TenantPlanResponse?> AssignPlanAsync(string tenantId, string planName, DateTimeOffset now, CancellationToken ct) =>
        await AssignPlanAsync(tenantId, planName, effectiveAt: null, now, ct);

    /// <summary>
    /// Puts the tenant on <paramref name="planName"/> from <paramref name="effectiveAt"/> (null: now; earlier than now:
    /// back-dated, see <see cref="PlanSubscriptions.BackdateAsync"/>, refused with a 400 on <c>effective_at</c> before the
    /// end of the last invoiced period). Null when the tenant does not exist.
    /// </summary>
    public async Task<TenantPlanResponse?> AssignPlanAsync(string tenantId, string planName, DateTimeOffset? effectiveAt, DateTimeOffset now, CancellationToken ct)
    {
        var result = await WriteAsync(async db =>
        {
            var tenant = await db.Tenants.SingleOrDefaultAsync(t => t.TenantId == tenantId, ct);
            if (tenant is null)
            {
                return null;
            }

            var row = await db.Plans.AsNoTracking().SingleOrDefaultAsync(p => p.Name == planName, ct)
                ?? throw new RequestValidationException("plan", $"Plan '{Names.Truncate(planName)}' does not exist in the catalog.");
            var body = CatalogService.Read<PlanBody>(row.DefinitionJson);
            var currency = body.Currency;
            if (currency != tenant.Currency)
            {
                throw new RequestValidationException("plan", $"Plan '{planName}' is priced in {currency}, but tenant '{tenantId}' is billed in {tenant.Currency}.");
            }

            if (!await db.LockTenantAsync(tenantId, ct))
            {
                return null;
            }

            var from = effectiveAt ?? now;
            var current = await PlanSubscriptions.InEffectAsync(db, tenantId, from, ct);
            if (current?.Plan == planName && (effectiveAt is null || current.StartsAt == from))
            {
                return new TenantPlanResponse(tenantId, planName, current.StartsAt);
            }

            PlanSubscriptionRow created;
            try
            {
                created = from < now
                    ? await PlanSubscriptions.BackdateAsync(db, tenantId, CatalogMapping.ToPlan(planName, body), from, now, ct)
                    : await PlanSubscriptions.SwitchAsync(db, tenantId, CatalogMapping.ToPlan(planName, body), from, now, ct);
            }
            catch (ArgumentOutOfRangeException e) when (e.ParamName == "from")
            {
                throw new RequestValidationException("effective_at", $"effective_at {from:O} lies in a period already invoiced: {e.Message.Split(" (Parameter", 2)[0]}");
            }

            tenant.UpdatedAt = now;
            await db.SaveChangesAsync(ct);
            return new TenantPlanResponse(tenantId, planName, created.StartsAt);
        }, planChanged: false, ct);
        limits.Invalidate(tenantId);
        return result;
    }

    /// <summary>
    /// Writes every entry of a validated catalog file in one transaction (metrics, add-ons, then plans). References may
    /// point into the file or at entries already stored. Entries not in the file are left alone. Throws
    /// <see cref="CatalogLoadException"/> naming the entry and field; then nothing is written.
    /// </summary>
    public Task<CatalogLoadResult> ApplyAsync(ValidCatalog file, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(async db =>
        {
            var metricNames = file.Metrics.Select(m => m.Name).ToList();
            var addOnNames = file.AddOns.Select(a => a.Name).ToList();
            foreach (var addOn in file.AddOns)
            {
                await Entry("addons", addOn.Name, () => RequireMetricsAsync(db, addOn.Prices.Select(p => p.Metric).ToList(), "prices", metricNames, ct));
            }

            foreach (var plan in file.Plans)
            {
                await Entry("plans", plan.Name, async () =>
                {
                    await RequireMetricsAsync(db, plan.Prices.Select(p => p.Metric).ToList(), "prices", metricNames, ct);
                    await RequireAddOnsAsync(db, plan.IncludedAddOns, "included_addon_services", addOnNames, ct);
                    await RequireAddOnsAsync(db, plan.AllowedAddOns, "allowed_addon_services", addOnNames, ct);
                    if (await CurrencyConflictAsync(db, plan, now, ct) is { } conflict)
                    {
                        throw new RequestValidationException("currency", conflict);
                    }
                });
            }

            var outcomes = new List<PutOutcome>();
            foreach (var metric in file.Metrics)
            {
                outcomes.Add(await UpsertAsync(db, db.Metrics, metric.Name, Json(CatalogMapping.FromMetric(metric)), now,
                    (name, json) => new MetricRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct));
            }

            foreach (var addOn in file.AddOns)
            {
                outcomes.Add(await UpsertAsync(db, db.AddOns, addOn.Name, Json(CatalogMapping.FromAddOn(addOn)), now,
                    (name, json) => new AddOnRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct));
            }

            foreach (var plan in file.Plans)
            {
                outcomes.Add(await UpsertAsync(db, db.Plans, plan.Name, Json(CatalogMapping.FromPlan(plan)), now,
                    (name, json) => new PlanRow { Name = name, DefinitionJson = json, UpdatedAt = now }, ct));
            }

            var created = outcomes.Count(o => o.Created);
            var updated = outcomes.Count(o => o.Changed && !o.Created);
            return new CatalogLoadResult(created, updated, outcomes.Count - created - updated);
        }, planChanged: true, ct);

    private static async Task Entry(string section, string name, Func<Task> check)
    {
        try
        {
            await check();
        }
        catch (RequestValidationException e)
        {
            var prefix = $"{section}.{name}.";
            throw new CatalogLoadException(prefix + e.Field, CatalogMapping.Prefix(prefix, e.Field, e.Message));
        }
    }

    private async Task<T> WriteAsync<T>(Func<TallyDbContext, Task<T>> work, bool planChanged, CancellationToken ct)
    {
        try
        {
            await using var db = database.CreateContext();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            if (database.Engine == DatabaseEngine.Postgres)
            {
                await db.Database.ExecuteSqlRawAsync(LockSql, ct);
            }

            var result = await work(db);
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            catalog.Invalidate();
            if (planChanged)
            {
                limits.InvalidateAll();
            }
        }
    }

    /// <summary>Inserts or replaces one row; identical JSON leaves the row (and its <c>updated_at</c>) as it is.</summary>
    private static async Task<PutOutcome> UpsertAsync<TRow>(
        TallyDbContext db, DbSet<TRow> set, string name, string json, DateTimeOffset now, Func<string, string, TRow> create, CancellationToken ct)
        where TRow : class
    {
        var row = await set.FindAsync([name], ct);
        if (row is null)
        {
            set.Add(create(name, json));
            await db.SaveChangesAsync(ct);
            return new PutOutcome(true, true, now);
        }

        var entry = db.Entry(row);
        var updatedAt = entry.Property<DateTimeOffset>("UpdatedAt");
        if (entry.Property<string>("DefinitionJson").CurrentValue == json)
        {
            return new PutOutcome(false, false, updatedAt.CurrentValue);
        }

        entry.Property<string>("DefinitionJson").CurrentValue = json;
        updatedAt.CurrentValue = now;
        await db.SaveChangesAsync(ct);
        return new PutOutcome(false, true, now);
    }

    private static async Task RequireMetricsAsync(TallyDbContext db, List<string> metrics, string field, IReadOnlyCollection<string> alsoKnown, CancellationToken ct)
    {
        var wanted = metrics.Where(m => !alsoKnown.Contains(m)).Distinct().ToList();
        var known = await db.Metrics.AsNoTracking().Where(m => wanted.Contains(m.Name)).Select(m => m.Name).ToListAsync(ct);
        for (var i = 0; i < metrics.Count; i++)
        {
            if (wanted.Contains(metrics[i]) && !known.Contains(metrics[i]))
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}].metric");
                throw new RequestValidationException(path, $"{path}: metric '{metrics[i]}' does not exist in the catalog.");
            }
        }
    }

    private static async Task RequireAddOnsAsync(TallyDbContext db, IReadOnlyList<string> addOns, string field, IReadOnlyCollection<string> alsoKnown, CancellationToken ct)
    {
        var wanted = addOns.Where(a => !alsoKnown.Contains(a)).Distinct().ToList();
        var known = await db.AddOns.AsNoTracking().Where(a => wanted.Contains(a.Name)).Select(a => a.Name).ToListAsync(ct);
        for (var i = 0; i < addOns.Count; i++)
        {
            if (wanted.Contains(addOns[i]) && !known.Contains(addOns[i]))
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]");
                throw new RequestValidationException(path, $"{path}: add-on '{addOns[i]}' does not exist in the catalog.");
            }
        }
    }

    /// <summary>A plan's currency cannot change while tenants billed in another currency are on it.</summary>
    private static async Task<string?> CurrencyConflictAsync(TallyDbContext db, PlanDefinition plan, DateTimeOffset now, CancellationToken ct)
    {
        var code = plan.Currency.Code;
        var others = await PlanSubscriptions.OnPlanFrom(db, plan.Name, now)
            .Join(db.Tenants.Where(t => t.Currency != code), s => s.TenantId, t => t.TenantId, (s, t) => t.TenantId)
            .Distinct().OrderBy(t => t).Take(11).ToListAsync(ct);
        return UsedBy(("tenant", others)) is { } users
            ? $"Plan '{plan.Name}' cannot be priced in {code}: it is assigned to {users} billed in another currency."
            : null;
    }

    /// <summary>"plan(s) a, b and tenant(s) c" for the non-empty groups (at most 10 names each), or null when all are empty.</summary>
    private static string? UsedBy(params (string Kind, IEnumerable<string> Names)[] groups)
    {
        var parts = new List<string>();
        foreach (var (kind, names) in groups)
        {
            var list = names.Take(11).ToList();
            if (list.Count > 0)
            {
                var shown = string.Join(", ", list.Take(10).Select(n => $"'{n}'"));
                parts.Add($"{kind}{(list.Count > 1 ? "s" : "")} {shown}{(list.Count > 10 ? " and more" : "")}");
            }
        }

        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }

    private static string Json<T>(T body) => JsonSerializer.Serialize(body, TallyJson.Options);
}

/// <summary>A catalog file after every entry passed validation, in load order.</summary>
public sealed record ValidCatalog(IReadOnlyList<MetricDefinition> Metrics, IReadOnlyList<AddOnDefinition> AddOns, IReadOnlyList<PlanDefinition> Plans);

/// <summary>A catalog file could not be loaded. <see cref="Field"/> is a path such as <c>plans.team-v1.prices[0].metric</c>; the message names it too.</summary>
public sealed class CatalogLoadException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
