using System.Globalization;
using Tally.Domain.Catalog;
using Tally.Domain.Rating;
using Tally.Domain.Subscriptions;

namespace Tally.Domain.Invoicing;

/// <summary>
/// A plan subscription as the billing calculator sees it: <c>[Start, End)</c> (End null = open-ended), UTC; the trial
/// runs from Start to <see cref="TrialEndsAt"/> (null = no trial; see <see cref="Trial.EndsAt(PlanDefinition, DateTimeOffset, TimeZoneInfo)"/>);
/// <see cref="SetupFeeBilled"/> when an earlier invoice already carries its setup fee.
/// Throws <see cref="DomainValidationException"/>: "subscription_id" when blank, "ends_at" when End is before Start.
/// </summary>
public sealed record BilledPlanSubscription
{
    public BilledPlanSubscription(string subscriptionId, PlanDefinition plan, DateTimeOffset start, DateTimeOffset? end, DateTimeOffset? trialEndsAt, bool setupFeeBilled)
    {
        ArgumentNullException.ThrowIfNull(plan);
        SubscriptionId = string.IsNullOrWhiteSpace(subscriptionId) ? throw new DomainValidationException("subscription_id", "subscription_id is required.") : subscriptionId;
        if (end < start)
        {
            throw new DomainValidationException("ends_at", $"A subscription cannot end ({end:O}) before it starts ({start:O}).");
        }

        Plan = plan;
        Start = start.ToUniversalTime();
        End = end?.ToUniversalTime();
        TrialEndsAt = trialEndsAt?.ToUniversalTime();
        SetupFeeBilled = setupFeeBilled;
    }

    public string SubscriptionId { get; }

    public PlanDefinition Plan { get; }

    public DateTimeOffset Start { get; }

    public DateTimeOffset? End { get; }

    public DateTimeOffset? TrialEndsAt { get; }

    public bool SetupFeeBilled { get; }
}

/// <summary>
/// An add-on subscription as the billing calculator sees it: <c>[Start, End)</c> (End null = open-ended), UTC.
/// Throws <see cref="DomainValidationException"/>: "subscription_id" when blank, "ends_at" when End is before Start.
/// </summary>
public sealed record BilledAddOnSubscription
{
    public BilledAddOnSubscription(string subscriptionId, AddOnDefinition addOn, DateTimeOffset start, DateTimeOffset? end)
    {
        ArgumentNullException.ThrowIfNull(addOn);
        SubscriptionId = string.IsNullOrWhiteSpace(subscriptionId) ? throw new DomainValidationException("subscription_id", "subscription_id is required.") : subscriptionId;
        if (end < start)
        {
            throw new DomainValidationException("ends_at", $"A subscription cannot end ({end:O}) before it starts ({start:O}).");
        }

        AddOn = addOn;
        Start = start.ToUniversalTime();
        End = end?.ToUniversalTime();
    }

    public string SubscriptionId { get; }

    public AddOnDefinition AddOn { get; }

    public DateTimeOffset Start { get; }

    public DateTimeOffset? End { get; }
}

/// <summary>
/// One metric's usage in the period, rated (<see cref="Rater.Rate"/>): <see cref="Metric"/> the usage type,
/// <see cref="DisplayName"/> the line's name.
/// </summary>
public sealed record RatedMetric(string Metric, string DisplayName, RatedUsage Usage);

