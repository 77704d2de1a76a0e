using System.Globalization;

namespace Tally.Domain.Invoicing;

/// <summary>A line item's type: 3scale's <c>LineItem::PlanCost</c> (fixed fees, setup fees, add-on fees) or <c>LineItem::VariableCost</c> (usage).</summary>
public enum LineItemKind
{
    PlanCost,
    VariableCost,
}

/// <summary>Wire names of <see cref="LineItemKind"/>.</summary>
public static class LineItemKinds
{
    /// <summary>"LineItem::PlanCost" or "LineItem::VariableCost".</summary>
    public static string ToWire(this LineItemKind kind) => kind switch
    {
        LineItemKind.PlanCost => "LineItem::PlanCost",
        LineItemKind.VariableCost => "LineItem::VariableCost",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown line item kind."),
    };

    /// <summary>The kind named exactly (ordinal) by <paramref name="wire"/>; false for anything else.</summary>
    public static bool TryParse(string? wire, out LineItemKind kind)
    {
        foreach (var candidate in Enum.GetValues<LineItemKind>())
        {
            if (string.Equals(candidate.ToWire(), wire, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}

/// <summary>
/// One line of an invoice. <see cref="Amount"/> is the line's total, rounded once to minor units (negative for credits
/// and refunds); <see cref="Quantity"/> is informative (share of the month for fixed fees, usage for variable costs).
/// <see cref="PeriodStart"/>/<see cref="PeriodEnd"/> bound the time the line charges for, half-open, UTC.
/// <para>
/// <see cref="SourceKey"/> names what the line charges for; a tenant never has two lines with the same key, which is
/// what makes billing runs idempotent. Build keys with <see cref="SourceKeys"/>:
/// <c>plan:{subscriptionId}:{yyyy-MM}</c> (a plan subscription's fixed fee for the billing period's local month),
/// <c>setup:{subscriptionId}</c> (its setup fee, once ever), <c>addon:{addonSubscriptionId}:{yyyy-MM}</c> (an add-on
/// fee), <c>usage:{metric}:{yyyy-MM}</c> (a metric's usage in the period), <c>late:{metric}:{yyyy-MM}:{invoicedAt}</c>
/// (usage of the period that arrived after it was invoiced, <c>invoicedAt</c> the UTC instant of the invoice that
/// bills it as <c>yyyyMMddTHHmmssfffffffZ</c>), <c>refund:{subscriptionId}:{yyyy-MM}:{invoicedAt}</c> (a correction of a
/// fixed fee already billed for the period, e.g. the refund of a prepaid plan changed mid-period), <c>manual:{id}</c>
/// (a line created through the API).
/// </para>
/// </summary>
public sealed record LineItem
{
    /// <summary>Room for a 256-character catalog name inside "Fixed fee ('…')" and the like.</summary>
    public const int MaxNameLength = 512;
    public const int MaxDescriptionLength = 1024;
    public const int MaxSourceKeyLength = 512;

    /// <summary>
    /// Checks and creates a line. Throws <see cref="DomainValidationException"/>: "kind" for an undefined kind; "name"
    /// when blank or longer than <see cref="MaxNameLength"/>; "description" longer than <see cref="MaxDescriptionLength"/>
    /// (null is empty); "quantity" when negative; "amount" without a currency; "period_end" before "period_start";
    /// "source_key" when empty, longer than <see cref="MaxSourceKeyLength"/> or containing white space or control characters.
    /// </summary>
    public LineItem(
        LineItemKind kind,
        string name,
        string? description,
        decimal quantity,
        Money amount,
        DateTimeOffset periodStart,
        DateTimeOffset periodEnd,
        string sourceKey,
        string? metric = null)
    {
        if (!Enum.IsDefined(kind))
        {
            throw new DomainValidationException("kind", $"kind {(int)kind} is not a line item kind.");
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > MaxNameLength)
        {
            throw new DomainValidationException("name", $"name is required, at most {MaxNameLength} characters.");
        }

        description ??= "";
        if (description.Length > MaxDescriptionLength)
        {
            throw new DomainValidationException("description", $"description has more than {MaxDescriptionLength} characters.");
        }

        if (quantity < 0)
        {
            throw new DomainValidationException("quantity", $"quantity must not be negative, not {quantity.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (amount.Currency is null)
        {
            throw new DomainValidationException("amount", "amount needs a currency.");
        }

        if (periodEnd < periodStart)
        {
            throw new DomainValidationException("period_end", $"period_end ({periodEnd:O}) is before period_start ({periodStart:O}).");
        }

        if (string.IsNullOrEmpty(sourceKey) || sourceKey.Length > MaxSourceKeyLength || sourceKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new DomainValidationException("source_key", $"source_key is required: 1-{MaxSourceKeyLength} characters without white space or control characters.");
        }

        Kind = kind;
        Name = name;
        Description = description;
        Quantity = quantity;
        Amount = amount;
        PeriodStart = periodStart.ToUniversalTime();
        PeriodEnd = periodEnd.ToUniversalTime();
        SourceKey = sourceKey;
        Metric = metric;
    }

    public LineItemKind Kind { get; }

    public string Name { get; }

    /// <summary>Never null; may be empty.</summary>
    public string Description { get; }

    /// <summary>≥ 0.</summary>
    public decimal Quantity { get; }

    /// <summary>The line's total, in minor units of its currency.</summary>
    public Money Amount { get; }

    /// <summary>UTC, inclusive.</summary>
    public DateTimeOffset PeriodStart { get; }

    /// <summary>UTC, exclusive; ≥ <see cref="PeriodStart"/>.</summary>
    public DateTimeOffset PeriodEnd { get; }

    /// <summary>Unique per tenant; see the type's comment for the scheme.</summary>
    public string SourceKey { get; }

    /// <summary>The metric a variable-cost line charges for; null on fixed lines and manual lines without one.</summary>
    public string? Metric { get; }
}

/// <summary>The <see cref="LineItem.SourceKey"/> scheme (see <see cref="LineItem"/>). Months are the billing period's local year and month.</summary>
public static class SourceKeys
{
    /// <summary><c>plan:{subscriptionId}:{yyyy-MM}</c>.</summary>
    public static string Plan(string subscriptionId, BillingPeriod period) => $"plan:{Require(subscriptionId)}:{Month(period)}";

    /// <summary><c>setup:{subscriptionId}</c>.</summary>
    public static string Setup(string subscriptionId) => $"setup:{Require(subscriptionId)}";

    /// <summary><c>addon:{addonSubscriptionId}:{yyyy-MM}</c>.</summary>
    public static string AddOn(string addOnSubscriptionId, BillingPeriod period) => $"addon:{Require(addOnSubscriptionId)}:{Month(period)}";

    /// <summary><c>usage:{metric}:{yyyy-MM}</c>.</summary>
    public static string Usage(string metric, BillingPeriod period) => $"usage:{Require(metric)}:{Month(period)}";

    /// <summary><c>late:{metric}:{yyyy-MM}:{invoicedAt as yyyyMMddTHHmmssfffffffZ}</c>: late usage of <paramref name="usagePeriod"/> billed on the invoice made at <paramref name="invoicedAt"/>.</summary>
    public static string Late(string metric, BillingPeriod usagePeriod, DateTimeOffset invoicedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"late:{Require(metric)}:{Month(usagePeriod)}:{invoicedAt.UtcDateTime:yyyyMMdd'T'HHmmssfffffff'Z'}");

    /// <summary><c>refund:{subscriptionId}:{yyyy-MM}:{invoicedAt as yyyyMMddTHHmmssfffffffZ}</c>: a correction of the fixed fee of <paramref name="period"/> on the invoice made at <paramref name="invoicedAt"/>.</summary>
    public static string Refund(string subscriptionId, BillingPeriod period, DateTimeOffset invoicedAt) =>
        string.Create(CultureInfo.InvariantCulture, $"refund:{Require(subscriptionId)}:{Month(period)}:{invoicedAt.UtcDateTime:yyyyMMdd'T'HHmmssfffffff'Z'}");

    /// <summary><c>manual:{id}</c>.</summary>
    public static string Manual(string id) => $"manual:{Require(id)}";

    /// <summary>"2026-11".</summary>
    public static string Month(BillingPeriod period)
    {
        ArgumentNullException.ThrowIfNull(period);
        return string.Create(CultureInfo.InvariantCulture, $"{period.Year:D4}-{period.Month:D2}");
    }

    private static string Require(string part) =>
        string.IsNullOrEmpty(part) || part.Contains(':', StringComparison.Ordinal)
            ? throw new DomainValidationException("source_key", $"A source key part must be non-empty and without ':', not '{part}'.")
            : part;
}
