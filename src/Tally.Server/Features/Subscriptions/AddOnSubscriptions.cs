using Microsoft.EntityFrameworkCore;
using Tally.Domain.Catalog;
using Tally.Server.Features.Catalog;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Subscriptions;

/// <summary>What a subscribe or unsubscribe call did.</summary>
public enum AddOnChange
{
    /// <summary>A subscription now starts at the requested instant (a new row, or a scheduled one moved forward).</summary>
    Subscribed,

    /// <summary>The tenant was already subscribed at that instant: nothing changed.</summary>
    AlreadySubscribed,

    /// <summary>The plan includes the add-on: nothing to subscribe, nothing changed.</summary>
    Included,

    /// <summary>The subscription ends at the requested instant (later ones are removed).</summary>
    Unsubscribed,

    /// <summary>The tenant was not subscribed at or after that instant: nothing changed.</summary>
    NotSubscribed,

    /// <summary>Refused; <see cref="AddOnOutcome.Refusal"/> says why. Nothing changed.</summary>
    Refused,
}

/// <summary>Outcome of <see cref="AddOnSubscriptions"/>: what happened, the row concerned (if any), and why it was refused (else null).</summary>
public sealed record AddOnOutcome(AddOnChange Change, string? Refusal = null, AddOnSubscriptionRow? Row = null)
{
    public bool Succeeded => Refusal is null;
}

/// <summary>
/// A tenant's paid add-ons: the rows of <c>addon_subscriptions</c>, half-open <c>[starts_at, ends_at)</c> in UTC. Add-ons a
/// plan includes have no rows. The methods add or change rows of the caller's context and take its unsaved changes into
/// account (so they can follow <see cref="PlanSubscriptions.SwitchAsync"/> in one transaction); the caller holds a
/// transaction and the tenant's lock (<see cref="TenantLock"/>) and saves. Repeating a call changes nothing and succeeds.
/// </summary>
public static class AddOnSubscriptions
{
    /// <summary>
    /// Subscribes the tenant to <paramref name="addOn"/> from <paramref name="at"/> (≥ <paramref name="now"/>, else
    /// <see cref="ArgumentOutOfRangeException"/>). <paramref name="plan"/> is the plan the tenant is on at
    /// <paramref name="at"/>. An add-on it includes is a success without a row; one it does not allow is refused. When a
    /// subscription is already in effect at <paramref name="at"/> nothing changes (a scheduled end stays); a subscription
    /// scheduled to start later is moved to start at <paramref name="at"/>; otherwise a new one starts, ending where a
    /// later scheduled plan subscription does not allow the add-on.
    /// </summary>
    public static async Task<AddOnOutcome> SubscribeAsync(
        TallyDbContext db, string tenantId, string addOn, PlanDefinition plan, DateTimeOffset at, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        (at, now) = Check(at, now);
        if (plan.IncludedAddOns.Contains(addOn, StringComparer.Ordinal))
        {
            return new AddOnOutcome(AddOnChange.Included);
        }

        if (!plan.AllowedAddOns.Contains(addOn, StringComparer.Ordinal))
        {
            return new AddOnOutcome(AddOnChange.Refused, plan.AllowedAddOns.Count == 0
                ? $"Add-on '{addOn}' is not available on plan '{plan.Name}', which allows no add-ons."
                : $"Add-on '{addOn}' is not available on plan '{plan.Name}'; it allows {string.Join(", ", plan.AllowedAddOns.Select(a => $"'{a}'"))}.");
        }

        var rows = await FromAsync(db, tenantId, addOn, at, ct);
        if (rows.FirstOrDefault(r => r.StartsAt <= at) is { } running)
        {
            return new AddOnOutcome(AddOnChange.AlreadySubscribed, Row: running);
        }

        var end = await NextRefusingPlanAsync(db, tenantId, addOn, at, ct);
        if (rows.FirstOrDefault() is { } scheduled && (end is null || scheduled.StartsAt < end))
        {
            scheduled.StartsAt = at;
            return new AddOnOutcome(AddOnChange.Subscribed, Row: scheduled);
        }

        var row = new AddOnSubscriptionRow
        {
            TenantId = tenantId,
            Id = NewId(),
            AddOn = addOn,
            StartsAt = at,
            EndsAt = end,
            CreatedAt = now,
        };
        db.AddOnSubscriptions.Add(row);
        return new AddOnOutcome(AddOnChange.Subscribed, Row: row);
    }

