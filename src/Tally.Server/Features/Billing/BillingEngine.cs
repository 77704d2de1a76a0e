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

/// <summary>One tenant's part of a chunk: its result, or the error that stopped it (with <see cref="Result"/> when only charging failed).</summary>
public sealed record TenantBillingOutcome(string Tenant, TenantBillingResult? Result, Exception? Error);

/// <summary>
/// Bills tenants as of an instant (see <c>docs/decisions.md</c>, "Billing engine"), a chunk of tenants at a time. Under
/// the tenants' locks, in one transaction per chunk: for each tenant and each billing period from the first one not yet
/// billed up to the last one due (postpaid: the previous month; prepaid: the current one), one background invoice with
/// the period's fixed fees (plan, setup, add-ons) and the usage of the period (postpaid) or of the period before
/// (prepaid), plus, on the first new invoice, late-usage lines for periods already billed; for prepaid tenants whose
/// current period is billed, a further invoice when plans or add-ons changed inside it. Lines whose source key the
/// tenant already has are never added again, so billing is idempotent; new invoices are finalized and issued at once,
/// zero and negative totals marked paid without a charge. Open manual invoices of periods that have ended are issued
/// too. After the commit, invoices due are charged. A chunk reads and writes with a handful of statements whatever its
/// size; a tenant whose lines cannot be computed fails alone, and a chunk the database refuses is billed again tenant by
/// tenant so the error names its tenant.
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
    /// <see cref="DomainValidationException"/> when a plan's currency is not the tenant's, and what the gateway throws.
    /// </summary>
    public async Task<TenantBillingResult> BillTenantAsync(string tenant, DateTimeOffset asOf, bool dryRun, CancellationToken ct)
    {
        var outcome = (await BillTenantsAsync([tenant], asOf, dryRun, ct))[0];
        if (outcome.Error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(outcome.Error);
        }

        return outcome.Result!;
    }

    /// <summary>
    /// Bills distinct <paramref name="tenants"/> as of <paramref name="asOf"/> (not after now) in one transaction; one
    /// outcome per tenant, in the order given. See <see cref="BillTenantAsync"/> for what each outcome's error may be.
    /// </summary>
    public async Task<IReadOnlyList<TenantBillingOutcome>> BillTenantsAsync(IReadOnlyList<string> tenants, DateTimeOffset asOf, bool dryRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenants);
        var now = clock.GetUtcNow();
        asOf = asOf > now ? now : asOf.ToUniversalTime();
        Chunk chunk;
        try
        {
            chunk = await WriteAsync(tenants, asOf, now, dryRun, ct);
        }
        catch (Exception e) when (tenants.Count > 1 && e is not OperationCanceledException)
        {
            // The database refused the chunk (one tenant's row, a race): bill each tenant alone, so an error names its tenant.
            var outcomes = new List<TenantBillingOutcome>(tenants.Count);
            foreach (var tenant in tenants)
            {
                outcomes.Add((await BillTenantsAsync([tenant], asOf, dryRun, ct))[0]);
            }

            return outcomes;
        }

        var result = new List<TenantBillingOutcome>(tenants.Count);
        var charges = dryRun ? [] : await ChargeDueAsync(chunk.Billed, ct);
        foreach (var tenant in tenants)
        {
            if (chunk.Errors.TryGetValue(tenant, out var error))
            {
                result.Add(new TenantBillingOutcome(tenant, null, error));
                continue;
            }

            var made = chunk.Made.GetValueOrDefault(tenant) ?? [];
            var (count, chargeError) = charges.GetValueOrDefault(tenant);
            result.Add(new TenantBillingOutcome(
                tenant, new TenantBillingResult(tenant, dryRun ? [.. made.Select(m => m with { Id = 0 })] : made, count), chargeError));
        }

        return result;
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
        var (count, error) = (await ChargeDueAsync([tenant], ct)).GetValueOrDefault(tenant);
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return count;
    }

    /// <summary>Charges the due invoices of <paramref name="tenants"/> (one query finds them); per tenant the attempts made, or the exception that stopped its charging.</summary>
    private async Task<Dictionary<string, (int Count, Exception? Error)>> ChargeDueAsync(List<string> tenants, CancellationToken ct)
    {
        var result = new Dictionary<string, (int, Exception?)>(StringComparer.Ordinal);
        if (tenants.Count == 0)
        {
            return result;
        }

        var now = clock.GetUtcNow();
        var pending = InvoiceState.Pending.ToWire();
        var unpaid = InvoiceState.Unpaid.ToWire();
        List<(string Tenant, long Id)> due;
        await using (var db = database.CreateContext())
        {
            due = [.. (await db.Invoices.AsNoTracking()
                .Where(i => tenants.Contains(i.TenantId) && (i.State == pending || i.State == unpaid) && i.DueAt <= now && i.TotalMinor > 0)
                .OrderBy(i => i.Id).Select(i => new { i.TenantId, i.Id }).ToListAsync(ct)).Select(i => (i.TenantId, i.Id))];
        }

        foreach (var group in due.GroupBy(d => d.Tenant, StringComparer.Ordinal))
        {
            var charges = 0;
            try
            {
                foreach (var (tenant, id) in group)
                {
                    if ((await charger.ChargeDueAsync(tenant, id, ct)).Charged)
                    {
                        charges++;
                    }
                }

                result[group.Key] = (charges, null);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                result[group.Key] = (charges, e);
            }
        }

        return result;
    }

    /// <summary>What a chunk's transaction did: invoices made per tenant, tenants that failed, tenants billed.</summary>
    private sealed record Chunk(Dictionary<string, List<BilledInvoice>> Made, Dictionary<string, Exception> Errors, List<string> Billed);

    /// <summary>A new invoice planned for a tenant: its period and lines.</summary>
    private sealed record PlannedInvoice(TenantContext Context, BillingPeriod Period, List<LineItem> Lines);

    private async Task<Chunk> WriteAsync(IReadOnlyList<string> tenants, DateTimeOffset asOf, DateTimeOffset now, bool dryRun, CancellationToken ct)
    {
        var snapshot = await catalog.GetSnapshotAsync(ct);
        var made = new Dictionary<string, List<BilledInvoice>>(StringComparer.Ordinal);
        var errors = new Dictionary<string, Exception>(StringComparer.Ordinal);
        var ids = tenants.ToArray();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await LockAsync(db, ids, ct);
        var rows = (await db.Tenants.Where(t => ids.Contains(t.TenantId)).ToListAsync(ct)).ToDictionary(t => t.TenantId, StringComparer.Ordinal);
        foreach (var missing in ids.Where(t => !rows.ContainsKey(t)))
        {
            errors[missing] = new InvalidOperationException($"Tenant '{missing}' does not exist.");
        }

        var plans = (await db.PlanSubscriptions.AsNoTracking().Where(p => ids.Contains(p.TenantId) && p.StartsAt <= asOf).ToListAsync(ct))
            .GroupBy(p => p.TenantId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.OrderBy(p => p.StartsAt).ToList(), StringComparer.Ordinal);
        var addOns = (await db.AddOnSubscriptions.AsNoTracking().Where(a => ids.Contains(a.TenantId) && a.StartsAt <= asOf).ToListAsync(ct))
            .GroupBy(a => a.TenantId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        // 1. What each tenant needs: periods to bill, usage to rate, billed lines to compare.
        var contexts = new List<TenantContext>();
        foreach (var row in rows.Values)
        {
            if (plans.TryGetValue(row.TenantId, out var mine))
            {
                Guard(errors, row.TenantId, () => contexts.Add(TenantContext.For(row, snapshot, mine, addOns.GetValueOrDefault(row.TenantId) ?? [], asOf, tallyOptions.UsageMaxAge)));
            }
        }

        var rated = await RateAsync(contexts, errors, ct);
        var billedLines = await BilledLinesAsync(db, contexts, asOf, ct);

        // 2. The lines, tenant by tenant (pure).
        var planned = new List<PlannedInvoice>();
        foreach (var context in contexts)
        {
            Guard(errors, context.Tenant.TenantId, () => planned.AddRange(Plan(context, rated.GetValueOrDefault(context.Tenant.TenantId) ?? [], billedLines.GetValueOrDefault(context.Tenant.TenantId) ?? [], now)));
        }

        planned.RemoveAll(p => errors.ContainsKey(p.Context.Tenant.TenantId));
        var keys = planned.SelectMany(p => p.Lines).Select(l => l.SourceKey).Distinct(StringComparer.Ordinal).ToList();
        var keyTenants = planned.Select(p => p.Context.Tenant.TenantId).Distinct(StringComparer.Ordinal).ToList();
        var existing = keys.Count == 0
            ? []
            : (await db.InvoiceLineItems.AsNoTracking()
                .Where(l => keyTenants.Contains(l.TenantId) && keys.Contains(l.SourceKey)).Select(l => new { l.TenantId, l.SourceKey }).ToListAsync(ct))
                .Select(l => (l.TenantId, l.SourceKey)).ToHashSet();
        var invoices = new List<PlannedInvoice>();
        foreach (var invoice in planned)
        {
            var lines = invoice.Lines.Where(l => existing.Add((invoice.Context.Tenant.TenantId, l.SourceKey))).ToList();
            if (lines.Count > 0)
            {
                invoices.Add(invoice with { Lines = lines });
            }
        }

        // 3. Write: ids, friendly ids (last, so the counter row is locked only until the commit), rows.
        var invoiceIds = invoices.Count == 0 ? [] : await BillingIds.NextAsync(db, BillingIds.Invoices, invoices.Count, ct);
        var lineCount = invoices.Sum(i => i.Lines.Count);
        var lineIds = lineCount == 0 ? [] : await BillingIds.NextAsync(db, BillingIds.LineItems, lineCount, ct);
        var friendly = new Dictionary<PlannedInvoice, FriendlyId>();
        foreach (var month in invoices.GroupBy(i => (i.Period.Year, i.Period.Month)).OrderBy(g => g.Key))
        {
            var list = month.ToList();
            var taken = await InvoiceStore.TakeFriendlyIdsAsync(db, month.Key.Year, month.Key.Month, list.Count, ct);
            for (var i = 0; i < list.Count; i++)
            {
                friendly[list[i]] = taken[i];
            }
        }

        var nextLine = 0;
        for (var n = 0; n < invoices.Count; n++)
        {
            var (context, period, lines) = invoices[n];
            var invoice = InvoiceStore.NewRow(context.Tenant, period, InvoiceRow.Background, invoiceIds[n], friendly[invoices[n]], now);
            db.Invoices.Add(invoice);
            foreach (var line in lines)
            {
                var (plan, contractId, contractType) = context.References(line);
                db.InvoiceLineItems.Add(InvoiceStore.ToRow(invoice, line, lineIds[nextLine++], plan, contractId, contractType, now));
            }

            Issue(invoice, context.Tenant, lines.Select(l => l.Amount.Minor), now);
            Made(made, context.Tenant.TenantId).Add(Describe(invoice, lines.Count));
        }

        foreach (var context in contexts.Where(c => !errors.ContainsKey(c.Tenant.TenantId) && c.Periods.Count > 0))
        {
            context.Tenant.BilledThrough = context.Periods[^1].End;
        }

        await IssueEndedManualInvoicesAsync(db, [.. rows.Keys.Where(t => !errors.ContainsKey(t))], rows, made, asOf, now, ct);
        await db.SaveChangesAsync(ct);
        if (dryRun)
        {
            await tx.RollbackAsync(ct);
        }
        else
        {
            await tx.CommitAsync(ct);
        }

        return new Chunk(made, errors, [.. rows.Keys.Where(t => !errors.ContainsKey(t))]);
    }

    /// <summary>Locks the tenants' rows in name order (PostgreSQL <c>FOR UPDATE</c>; SQLite's transaction holds the write lock).</summary>
    private static async Task LockAsync(TallyDbContext db, string[] tenants, CancellationToken ct)
    {
        if (db is PostgresTallyDbContext)
        {
            await db.Database.SqlQuery<string>($"SELECT tenant_id AS \"Value\" FROM tenants WHERE tenant_id = ANY({tenants}) ORDER BY tenant_id FOR UPDATE").ToListAsync(ct);
        }
    }

    private static List<BilledInvoice> Made(Dictionary<string, List<BilledInvoice>> made, string tenant) =>
        made.TryGetValue(tenant, out var list) ? list : made[tenant] = [];

    /// <summary>Runs <paramref name="action"/>; an exception it throws is the tenant's error (the chunk goes on).</summary>
    private static void Guard(Dictionary<string, Exception> errors, string tenant, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is DomainValidationException or InvalidOperationException or OverflowException or ArgumentException)
        {
            errors.TryAdd(tenant, e);
        }
    }

    /// <summary>The invoices one tenant is due (before dropping lines it already has).</summary>
    private static List<PlannedInvoice> Plan(TenantContext context, Dictionary<DateTimeOffset, List<RatedMetric>> rated, List<BilledLine> billed, DateTimeOffset now)
    {
        var planned = new List<PlannedInvoice>();
        var lateAdded = false;
        foreach (var period in context.Periods)
        {
            var lines = FixedLines(context, period).ToList();
            var usagePeriod = context.Prepaid ? period.Previous() : period;
            if (rated.TryGetValue(usagePeriod.Start, out var metrics))
            {
                lines.AddRange(PeriodCharges.For(usagePeriod, context.Currency, [], [], metrics, context.Tenant.Locale));
            }

            if (!lateAdded && context.LateWindow.Count > 0)
            {
                // Keyed by the start of the period whose invoice carries them: each period is billed once, so a later
                // run adds the usage that arrived since under a new key.
                lines.AddRange(LateLines(context, rated, billed, period.Start));
                lateAdded = true;
            }

            planned.Add(new PlannedInvoice(context, period, lines));
        }

        // Prepaid tenants whose current period is already billed: changes of plan or add-ons inside it.
        if (context.Prepaid && context.Periods.Count == 0)
        {
            planned.Add(new PlannedInvoice(context, context.Current, PrepaidChanges(context, context.Current, billed, now)));
        }

        return planned;
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
    private async Task IssueEndedManualInvoicesAsync(
        TallyDbContext db, string[] tenants, Dictionary<string, TenantRow> rows, Dictionary<string, List<BilledInvoice>> made,
        DateTimeOffset asOf, DateTimeOffset now, CancellationToken ct)
    {
        var open = InvoiceState.Open.ToWire();
        var finalized = InvoiceState.Finalized.ToWire();
        var ended = await db.Invoices
            .Where(i => tenants.Contains(i.TenantId) && (i.State == open || i.State == finalized) && i.PeriodEnd <= asOf)
            .OrderBy(i => i.Id).ToListAsync(ct);
        if (ended.Count == 0)
        {
            return;
        }

        var endedIds = ended.Select(i => i.Id).ToList();
        var amounts = (await db.InvoiceLineItems.AsNoTracking()
                .Where(l => tenants.Contains(l.TenantId) && endedIds.Contains(l.InvoiceId)).Select(l => new { l.InvoiceId, l.AmountMinor }).ToListAsync(ct))
            .ToLookup(l => l.InvoiceId, l => l.AmountMinor);
        foreach (var invoice in ended)
        {
            Issue(invoice, rows[invoice.TenantId], amounts[invoice.Id], now);
            Made(made, invoice.TenantId).Add(Describe(invoice, amounts[invoice.Id].Count()));
        }
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
    private static List<LineItem> PrepaidChanges(TenantContext context, BillingPeriod period, List<BilledLine> billed, DateTimeOffset now)
    {
        var lines = FixedLines(context, period).ToList();
        var month = SourceKeys.Month(period);
        var fees = billed.Where(b => b.ContractType == PlanContract
            && (b.SourceKey.StartsWith("plan:", StringComparison.Ordinal) || b.SourceKey.StartsWith("refund:", StringComparison.Ordinal))
            && b.SourceKey.Contains(":" + month, StringComparison.Ordinal));
        foreach (var group in fees.GroupBy(b => b.ContractId))
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

    /// <summary>Late-usage lines: each period of the tenant's late window rated again and compared with what its usage lines billed.</summary>
    private static List<LineItem> LateLines(TenantContext context, Dictionary<DateTimeOffset, List<RatedMetric>> rated, List<BilledLine> billed, DateTimeOffset carriedFrom)
    {
        var lines = new List<LineItem>();
        foreach (var period in context.LateWindow.OrderBy(p => p.Start))
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

    /// <summary>A line already billed, as late usage and prepaid changes compare against.</summary>
    private sealed record BilledLine(string SourceKey, string? Metric, string Quantity, long AmountMinor, string? ContractId, string? ContractType);

    /// <summary>
    /// The usage and fixed-fee lines already billed that late usage (the tenant's late window) and prepaid changes (the
    /// current period) compare against, per tenant, in one query.
    /// </summary>
    private static async Task<Dictionary<string, List<BilledLine>>> BilledLinesAsync(TallyDbContext db, List<TenantContext> contexts, DateTimeOffset asOf, CancellationToken ct)
    {
        var needed = contexts.Where(c => (c.Periods.Count > 0 && c.LateWindow.Count > 0) || (c.Prepaid && c.Periods.Count == 0)).ToList();
        if (needed.Count == 0)
        {
            return [];
        }

        var tenants = needed.Select(c => c.Tenant.TenantId).ToList();
        var oldest = needed.Min(c => c.LateWindow.Count > 0 && c.Periods.Count > 0 ? c.LateWindow.Min(p => p.Start) : c.Current.Start);
        var rows = await db.InvoiceLineItems.AsNoTracking()
            .Where(l => tenants.Contains(l.TenantId) && l.PeriodEnd > oldest
                && (l.SourceKey.StartsWith("usage:") || l.SourceKey.StartsWith("late:") || l.SourceKey.StartsWith("plan:") || l.SourceKey.StartsWith("refund:")))
            .Select(l => new { l.TenantId, l.SourceKey, l.Metric, l.Quantity, l.AmountMinor, l.ContractId, l.ContractType })
            .ToListAsync(ct);
        return rows.GroupBy(r => r.TenantId, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => g.Select(r => new BilledLine(r.SourceKey, r.Metric, r.Quantity, r.AmountMinor, r.ContractId, r.ContractType)).ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// Each tenant's usage periods (new ones and its late window) rated with the plan of the last subscription in the
    /// period, over the part after the tenant's first subscription began and after that subscription's trial (usage
    /// during a trial is free); per tenant, keyed by period start. One usage query for all tenants.
    /// </summary>
    private async Task<Dictionary<string, Dictionary<DateTimeOffset, List<RatedMetric>>>> RateAsync(
        List<TenantContext> contexts, Dictionary<string, Exception> errors, CancellationToken ct)
    {
        var result = new Dictionary<string, Dictionary<DateTimeOffset, List<RatedMetric>>>(StringComparer.Ordinal);
        var requests = new List<(string Tenant, HourRange Range)>();
        var subjects = new List<(TenantContext Context, BillingPeriod Period, PlanDefinition Plan)>();
        foreach (var context in contexts)
        {
            Guard(errors, context.Tenant.TenantId, () =>
            {
                var periods = context.Periods.Select(p => context.Prepaid ? p.Previous() : p).Concat(context.Periods.Count > 0 ? context.LateWindow : []);
                foreach (var period in periods.Where(u => u.End > context.Plans[0].StartsAt).DistinctBy(p => p.Start))
                {
                    var subscription = context.Plans.LastOrDefault(p => p.StartsAt < period.End && (p.EndsAt is null || p.EndsAt > period.Start));
                    if (subscription is null || context.PlanOf(subscription) is not { BillingDisabled: false } plan || plan.Prices.Count == 0)
                    {
                        continue;
                    }

                    // Usage before the tenant's first plan is not billed (no contract yet), nor usage during a trial.
                    var from = period.Start > context.Plans[0].StartsAt ? period.Start : context.Plans[0].StartsAt;
                    from = subscription.TrialEndsAt is { } trialEnd && trialEnd > from ? trialEnd : from;
                    if (from < period.End)
                    {
                        requests.Add((context.Tenant.TenantId, new HourRange(UsageQueries.CeilingHour(from), UsageQueries.CeilingHour(period.End))));
                        subjects.Add((context, period, plan));
                    }
                }
            });
        }

        if (requests.Count == 0)
        {
            return result;
        }

        var totals = await usage.ByMetricRangesAsync(requests, ct);
        var metrics = contexts[0].Snapshot.Metrics;
        for (var i = 0; i < subjects.Count; i++)
        {
            var (context, period, plan) = subjects[i];
            var tenant = context.Tenant.TenantId;
            Guard(errors, tenant, () =>
            {
                var rated = new List<RatedMetric>();
                foreach (var price in plan.Prices)
                {
                    if (metrics.GetValueOrDefault(price.Metric)?.Definition is not { } metric)
                    {
                        continue;
                    }

                    var used = totals[i].FirstOrDefault(m => m.Metric == price.Metric);
                    var quantity = used.Metric is null ? 0m : new MeteredUsage(used.Metric, used.SumMicros, used.MaxMicros, used.EventCount).Quantity(metric.Aggregation);
                    rated.Add(new RatedMetric(price.Metric, metric.DisplayNameFor(context.Tenant.Locale), Rater.Rate(price, quantity, metric.Divisor, plan.Currency)));
                }

                (result.TryGetValue(tenant, out var mine) ? mine : result[tenant] = [])[period.Start] = rated;
            });
        }

        return result;
    }

    /// <summary>
    /// What one tenant's billing reads once: its row, zone, currency, mode, the catalog, its subscriptions, the periods
    /// it is due (<see cref="Periods"/>) and the billed usage periods that may have late usage (<see cref="LateWindow"/>).
    /// </summary>
    private sealed record TenantContext(
        TenantRow Tenant, TimeZoneInfo Zone, Currency Currency, bool Prepaid, CatalogSnapshot Snapshot,
        List<PlanSubscriptionRow> Plans, List<AddOnSubscriptionRow> AddOns, BillingPeriod Current, List<BillingPeriod> Periods, List<BillingPeriod> LateWindow)
    {
        /// <summary>Plans the tenant's billing as of <paramref name="asOf"/>; <paramref name="plans"/> by start, not empty.</summary>
        public static TenantContext For(
            TenantRow tenant, CatalogSnapshot snapshot, List<PlanSubscriptionRow> plans, List<AddOnSubscriptionRow> addOns, DateTimeOffset asOf, TimeSpan usageMaxAge)
        {
            var zone = TimeZones.Require(tenant.TimeZone);
            var prepaid = tenant.BillingMode == BillingMode.Prepaid;
            var current = BillingPeriod.Containing(asOf, zone);
            var last = prepaid ? current : current.Previous();
            var first = BillingPeriod.Containing(tenant.BilledThrough ?? plans[0].StartsAt, zone);
            var periods = new List<BillingPeriod>();
            for (var p = first; p.Start <= last.Start; p = p.Next())
            {
                periods.Add(p);
            }

            // Usage periods already billed whose usage may still grow: before the first new usage period (or the last
            // billed one) and ending after asOf − the usage acceptance window.
            var late = new List<BillingPeriod>();
            if (tenant.BilledThrough is { } billedThrough)
            {
                var lastBilledUsage = BillingPeriod.Containing(billedThrough, zone).Previous();
                if (prepaid)
                {
                    lastBilledUsage = lastBilledUsage.Previous();
                }

                var firstNew = periods.Count > 0 ? (prepaid ? first.Previous() : first) : null;
                if (firstNew is not null && firstNew.Start <= lastBilledUsage.Start)
                {
                    lastBilledUsage = firstNew.Previous();
                }

                for (var p = lastBilledUsage; p.End > asOf - usageMaxAge && p.End > plans[0].StartsAt; p = p.Previous())
                {
                    late.Add(p);
                }
            }

            return new TenantContext(tenant, zone, Currency.Of(tenant.Currency), prepaid, snapshot, plans, addOns, current, periods, late);
        }

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
