using Microsoft.EntityFrameworkCore;
using Tally.Domain.Catalog;
using Tally.Domain.Subscriptions;
using Tally.Domain.Tenants;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Subscriptions;

/// <summary>
/// Which plan a tenant is on when: the rows of <c>plan_subscriptions</c>. A tenant's subscriptions never overlap; the
/// one in effect at an instant is the row with <c>starts_at &lt;= t &lt; ends_at</c> (open end = forever). Instants are UTC.
/// </summary>
public static class PlanSubscriptions
{
    /// <summary>The subscription in effect at <paramref name="at"/>, or null when the tenant is on no plan then.</summary>
    public static Task<PlanSubscriptionRow?> InEffectAsync(TallyDbContext db, string tenantId, DateTimeOffset at, CancellationToken ct)
    {
        at = at.ToUniversalTime();
        return db.PlanSubscriptions.AsNoTracking()
            .Where(s => s.TenantId == tenantId && s.StartsAt <= at && (s.EndsAt == null || s.EndsAt > at))
            .OrderByDescending(s => s.StartsAt)
            .FirstOrDefaultAsync(ct);
    }

    /// <summary>Subscriptions on <paramref name="plan"/> in effect at or scheduled after <paramref name="at"/>, of every tenant.</summary>
    public static IQueryable<PlanSubscriptionRow> OnPlanFrom(TallyDbContext db, string plan, DateTimeOffset at)
    {
        at = at.ToUniversalTime();
        return db.PlanSubscriptions.AsNoTracking().Where(s => s.Plan == plan && (s.EndsAt == null || s.EndsAt > at));
    }

    /// <summary>
    /// Puts the tenant on <paramref name="plan"/> from <paramref name="from"/> (≥ <paramref name="now"/>, else
    /// <see cref="ArgumentOutOfRangeException"/>): the subscription in effect then ends at <paramref name="from"/>
    /// (<c>cancelled_at</c> = <paramref name="now"/>), subscriptions scheduled to start at or after it are removed, and a
    /// new one starts. Its trial ends per <see cref="Trial.EndsAt(PlanDefinition, DateTimeOffset, TimeZoneInfo)"/> in the
    /// tenant's zone, unless the tenant was on <paramref name="plan"/> before <paramref name="from"/> (one trial per tenant
    /// and plan). Add-on subscriptions of add-ons that <paramref name="plan"/> does not allow (not allowed, or now
    /// included) end at <paramref name="from"/>, or are removed when they would only start then or later. Unsaved changes of
    /// the caller's context are taken into account. The caller holds a transaction and the tenant's lock
    /// (<see cref="TenantLock"/>) and saves; throws
    /// <see cref="InvalidOperationException"/> for a tenant that does not exist.
    /// </summary>
    public static async Task<PlanSubscriptionRow> SwitchAsync(
        TallyDbContext db, string tenantId, PlanDefinition plan, DateTimeOffset from, DateTimeOffset now, CancellationToken ct)
    {
        from = from.ToUniversalTime();
        ArgumentOutOfRangeException.ThrowIfLessThan(from, now.ToUniversalTime());
        return await SwitchCoreAsync(db, tenantId, plan, from, now, ct);
    }

    /// <summary>
    /// <see cref="SwitchAsync"/> for a <paramref name="from"/> that may lie in the past (a tenant migrated from another
    /// billing system keeps its start date): allowed back to the end of the last period a billing run invoiced
    /// (<c>tenants.billed_through</c>); earlier throws <see cref="ArgumentOutOfRangeException"/>, because those periods'
    /// invoices are issued and immutable.
    /// </summary>
    public static async Task<PlanSubscriptionRow> BackdateAsync(
        TallyDbContext db, string tenantId, PlanDefinition plan, DateTimeOffset from, DateTimeOffset now, CancellationToken ct)
    {
        from = from.ToUniversalTime();
        var billedThrough = await db.Tenants.Where(t => t.TenantId == tenantId).Select(t => t.BilledThrough).SingleOrDefaultAsync(ct);
        if (billedThrough is { } through && from < through)
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, $"Periods up to {through:O} are already invoiced.");
        }

        return await SwitchCoreAsync(db, tenantId, plan, from, now, ct);
    }

    private static async Task<PlanSubscriptionRow> SwitchCoreAsync(
        TallyDbContext db, string tenantId, PlanDefinition plan, DateTimeOffset from, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        now = now.ToUniversalTime();
        var timeZone = await db.Tenants.Where(t => t.TenantId == tenantId).Select(t => t.TimeZone).SingleOrDefaultAsync(ct)
            ?? throw new InvalidOperationException($"Tenant '{tenantId}' does not exist.");

        var rows = await TrackedAsync(db, tenantId, ct);
        var hadPlan = rows.Any(r => r.Plan == plan.Name && r.StartsAt < from);
        foreach (var row in rows.Where(r => r.EndsAt is null || r.EndsAt > from))
        {
            if (row.StartsAt >= from)
            {
                db.PlanSubscriptions.Remove(row);
            }
            else
            {
                row.EndsAt = from;
                row.CancelledAt = now;
            }
        }

        var addOns = await AddOnSubscriptions.TrackedAsync(db, tenantId, addOn: null, ct);
        foreach (var row in addOns.Where(a => (a.EndsAt is null || a.EndsAt > from) && !plan.AllowedAddOns.Contains(a.AddOn, StringComparer.Ordinal)))
        {
            if (row.StartsAt >= from)
            {
                db.AddOnSubscriptions.Remove(row);
            }
            else
            {
                row.EndsAt = from;
            }
        }

        var created = new PlanSubscriptionRow
        {
            TenantId = tenantId,
            Id = NewId(),
            Plan = plan.Name,
            StartsAt = from,
            TrialEndsAt = hadPlan ? null : Trial.EndsAt(plan, from, TimeZones.Require(timeZone)),
            CreatedAt = now,
        };
        db.PlanSubscriptions.Add(created);
        return created;
    }

    /// <summary>
    /// The tenant's plan subscriptions as the caller's context sees them: stored rows (tracked, with unsaved changes)
    /// plus rows added and not yet saved, minus rows removed and not yet saved. Oldest first.
    /// </summary>
    internal static async Task<List<PlanSubscriptionRow>> TrackedAsync(TallyDbContext db, string tenantId, CancellationToken ct)
    {
        await db.PlanSubscriptions.Where(s => s.TenantId == tenantId).LoadAsync(ct);
        return [.. db.PlanSubscriptions.Local.Where(s => s.TenantId == tenantId).OrderBy(s => s.StartsAt)];
    }

    /// <summary>"sub-" + a random UUID (F5's subscription <c>name</c> shape).</summary>
    public static string NewId() => "sub-" + Guid.NewGuid().ToString("D");
}
