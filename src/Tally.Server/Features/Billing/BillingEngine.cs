using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Invoicing;
using Tally.Domain.Rating;
using Tally.Domain.Tenants;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Invoices;
using Tally.Server.Hosting;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Billing;

/// <summary>One invoice a run made or would make (dry run): its 3scale id, friendly id, period, state and total.</summary>
public sealed record BilledInvoice(long Id, string FriendlyId, string Period, string State, long TotalMinor, string Currency, int Lines);

/// <summary>What billing one tenant did: invoices issued (or, in a dry run, that would be), charge attempts made.</summary>
public sealed record TenantBillingResult(string Tenant, IReadOnlyList<BilledInvoice> Invoices, int ChargesMade);

/// <summary>
/// Bills one tenant as of an instant (see <c>docs/decisions.md</c>, "Billing engine"). Under the tenant's lock, in one
/// transaction: for each billing period from the first one not yet billed up to the last one due (postpaid: the
/// previous month; prepaid: the current one), one background invoice with the period's fixed fees (plan, setup,
/// add-ons) and the usage of the period (postpaid) or of the period before (prepaid), plus, on the first new invoice,
/// late-usage lines for periods already billed; for prepaid tenants whose current period is billed, a further invoice
/// when plans or add-ons changed inside it. Lines whose source key the tenant already has are never added again, so the
/// run is idempotent; new invoices are finalized and issued at once, zero and negative totals marked paid without a
/// charge. Open manual invoices of periods that have ended are issued too. After the commit, invoices due are charged.
/// </summary>
public sealed class BillingEngine(
    TallyDatabase database, CatalogService catalog, UsageQueries usage, InvoiceCharger charger, TimeProvider clock, TallyOptions tallyOptions)
{
    private const string PlanContract = "PlanSubscription";
    private const string AddOnContract = "AddOnSubscription";

    private BillingOptions Options => tallyOptions.Billing;

    /// <summary>
    /// Bills <paramref name="tenant"/> as of <paramref name="asOf"/> (not after now). In a dry run nothing is written and
    /// no charge is made: the result lists the invoices that would be issued (ids 0). Throws
    /// <see cref="InvalidOperationException"/> for a tenant that does not exist or a plan missing from the catalog,
    /// <see cref="DomainValidationException"/> when a plan's currency is not the tenant's.
    /// </summary>
    public async Task<TenantBillingResult> BillTenantAsync(string tenant, DateTimeOffset asOf, bool dryRun, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        asOf = asOf > now ? now : asOf.ToUniversalTime();
        var snapshot = await catalog.GetSnapshotAsync(ct);
        List<BilledInvoice> made;
        await using (var db = database.CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (!await db.LockTenantAsync(tenant, ct))
            {
                throw new InvalidOperationException($"Tenant '{tenant}' does not exist.");
            }

            var row = await db.Tenants.SingleAsync(t => t.TenantId == tenant, ct);
            made = await BillPeriodsAsync(db, row, snapshot, asOf, now, ct);
            made.AddRange(await IssueEndedManualInvoicesAsync(db, row, asOf, now, ct));
            await db.SaveChangesAsync(ct);
            if (dryRun)
            {
                await tx.RollbackAsync(ct);
                return new TenantBillingResult(tenant, [.. made.Select(m => m with { Id = 0 })], 0);
            }

            await tx.CommitAsync(ct);
        }

        return new TenantBillingResult(tenant, made, await ChargeDueAsync(tenant, ct));
    }

    /// <summary>The instant a run dated <paramref name="date"/> bills as of: the date at <paramref name="runHour"/> UTC, but never after <paramref name="now"/>.</summary>
    public static DateTimeOffset AsOf(DateOnly date, int runHour, DateTimeOffset now)
    {
        var at = new DateTimeOffset(date.ToDateTime(new TimeOnly(runHour, 0), DateTimeKind.Utc));
        return at < now ? at : now;
    }

    /// <summary>Charges every pending or unpaid invoice of the tenant that the policy says is due now; returns the attempts made.</summary>
    public async Task<int> ChargeDueAsync(string tenant, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var pending = InvoiceState.Pending.ToWire();
        var unpaid = InvoiceState.Unpaid.ToWire();
        List<long> due;
        await using (var db = database.CreateContext())
        {
            due = await db.Invoices.AsNoTracking()
                .Where(i => i.TenantId == tenant && (i.State == pending || i.State == unpaid) && i.DueAt <= now && i.TotalMinor > 0)
                .OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(ct);
        }

        var charges = 0;
        foreach (var id in due)
        {
            if ((await charger.ChargeDueAsync(tenant, id, ct)).Charged)
            {
                charges++;
            }
        }

        return charges;
    }

    private async Task<List<BilledInvoice>> BillPeriodsAsync(
        TallyDbContext db, TenantRow tenant, CatalogSnapshot snapshot, DateTimeOffset asOf, DateTimeOffset now, CancellationToken ct)
    {
        var made = new List<BilledInvoice>();
        var plans = await db.PlanSubscriptions.AsNoTracking()
            .Where(p => p.TenantId == tenant.TenantId && p.StartsAt <= asOf).OrderBy(p => p.StartsAt).ToListAsync(ct);
        if (plans.Count == 0)
        {
            return made;
        }

        var addOns = await db.AddOnSubscriptions.AsNoTracking()
            .Where(a => a.TenantId == tenant.TenantId && a.StartsAt <= asOf).ToListAsync(ct);
        var zone = TimeZones.Require(tenant.TimeZone);
        var currency = Currency.Of(tenant.Currency);
        var prepaid = tenant.BillingMode == BillingMode.Prepaid;
        var current = BillingPeriod.Containing(asOf, zone);
        var last = prepaid ? current : current.Previous();
        var first = BillingPeriod.Containing(tenant.BilledThrough ?? plans[0].StartsAt, zone);
        var context = new TenantContext(tenant, zone, currency, prepaid, snapshot, plans, addOns);

        // Periods the run bills for the first time, and the usage periods they carry.
        var periods = new List<BillingPeriod>();
        for (var p = first; p.Start <= last.Start; p = p.Next())
        {
            periods.Add(p);
        }

        var usagePeriods = periods.Select(p => prepaid ? p.Previous() : p).Where(u => u.End > plans[0].StartsAt).ToList();
        var lateWindow = LatePeriods(context, periods.Count > 0 ? (prepaid ? first.Previous() : first) : null, asOf);
        var rated = await RateAsync(context, [.. usagePeriods, .. lateWindow], ct);

        var planned = new List<(BillingPeriod Period, List<LineItem> Lines)>();
        var lateAdded = false;
        foreach (var period in periods)
        {
            var lines = FixedLines(context, period).ToList();
            var usagePeriod = prepaid ? period.Previous() : period;
            if (rated.TryGetValue(usagePeriod.Start, out var metrics))
            {
                lines.AddRange(PeriodCharges.For(usagePeriod, currency, [], [], metrics, tenant.Locale));
            }

            if (!lateAdded && lateWindow.Count > 0)
            {
                // Keyed by the start of the period whose invoice carries them: each period is billed once, so a later
                // run adds the usage that arrived since under a new key.
                lines.AddRange(await LateLinesAsync(db, context, lateWindow, rated, period.Start, ct));
                lateAdded = true;
            }

            planned.Add((period, lines));
        }

        // Prepaid tenants whose current period is already billed: changes of plan or add-ons inside it.
        if (prepaid && periods.Count == 0)
        {
            planned.Add((current, await PrepaidChangesAsync(db, context, current, now, ct)));
        }

        var keys = planned.SelectMany(p => p.Lines).Select(l => l.SourceKey).ToList();
        var existing = keys.Count == 0
            ? []
            : (await db.InvoiceLineItems.AsNoTracking()
                .Where(l => l.TenantId == tenant.TenantId && keys.Contains(l.SourceKey)).Select(l => l.SourceKey).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);
        foreach (var (period, all) in planned)
        {
            var lines = all.Where(l => existing.Add(l.SourceKey)).ToList();
            if (lines.Count > 0)
            {
                made.Add(await IssueAsync(db, context, period, lines, now, ct));
            }
        }

        if (periods.Count > 0)
        {
            tenant.BilledThrough = last.End;
        }

        return made;
    }

    /// <summary>A new background invoice of <paramref name="period"/> with <paramref name="lines"/>, finalized and issued (and paid when its total is not positive).</summary>
    private async Task<BilledInvoice> IssueAsync(
        TallyDbContext db, TenantContext context, BillingPeriod period, List<LineItem> lines, DateTimeOffset now, CancellationToken ct)
    {
        var invoice = await InvoiceStore.CreateAsync(db, context.Tenant, period, InvoiceRow.Background, now, ct);
        var ids = await BillingIds.NextAsync(db, BillingIds.LineItems, lines.Count, ct);
        for (var i = 0; i < lines.Count; i++)
        {
            var (plan, contractId, contractType) = context.References(lines[i]);
            db.InvoiceLineItems.Add(InvoiceStore.ToRow(invoice, lines[i], ids[i], plan, contractId, contractType, now));
        }

        Issue(invoice, context.Tenant, lines.Select(l => l.Amount.Minor), now);
        return Describe(invoice, lines.Count);
    }

    private void Issue(InvoiceRow invoice, TenantRow tenant, IEnumerable<long> amounts, DateTimeOffset now)
    {
        if (InvoiceStore.StateOf(invoice) == InvoiceState.Open)
        {
            InvoiceStore.Fire(invoice, InvoiceEvent.Finalize, now);
        }

        InvoiceStore.Fire(invoice, InvoiceEvent.Issue, now, tenant, Options.Operator, Options.ChargePolicy, amounts);
        if (invoice.TotalMinor <= 0)
        {
            InvoiceStore.Fire(invoice, InvoiceEvent.Pay, now);
        }
    }

    private static BilledInvoice Describe(InvoiceRow invoice, int lines) =>
        new(invoice.Id, invoice.FriendlyId, invoice.Period, invoice.State, invoice.TotalMinor, invoice.Currency, lines);

    /// <summary>Open or finalized invoices (manual ones, or background ones left open) of periods that ended by <paramref name="asOf"/>: issued now.</summary>
    private async Task<List<BilledInvoice>> IssueEndedManualInvoicesAsync(TallyDbContext db, TenantRow tenant, DateTimeOffset asOf, DateTimeOffset now, CancellationToken ct)
    {
        var open = InvoiceState.Open.ToWire();
        var finalized = InvoiceState.Finalized.ToWire();
        var ended = await db.Invoices
            .Where(i => i.TenantId == tenant.TenantId && (i.State == open || i.State == finalized) && i.PeriodEnd <= asOf)
            .OrderBy(i => i.Id).ToListAsync(ct);
        var made = new List<BilledInvoice>();
        foreach (var invoice in ended)
        {
            var amounts = await db.InvoiceLineItems.Where(l => l.TenantId == tenant.TenantId && l.InvoiceId == invoice.Id).Select(l => l.AmountMinor).ToListAsync(ct);
            Issue(invoice, tenant, amounts, now);
            made.Add(Describe(invoice, amounts.Count));
        }

        return made;
    }

    /// <summary>Fixed lines of <paramref name="period"/>: plan fees, setup fees, add-on fees (no usage).</summary>
    private static IReadOnlyList<LineItem> FixedLines(TenantContext context, BillingPeriod period)
    {
        var plans = context.Plans
            .Where(p => p.StartsAt < period.End && (p.EndsAt is null || p.EndsAt > period.Start))
            .Select(p => (Row: p, Plan: context.PlanOf(p)))
            .Where(p => !p.Plan.BillingDisabled)
            .Select(p => new BilledPlanSubscription(p.Row.Id, p.Plan, p.Row.StartsAt, p.Row.EndsAt, p.Row.TrialEndsAt, setupFeeBilled: false))
            .ToList();
        var addOns = context.AddOns
            .Where(a => a.StartsAt < period.End && (a.EndsAt is null || a.EndsAt > period.Start))
            .Select(a => new BilledAddOnSubscription(a.Id, context.AddOnOf(a), a.StartsAt, a.EndsAt))
            .ToList();
        return PeriodCharges.For(period, context.Currency, plans, addOns, [], context.Tenant.Locale);
    }

    /// <summary>
    /// Prepaid, current period already billed: fixed lines of subscriptions that began inside it since, and refunds or
    /// adjustments of fixed fees already billed for it whose subscription has ended or changed since.
    /// </summary>
    private static async Task<List<LineItem>> PrepaidChangesAsync(TallyDbContext db, TenantContext context, BillingPeriod period, DateTimeOffset now, CancellationToken ct)
    {
        var lines = FixedLines(context, period).ToList();
        var month = SourceKeys.Month(period);
        var billed = await db.InvoiceLineItems.AsNoTracking()
            .Where(l => l.TenantId == context.Tenant.TenantId && l.ContractType == PlanContract && l.PeriodStart < period.End && l.PeriodEnd > period.Start
                && (l.SourceKey.StartsWith("plan:") || l.SourceKey.StartsWith("refund:")))
            .Select(l => new { l.SourceKey, l.ContractId, l.AmountMinor }).ToListAsync(ct);
        foreach (var group in billed.Where(b => b.SourceKey.Contains(":" + month, StringComparison.Ordinal)).GroupBy(b => b.ContractId))
        {
            var row = context.Plans.FirstOrDefault(p => p.Id == group.Key);
            if (row is null || !group.Any(b => b.SourceKey.StartsWith("plan:", StringComparison.Ordinal)))
            {
                continue;
            }

            var subscription = new BilledPlanSubscription(row.Id, context.PlanOf(row), row.StartsAt, row.EndsAt, row.TrialEndsAt, setupFeeBilled: true);
            var already = new Money(group.Sum(b => b.AmountMinor), context.Currency);
            if (PeriodCharges.PlanChangeAdjustment(period, subscription, already, now, context.Tenant.Locale) is { } adjustment)
            {
                lines.Add(adjustment);
            }
        }

        return lines;
    }

    /// <summary>Periods already billed whose usage may still grow: usage periods before <paramref name="firstNew"/> (or the last billed one) that end after asOf − the usage acceptance window.</summary>
    private List<BillingPeriod> LatePeriods(TenantContext context, BillingPeriod? firstNew, DateTimeOffset asOf)
    {
        if (context.Tenant.BilledThrough is not { } billedThrough)
        {
            return [];
        }

        var lastBilledUsage = BillingPeriod.Containing(billedThrough, context.Zone).Previous();
        if (context.Prepaid)
        {
            lastBilledUsage = lastBilledUsage.Previous();
        }

        if (firstNew is not null && firstNew.Start <= lastBilledUsage.Start)
        {
            lastBilledUsage = firstNew.Previous();
        }

        var oldest = asOf - tallyOptions.UsageMaxAge;
        var periods = new List<BillingPeriod>();
        for (var p = lastBilledUsage; p.End > oldest && p.End > context.Plans[0].StartsAt; p = p.Previous())
        {
            periods.Add(p);
        }

        return periods;
    }

    /// <summary>Late-usage lines: each period of <paramref name="window"/> rated again and compared with what its usage lines billed.</summary>
    private static async Task<List<LineItem>> LateLinesAsync(
        TallyDbContext db, TenantContext context, List<BillingPeriod> window, Dictionary<DateTimeOffset, List<RatedMetric>> rated, DateTimeOffset carriedFrom, CancellationToken ct)
    {
        var oldest = window.Min(p => p.Start);
        var billed = await db.InvoiceLineItems.AsNoTracking()
            .Where(l => l.TenantId == context.Tenant.TenantId && l.Metric != null && l.PeriodStart >= oldest
                && (l.SourceKey.StartsWith("usage:") || l.SourceKey.StartsWith("late:")))
            .Select(l => new { l.SourceKey, l.Metric, l.Quantity, l.AmountMinor }).ToListAsync(ct);
        var lines = new List<LineItem>();
        foreach (var period in window.OrderBy(p => p.Start))
        {
            var month = SourceKeys.Month(period);
            foreach (var metric in rated.GetValueOrDefault(period.Start) ?? [])
            {
                var mine = billed.Where(b => b.Metric == metric.Metric
                    && (b.SourceKey == SourceKeys.Usage(metric.Metric, period) || b.SourceKey.StartsWith($"late:{metric.Metric}:{month}:", StringComparison.Ordinal))).ToList();
                var quantity = mine.Sum(b => decimal.Parse(b.Quantity, NumberStyles.Number, CultureInfo.InvariantCulture));
                var amount = new Money(mine.Sum(b => b.AmountMinor), context.Currency);
                if (metric.Usage.Quantity >= quantity && PeriodCharges.LateUsage(period, metric, quantity, amount, carriedFrom) is { } late)
                {
                    lines.Add(late);
                }
            }
        }

        return lines;
    }

    /// <summary>
    /// Each period's usage rated with the plan of the last subscription in it, over the part after the tenant's first
    /// subscription began and after that subscription's trial (usage during a trial is free), keyed by period start.
    /// </summary>
    private async Task<Dictionary<DateTimeOffset, List<RatedMetric>>> RateAsync(TenantContext context, List<BillingPeriod> periods, CancellationToken ct)
    {
        var result = new Dictionary<DateTimeOffset, List<RatedMetric>>();
        var unique = periods.DistinctBy(p => p.Start).ToList();
        var ranges = new List<HourRange>();
        var subjects = new List<(BillingPeriod Period, PlanDefinition Plan)>();
        foreach (var period in unique)
        {
            var subscription = context.Plans.LastOrDefault(p => p.StartsAt < period.End && (p.EndsAt is null || p.EndsAt > period.Start));
            if (subscription is null || context.PlanOf(subscription) is not { BillingDisabled: false } plan || plan.Prices.Count == 0)
            {
                continue;
            }

            // Usage before the tenant's first plan is not billed (no contract yet), nor usage during a trial.
            var from = period.Start > context.Plans[0].StartsAt ? period.Start : context.Plans[0].StartsAt;
            from = subscription.TrialEndsAt is { } trialEnd && trialEnd > from ? trialEnd : from;
            if (from >= period.End)
            {
                continue;
            }

            ranges.Add(new HourRange(UsageQueries.CeilingHour(from), UsageQueries.CeilingHour(period.End)));
            subjects.Add((period, plan));
        }

        if (ranges.Count == 0)
        {
            return result;
        }

        var totals = await usage.ByMetricRangesAsync(context.Tenant.TenantId, null, ranges, ct);
        var metrics = context.Snapshot.Metrics.ToDictionary(m => m.Key, m => m.Value.Definition, StringComparer.Ordinal);
        for (var i = 0; i < subjects.Count; i++)
        {
            var (period, plan) = subjects[i];
            var metered = totals[i].Select(t => new MeteredUsage(t.Metric, t.SumMicros, t.MaxMicros, t.EventCount)).ToList();
            var rated = new List<RatedMetric>();
            foreach (var price in plan.Prices)
            {
                if (!metrics.TryGetValue(price.Metric, out var metric))
                {
                    continue;
                }

                var used = metered.FirstOrDefault(m => m.Metric == price.Metric);
                var quantity = used.Metric is null ? 0m : used.Quantity(metric.Aggregation);
                rated.Add(new RatedMetric(price.Metric, metric.DisplayNameFor(context.Tenant.Locale), Rater.Rate(price, quantity, metric.Divisor, plan.Currency)));
            }

            result[period.Start] = rated;
        }

        return result;
    }

    /// <summary>What one tenant's billing reads once: its row, zone, currency, mode, the catalog and its subscriptions.</summary>
    private sealed record TenantContext(
        TenantRow Tenant, TimeZoneInfo Zone, Currency Currency, bool Prepaid, CatalogSnapshot Snapshot,
        List<PlanSubscriptionRow> Plans, List<AddOnSubscriptionRow> AddOns)
    {
        public PlanDefinition PlanOf(PlanSubscriptionRow row) =>
            Snapshot.Plans.GetValueOrDefault(row.Plan)?.Definition
            ?? throw new InvalidOperationException($"Plan '{row.Plan}' of subscription {row.Id} is not in the catalog.");

        public AddOnDefinition AddOnOf(AddOnSubscriptionRow row) =>
            Snapshot.AddOns.GetValueOrDefault(row.AddOn)?.Definition
            ?? throw new InvalidOperationException($"Add-on '{row.AddOn}' of subscription {row.Id} is not in the catalog.");

        /// <summary>3scale's plan, contract id and contract type of a line, from its source key.</summary>
        public (string? Plan, string? ContractId, string? ContractType) References(LineItem line)
        {
            var parts = line.SourceKey.Split(':');
            switch (parts[0])
            {
                case "plan" or "setup" or "refund":
                    return (Plans.FirstOrDefault(p => p.Id == parts[1])?.Plan, parts[1], PlanContract);
                case "addon":
                    return (null, parts[1], AddOnContract);
                default:
                    var subscription = Plans.LastOrDefault(p => p.StartsAt < line.PeriodEnd && (p.EndsAt is null || p.EndsAt > line.PeriodStart));
                    return (subscription?.Plan, subscription?.Id, subscription is null ? null : PlanContract);
            }
        }
    }
}
