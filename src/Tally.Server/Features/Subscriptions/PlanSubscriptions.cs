using Microsoft.EntityFrameworkCore;
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
    public static Task<PlanSubscriptionRow?> InEffectAsync(TallyDbContext db, string tenantId, DateTimeOffset at, CancellationToken ct) =>
        db.PlanSubscriptions.AsNoTracking()
            .Where(s => s.TenantId == tenantId && s.StartsAt <= at && (s.EndsAt == null || s.EndsAt > at))
            .OrderByDescending(s => s.StartsAt)
            .FirstOrDefaultAsync(ct);

    /// <summary>Subscriptions on <paramref name="plan"/> in effect at or scheduled after <paramref name="at"/>, of every tenant.</summary>
    public static IQueryable<PlanSubscriptionRow> OnPlanFrom(TallyDbContext db, string plan, DateTimeOffset at) =>
        db.PlanSubscriptions.AsNoTracking().Where(s => s.Plan == plan && (s.EndsAt == null || s.EndsAt > at));

    /// <summary>
    /// Puts the tenant on <paramref name="plan"/> from <paramref name="from"/> (≥ <paramref name="now"/>): the
    /// subscription in effect then ends at <paramref name="from"/>, subscriptions scheduled to start later are removed,
    /// and a new one starts. The caller holds a transaction and the tenant's lock (<see cref="TenantLock"/>) and saves.
    /// </summary>
    public static async Task<PlanSubscriptionRow> SwitchAsync(
        TallyDbContext db, string tenantId, string plan, DateTimeOffset from, DateTimeOffset now, DateTimeOffset? trialEndsAt, CancellationToken ct)
    {
        var open = await db.PlanSubscriptions
            .Where(s => s.TenantId == tenantId && (s.EndsAt == null || s.EndsAt > from))
            .ToListAsync(ct);
        foreach (var row in open)
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

        var created = new PlanSubscriptionRow
        {
            TenantId = tenantId,
            Id = NewId(),
            Plan = plan,
            StartsAt = from,
            TrialEndsAt = trialEndsAt,
            CreatedAt = now,
        };
        db.PlanSubscriptions.Add(created);
        return created;
    }

    /// <summary>"sub-" + a random UUID (F5's subscription <c>name</c> shape).</summary>
    public static string NewId() => "sub-" + Guid.NewGuid().ToString("D");
}
