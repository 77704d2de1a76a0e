using Tally.Domain.Catalog;

namespace Tally.Domain.Rating;

/// <summary>A metric's aggregates over a period, as kept by the hourly roll-ups. Quantities in millionths of the metric's unit.</summary>
public readonly record struct MeteredUsage(string Metric, long SumMicros, long MaxMicros, long EventCount)
{
    /// <summary>
    /// The period's quantity in the metric's unit under <paramref name="aggregation"/>: the sum of all events, the largest
    /// single event, or the number of events.
    /// </summary>
    public decimal Quantity(Aggregation aggregation) => aggregation switch
    {
        Aggregation.Sum => SumMicros / 1_000_000m,
        Aggregation.Max => MaxMicros / 1_000_000m,
        Aggregation.Count => EventCount,
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown aggregation."),
    };
}

/// <summary>
/// One line of a usage statement (F5's <c>usageCalculatedUsageItem</c>). <see cref="Metric"/> is null on fixed lines
/// (the plan fee). <see cref="Quantity"/> is in <see cref="UnitName"/>; <see cref="QuantityBillable"/> in
/// <see cref="UnitNameBillable"/>; <see cref="Amount"/> is rounded once.
/// </summary>
public sealed record StatementLine(
    string? Metric,
    string UsageType,
    decimal Quantity,
    string UnitName,
    long QuantityBillable,
    string UnitNameBillable,
    Money Amount,
    bool Fixed,
    bool HasData);

/// <summary>Rates a period's usage against a plan: the lines F5's <c>current_usage</c> and <c>monthly_usage</c> report.</summary>
public static class UsageStatement
{
    /// <summary>
    /// The plan's flat fee as a fixed line (when <paramref name="includeFixed"/> and a plan is given), then one line per
    /// metric that the plan prices or that has usage, ordered by metric name. Metrics without a price cost nothing;
    /// usage of a metric missing from the catalog is listed under its name with no unit. Texts are in
    /// <paramref name="locale"/> where the catalog has them. Amounts are in the plan's currency, else
    /// <paramref name="currency"/>.
    /// </summary>
    public static IReadOnlyList<StatementLine> Rate(
        PlanDefinition? plan,
        Currency currency,
        IReadOnlyDictionary<string, MetricDefinition> metrics,
        IReadOnlyCollection<MeteredUsage> usage,
        bool includeFixed,
        string locale)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(usage);
        var money = plan?.Currency ?? currency;
        var lines = new List<StatementLine>();
        if (includeFixed && plan is not null)
        {
            lines.Add(new StatementLine(null, plan.Title, 1, "month", 1, "month", plan.FlatPrice, Fixed: true, HasData: true));
        }

        var used = usage.ToDictionary(u => u.Metric, StringComparer.Ordinal);
        var prices = (plan?.Prices ?? []).ToDictionary(p => p.Metric, StringComparer.Ordinal);
        foreach (var name in used.Keys.Union(prices.Keys).Order(StringComparer.Ordinal))
        {
            var hasData = used.TryGetValue(name, out var metered);
            if (!metrics.TryGetValue(name, out var metric))
            {
                lines.Add(new StatementLine(name, name, metered.SumMicros / 1_000_000m, "", 0, "", Money.Zero(money), Fixed: false, hasData));
                continue;
            }

            var quantity = hasData ? metered.Quantity(metric.Aggregation) : 0m;
            var rated = prices.TryGetValue(name, out var price)
                ? Rater.Rate(price, quantity, metric.Divisor, money)
                : new RatedUsage(quantity, metric.BillableQuantity(quantity), 0, Money.Zero(money));
            lines.Add(new StatementLine(
                name, metric.DisplayNameFor(locale), quantity, metric.UnitName, rated.QuantityBillable, metric.BillableUnitName, rated.Amount, Fixed: false, hasData));
        }

        return lines;
    }
}
