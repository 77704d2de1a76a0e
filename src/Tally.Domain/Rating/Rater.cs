namespace Tally.Domain.Rating;

/// <summary>Prices one metric's quantity for one period. Pure: decimal arithmetic, one rounding at the end.</summary>
public static class Rater
{
    /// <summary>
    /// Rates <paramref name="quantity"/> (metric unit, aggregated over the period) under <paramref name="price"/>:
    /// billable = <see cref="BillableQuantity.From"/>(quantity, divisor); chargeable = max(0, billable − included); then
    /// per_unit: chargeable × unit_price; package: ⌈chargeable / package_size⌉ × package_price; graduated: each tier
    /// prices the chargeable units inside (previous up_to, up_to]; volume: the tier containing chargeable prices all
    /// chargeable units (0 units cost 0). The exact decimal total is rounded once with <see cref="Money.Round"/>.
    /// Throws <see cref="DomainValidationException"/> with field "quantity" when the quantity is negative or the
    /// result does not fit (decimal or <see cref="long"/> minor units); <see cref="ArgumentOutOfRangeException"/> when
    /// <paramref name="divisor"/> ≤ 0.
    /// </summary>
    public static RatedUsage Rate(MetricPrice price, decimal quantity, decimal divisor, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(price);
        ArgumentNullException.ThrowIfNull(currency);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(divisor);
        if (quantity < 0)
        {
            throw new DomainValidationException("quantity", "quantity must not be negative.");
        }

        try
        {
            var billable = BillableQuantity.From(quantity, divisor);
            var chargeable = Math.Max(0, billable - price.Included);
            var total = price.Model switch
            {
                PricingModel.PerUnit => chargeable * price.UnitPrice!.Value,
                PricingModel.Package => Packages(chargeable, price.PackageSize!.Value) * price.PackagePrice!.Value,
                PricingModel.Graduated => Graduated(chargeable, price.Tiers),
                PricingModel.Volume => Volume(chargeable, price.Tiers),
                _ => throw new ArgumentOutOfRangeException(nameof(price), price.Model, "Unknown pricing model."),
            };
            return new RatedUsage(quantity, billable, chargeable, Money.Round(total, currency));
        }
        catch (OverflowException e)
        {
            throw new DomainValidationException("quantity",
                $"quantity is too large to rate: the amount does not fit in {currency.Code} minor units ({e.Message}).");
        }
    }

    /// <summary>Number of started packages: ⌈units / size⌉, without overflow.</summary>
    private static long Packages(long units, long size) => (units / size) + (units % size == 0 ? 0 : 1);

    private static decimal Graduated(long chargeable, IReadOnlyList<PriceTier> tiers)
    {
        var total = 0m;
        var below = 0m;
        foreach (var tier in tiers)
        {
            if (chargeable <= below)
            {
                break;
            }

            var upTo = tier.UpTo is { } bound ? Math.Min(bound, chargeable) : chargeable;
            total += (upTo - below) * tier.UnitPrice;
            below = upTo;
        }

        return total;
    }

    private static decimal Volume(long chargeable, IReadOnlyList<PriceTier> tiers)
    {
        if (chargeable == 0)
        {
            return 0;
        }

        // The last tier is unbounded (a MetricPrice invariant), so a tier always matches.
        var tier = tiers.First(t => t.UpTo is not { } upTo || chargeable <= upTo);
        return chargeable * tier.UnitPrice;
    }
}