/// <summary>The billing calculator: the line items one billing period owes. Pure.</summary>
public static class PeriodCharges
{
    /// <summary>
    /// The line items of <paramref name="period"/> (a calendar month in the tenant's zone), in this order:
    /// <list type="number">
    /// <item>per plan subscription (by start, then id): the fixed fee <c>Fixed fee ('{plan title}')</c>, the plan's
    /// flat price prorated by <see cref="Proration.Share"/> (ticks) to the billable part of the period, i.e.
    /// [max(period start, subscription start, trial end), min(period end, subscription end)); quantity = that share of
    /// the period (6 decimals); key <c>plan:{id}:{yyyy-MM}</c>. Then, when the setup fee is not yet billed, is positive
    /// and the billable part is not empty (the first period with time after the trial, or at once without one), the
    /// setup fee <c>Setup fee ('{plan title}')</c>, quantity 1, over the same part, key <c>setup:{id}</c>.</item>
    /// <item>per add-on subscription (by start, then id): <c>Add-on fee ('{display name}')</c>, the monthly price
    /// prorated to the part of the period it covers, key <c>addon:{id}:{yyyy-MM}</c>.</item>
    /// <item>per metric with a non-zero amount (by amount descending, then metric ordinal, as 3scale sorts by cost):
    /// a <see cref="LineItemKind.VariableCost"/> line named by its display name, quantity = the aggregated usage, over
    /// the whole period, key <c>usage:{metric}:{yyyy-MM}</c>.</item>
    /// </list>
    /// Fixed lines whose amount rounds to zero (free plans, a few seconds of a cheap plan) are left out. Descriptions
    /// give the part as local wall-clock times of the period's zone. Plan texts are in <paramref name="locale"/> where
    /// the catalog has them. Throws <see cref="DomainValidationException"/> when a plan, add-on or rated amount is not in
    /// <paramref name="currency"/> (field "plans[i].plan.currency", "add_ons[i].add_on.currency" or "usage[i].amount"),
    /// and for a subscription id or metric listed twice ("plans[i].subscription_id", "add_ons[i].subscription_id",
    /// "usage[i].metric"), which would give two lines the same key.
    /// </summary>
    public static IReadOnlyList<LineItem> For(
        BillingPeriod period,
        Currency currency,
        IReadOnlyList<BilledPlanSubscription> plans,
        IReadOnlyList<BilledAddOnSubscription> addOns,
        IReadOnlyList<RatedMetric> usage,
        string locale = "en")
    {
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(currency);
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(addOns);
        ArgumentNullException.ThrowIfNull(usage);
        var lines = new List<LineItem>();

        var planIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < plans.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(plans[i]);
            RequireCurrency(plans[i].Plan.Currency, currency, $"plans[{i}].plan.currency");
            RequireUnique(planIds, plans[i].SubscriptionId, $"plans[{i}].subscription_id");
        }

        foreach (var subscription in plans.OrderBy(p => p.Start).ThenBy(p => p.SubscriptionId, StringComparer.Ordinal))
        {
            var (from, to) = BillablePart(period, subscription);
            if (to <= from)
            {
                continue;
            }

            var plan = subscription.Plan;
            var title = plan.TitleFor(locale);
            var description = Describe(period, from, to);
            var fee = Proration.Share(plan.FlatPrice, period, from, to);
            if (fee.Minor != 0)
            {
                lines.Add(new LineItem(
                    LineItemKind.PlanCost, $"Fixed fee ('{title}')", description, Share(period, from, to), fee, from, to,
                    SourceKeys.Plan(subscription.SubscriptionId, period)));
            }

            if (!subscription.SetupFeeBilled && plan.SetupFee.Minor > 0)
            {
                lines.Add(new LineItem(
                    LineItemKind.PlanCost, $"Setup fee ('{title}')", description, 1m, plan.SetupFee, from, to,
                    SourceKeys.Setup(subscription.SubscriptionId)));
            }
        }

