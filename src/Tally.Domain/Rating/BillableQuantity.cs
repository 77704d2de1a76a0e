namespace Tally.Domain.Rating;

/// <summary>F5's billable-quantity rule: a quantity in the metric's unit becomes a whole number of billable units.</summary>
public static class BillableQuantity
{
    /// <summary>
    /// <paramref name="quantity"/> (metric unit, e.g. MB) / <paramref name="divisor"/> (metric units per billable unit,
    /// e.g. 1024 for MB → GB), then: quantity exactly 0 → 0; any positive amount below 1 billable unit → 1;
    /// 1 or more → rounded down (2.9 → 2). Throws <see cref="ArgumentOutOfRangeException"/> when quantity &lt; 0 or
    /// divisor ≤ 0, and <see cref="OverflowException"/> when the result does not fit in a <see cref="long"/>.
    /// </summary>
    public static long From(decimal quantity, decimal divisor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quantity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisor);
        if (quantity == 0)
        {
            return 0;
        }

        // A positive quantity stays at least 1 even where the division underflows to 0.
        var units = quantity / divisor;
        return units < 1 ? 1 : decimal.ToInt64(decimal.Floor(units));
    }
}
