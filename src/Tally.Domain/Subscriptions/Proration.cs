namespace Tally.Domain.Subscriptions;

/// <summary>Shares of monthly prices for parts of a billing period.</summary>
public static class Proration
{
    /// <summary>
    /// The share of <paramref name="monthlyPrice"/> for the part of <c>[from, to)</c> inside <paramref name="period"/>:
    /// price × overlap ÷ period length (both in ticks), rounded once, half away from zero, to the currency's minor units.
    /// The whole period (or more) gives exactly the price; no overlap gives zero. For a price ≥ 0 the share lies in
    /// [0, price] and never shrinks when the interval grows. Throws <see cref="DomainValidationException"/> (field
    /// <c>to</c>) when <paramref name="to"/> is before <paramref name="from"/>.
    /// </summary>
    public static Money Share(Money monthlyPrice, BillingPeriod period, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(period);
        var overlap = Overlap(period, from, to);
        var length = period.End.Ticks - period.Start.Ticks;
        if (overlap == length)
        {
            return monthlyPrice;
        }

        var magnitude = (Int128)monthlyPrice.Minor;
        var negative = magnitude < 0;
        if (negative)
        {
            magnitude = -magnitude;
        }

        // Half away from zero on the magnitude: floor((2·m·o + l) / 2l).
        var numerator = magnitude * overlap;
        var rounded = ((2 * numerator) + length) / (2 * (Int128)length);
        return new Money((long)(negative ? -rounded : rounded), monthlyPrice.Currency);
    }

    /// <summary>The part of <paramref name="period"/> that <c>[from, to)</c> covers, in [0, 1] (exact decimal division of ticks).</summary>
    public static decimal Fraction(BillingPeriod period, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(period);
        return (decimal)Overlap(period, from, to) / (period.End.Ticks - period.Start.Ticks);
    }

    /// <summary>Ticks of <c>[from, to)</c> ∩ <paramref name="period"/>.</summary>
    private static long Overlap(BillingPeriod period, DateTimeOffset from, DateTimeOffset to)
    {
        if (to < from)
        {
            throw new DomainValidationException("to", $"The end of the interval ({to:O}) is before its start ({from:O}).");
        }

        var start = from > period.Start ? from : period.Start;
        var end = to < period.End ? to : period.End;
        return end > start ? end.UtcTicks - start.UtcTicks : 0;
    }
}