    /// <summary>
    /// Unsubscribes the tenant from <paramref name="addOn"/> from <paramref name="at"/> (≥ <paramref name="now"/>, else
    /// <see cref="ArgumentOutOfRangeException"/>): the subscription in effect then ends at <paramref name="at"/> and those
    /// scheduled to start at or after it are removed. An add-on <paramref name="plan"/> (the plan at <paramref name="at"/>)
    /// includes is refused; without a subscription nothing changes.
    /// </summary>
    public static async Task<AddOnOutcome> UnsubscribeAsync(
        TallyDbContext db, string tenantId, string addOn, PlanDefinition plan, DateTimeOffset at, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        (at, _) = Check(at, now);
        if (plan.IncludedAddOns.Contains(addOn, StringComparer.Ordinal))
        {
            return new AddOnOutcome(AddOnChange.Refused, $"Add-on '{addOn}' is included in plan '{plan.Name}' and cannot be unsubscribed.");
        }

        var rows = await FromAsync(db, tenantId, addOn, at, ct);
        if (rows.Count == 0)
        {
            return new AddOnOutcome(AddOnChange.NotSubscribed);
        }

        AddOnSubscriptionRow? ended = null;
        foreach (var row in rows)
        {
            if (row.StartsAt >= at)
            {
                db.AddOnSubscriptions.Remove(row);
            }
            else
            {
                row.EndsAt = at;
                ended = row;
            }
        }

        return new AddOnOutcome(AddOnChange.Unsubscribed, Row: ended);
    }

    /// <summary>The tenant's add-on subscriptions (every add-on) that overlap <c>[from, to)</c>, oldest first. Read-only.</summary>
    public static Task<List<AddOnSubscriptionRow>> OverlappingAsync(TallyDbContext db, string tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        return db.AddOnSubscriptions.AsNoTracking()
            .Where(a => a.TenantId == tenantId && a.StartsAt < to && (a.EndsAt == null || a.EndsAt > from))
            .OrderBy(a => a.StartsAt).ThenBy(a => a.AddOn)
            .ToListAsync(ct);
    }

    /// <summary>"addon-sub-" + 28 hex digits of a random UUID (fits the 40-character id column).</summary>
    public static string NewId() => "addon-sub-" + Guid.NewGuid().ToString("N")[..28];

    private static (DateTimeOffset At, DateTimeOffset Now) Check(DateTimeOffset at, DateTimeOffset now)
    {
        at = at.ToUniversalTime();
        now = now.ToUniversalTime();
        ArgumentOutOfRangeException.ThrowIfLessThan(at, now);
        return (at, now);
    }

    /// <summary>
    /// The tenant's subscriptions of <paramref name="addOn"/> (every add-on when null) as the caller's context sees them:
    /// stored rows (tracked, with unsaved changes) plus unsaved additions, minus unsaved removals. Oldest first.
    /// </summary>
    internal static async Task<List<AddOnSubscriptionRow>> TrackedAsync(TallyDbContext db, string tenantId, string? addOn, CancellationToken ct)
    {
        await db.AddOnSubscriptions.Where(a => a.TenantId == tenantId && (addOn == null || a.AddOn == addOn)).LoadAsync(ct);
        return [.. db.AddOnSubscriptions.Local.Where(a => a.TenantId == tenantId && (addOn is null || a.AddOn == addOn)).OrderBy(a => a.StartsAt)];
    }

    /// <summary>Subscriptions of the add-on in effect at or after <paramref name="at"/>, oldest first (see <see cref="TrackedAsync"/>).</summary>
    private static async Task<List<AddOnSubscriptionRow>> FromAsync(TallyDbContext db, string tenantId, string addOn, DateTimeOffset at, CancellationToken ct) =>
        [.. (await TrackedAsync(db, tenantId, addOn, ct)).Where(a => a.EndsAt is null || a.EndsAt > at)];

    /// <summary>The start of the first plan subscription scheduled after <paramref name="at"/> whose plan does not allow the add-on, or null.</summary>
    private static async Task<DateTimeOffset?> NextRefusingPlanAsync(TallyDbContext db, string tenantId, string addOn, DateTimeOffset at, CancellationToken ct)
    {
        var scheduled = (await PlanSubscriptions.TrackedAsync(db, tenantId, ct)).Where(s => s.StartsAt > at);
        foreach (var next in scheduled)
        {
            var json = await db.Plans.AsNoTracking().Where(p => p.Name == next.Plan).Select(p => p.DefinitionJson).SingleOrDefaultAsync(ct);
            var allows = json is not null
                && (CatalogService.Read<PlanBody>(json).AllowedAddonServices?.Contains(addOn, StringComparer.Ordinal) ?? false);
            if (!allows)
            {
                return next.StartsAt;
            }
        }

        return null;
    }
}