        var addOnIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < addOns.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(addOns[i]);
            RequireCurrency(addOns[i].AddOn.Currency, currency, $"add_ons[{i}].add_on.currency");
            RequireUnique(addOnIds, addOns[i].SubscriptionId, $"add_ons[{i}].subscription_id");
        }

        foreach (var subscription in addOns.OrderBy(a => a.Start).ThenBy(a => a.SubscriptionId, StringComparer.Ordinal))
        {
            var from = Max(period.Start, subscription.Start);
            var to = Min(period.End, subscription.End ?? DateTimeOffset.MaxValue);
            if (to <= from)
            {
                continue;
            }

            var fee = Proration.Share(subscription.AddOn.MonthlyPrice, period, from, to);
            if (fee.Minor != 0)
            {
                lines.Add(new LineItem(
                    LineItemKind.PlanCost, $"Add-on fee ('{subscription.AddOn.DisplayNameFor(locale)}')", Describe(period, from, to),
                    Share(period, from, to), fee, from, to, SourceKeys.AddOn(subscription.SubscriptionId, period)));
            }
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < usage.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(usage[i]);
            RequireCurrency(usage[i].Usage.Amount.Currency, currency, $"usage[{i}].amount");
            RequireUnique(seen, usage[i].Metric, $"usage[{i}].metric");
        }

        var usageDescription = Describe(period, period.Start, period.End);
        foreach (var metric in usage
                     .Where(u => u.Usage.Amount.Minor != 0)
                     .OrderByDescending(u => u.Usage.Amount.Minor)
                     .ThenBy(u => u.Metric, StringComparer.Ordinal))
        {
            lines.Add(new LineItem(
                LineItemKind.VariableCost, metric.DisplayName, usageDescription, metric.Usage.Quantity, metric.Usage.Amount,
                period.Start, period.End, SourceKeys.Usage(metric.Metric, period), metric.Metric));
        }

        return lines;
    }

    /// <summary>
    /// The correction of a fixed fee already billed for <paramref name="period"/> (prepaid billing bills the whole period
    /// in advance, then the plan changes or the subscription ends inside it): <paramref name="subscription"/> as it is
    /// now (its end set), <paramref name="billedAmount"/> what its fixed-fee lines for the period billed so far (the
    /// <c>plan:</c> line and earlier corrections), <paramref name="invoicedAt"/> the instant of the invoice that carries
    /// the correction. The line bills the fixed fee due now (as <see cref="For"/> computes it) minus
    /// <paramref name="billedAmount"/>: negative as <c>Refund ('{plan title}')</c>, positive (an end moved later) as
    /// <c>Fixed fee adjustment ('{plan title}')</c>; null when nothing changed. Quantity 1; the line spans from the end
    /// of the part now billable (its start when none is) to the period's end; key
    /// <c>refund:{subscriptionId}:{yyyy-MM}:{invoicedAt}</c>. The new plan's subscription gets its own <c>plan:</c> line
    /// from <see cref="For"/>. Throws <see cref="DomainValidationException"/> (field "amount") when
    /// <paramref name="billedAmount"/> is not in the plan's currency.
    /// </summary>
    public static LineItem? PlanChangeAdjustment(
        BillingPeriod period, BilledPlanSubscription subscription, Money billedAmount, DateTimeOffset invoicedAt, string locale = "en")
    {
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(subscription);
        var plan = subscription.Plan;
        if (billedAmount.Currency is null || !billedAmount.Currency.Equals(plan.Currency))
        {
            throw new DomainValidationException("amount", $"The billed amount is in {billedAmount.Currency?.Code ?? "no currency"}, the plan in {plan.Currency.Code}.");
        }

        var (from, to) = BillablePart(period, subscription);
        var due = to > from ? Proration.Share(plan.FlatPrice, period, from, to) : Money.Zero(plan.Currency);
        var difference = due - billedAmount;
        if (difference.Minor == 0)
        {
            return null;
        }

        var start = to > from ? to : Min(Max(from, period.Start), period.End);
        var title = plan.TitleFor(locale);
        return new LineItem(
            LineItemKind.PlanCost, difference.Minor < 0 ? $"Refund ('{title}')" : $"Fixed fee adjustment ('{title}')",
            Describe(period, start, period.End), 1m, difference, start, period.End,
            SourceKeys.Refund(subscription.SubscriptionId, period, invoicedAt));
    }

    /// <summary>
    /// The late-usage line for one metric of <paramref name="usagePeriod"/>, a period already invoiced, billed on the
    /// invoice made at <paramref name="invoicedAt"/>: <paramref name="ratedNow"/> is the metric's usage of that period
    /// rated again with every event known now; <paramref name="billedQuantity"/> and <paramref name="billedAmount"/> are
    /// what the period's usage line and earlier late lines of the metric already billed (quantity and amount summed).
    /// The line bills the difference: amount = rated now − billed (so tiers apply to the period's whole usage and the
    /// lines of a metric and period always sum to its rating), quantity = quantity now − billed. Null when the amount
    /// difference is zero. A <see cref="LineItemKind.VariableCost"/> line named "{display name} (late usage, yyyy-MM)",
    /// over the usage period, key <c>late:{metric}:{yyyy-MM}:{invoicedAt}</c>. Throws
    /// <see cref="DomainValidationException"/>: field "quantity" when the quantity now is below the billed one (usage
    /// never shrinks), "amount" when the currencies differ.
    /// </summary>
    public static LineItem? LateUsage(BillingPeriod usagePeriod, RatedMetric ratedNow, decimal billedQuantity, Money billedAmount, DateTimeOffset invoicedAt)
    {
        ArgumentNullException.ThrowIfNull(usagePeriod);
        ArgumentNullException.ThrowIfNull(ratedNow);
        var now = ratedNow.Usage;
        if (now.Quantity < billedQuantity)
        {
            throw new DomainValidationException("quantity", string.Create(CultureInfo.InvariantCulture,
                $"The usage of {ratedNow.Metric} in {SourceKeys.Month(usagePeriod)} is {now.Quantity} now, less than the {billedQuantity} already billed."));
        }

        if (billedAmount.Currency is null || !billedAmount.Currency.Equals(now.Amount.Currency))
        {
            throw new DomainValidationException("amount", $"The billed amount is in {billedAmount.Currency?.Code ?? "no currency"}, the rated usage in {now.Amount.Currency?.Code ?? "no currency"}.");
        }

        var difference = now.Amount - billedAmount;
        return difference.Minor == 0
            ? null
            : new LineItem(
                LineItemKind.VariableCost, $"{ratedNow.DisplayName} (late usage, {SourceKeys.Month(usagePeriod)})",
                Describe(usagePeriod, usagePeriod.Start, usagePeriod.End), now.Quantity - billedQuantity, difference,
                usagePeriod.Start, usagePeriod.End, SourceKeys.Late(ratedNow.Metric, usagePeriod, invoicedAt), ratedNow.Metric);
    }

    /// <summary>"2026-11-05 00:00:00 – 2026-12-01 00:00:00 (Asia/Tokyo)": the part as local wall-clock times, end exclusive.</summary>
    public static string Describe(BillingPeriod period, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(period);
        var zone = period.Zone;
        return string.Create(CultureInfo.InvariantCulture,
            $"{TimeZoneInfo.ConvertTime(from, zone):yyyy-MM-dd HH:mm:ss} – {TimeZoneInfo.ConvertTime(to, zone):yyyy-MM-dd HH:mm:ss} ({zone.Id})");
    }

    /// <summary>[max(period start, start, trial end), min(period end, end)); empty when to ≤ from.</summary>
    private static (DateTimeOffset From, DateTimeOffset To) BillablePart(BillingPeriod period, BilledPlanSubscription subscription)
    {
        var from = Max(period.Start, subscription.Start);
        if (subscription.TrialEndsAt is { } trialEnd)
        {
            from = Max(from, trialEnd);
        }

        return (from, Min(period.End, subscription.End ?? DateTimeOffset.MaxValue));
    }

    private static decimal Share(BillingPeriod period, DateTimeOffset from, DateTimeOffset to) =>
        decimal.Round(Proration.Fraction(period, from, to), 6, MidpointRounding.AwayFromZero);

    private static void RequireCurrency(Currency? actual, Currency expected, string field)
    {
        if (actual is null || !actual.Equals(expected))
        {
            throw new DomainValidationException(field, $"{field} is {actual?.Code ?? "missing"}, but the tenant is billed in {expected.Code}.");
        }
    }

    private static void RequireUnique(HashSet<string> seen, string value, string field)
    {
        if (!seen.Add(value))
        {
            throw new DomainValidationException(field, $"{field}: '{value}' is listed twice.");
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
