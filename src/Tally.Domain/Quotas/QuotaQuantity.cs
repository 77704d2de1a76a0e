namespace Tally.Domain.Quotas;

/// <summary>
/// Quota amounts and counts are stored as integer millionths ("micros") so admission arithmetic is exact
/// in SQL on both engines. Objects are whole numbers; resources carry up to 6 decimal places.
/// </summary>
public static class QuotaQuantity
{
    public const long MicrosPerUnit = 1_000_000;

    /// <summary>Largest amount accepted in one call or as a limit, in units (keeps micros far from overflow).</summary>
    public const double MaxUnits = 1e12;

    /// <summary>Converts <paramref name="units"/> to micros; throws when negative, non-finite, too large, fractional for objects, or finer than 1e-6.</summary>
    public static long ToMicros(double units, QuotaKind kind, string field)
    {
        if (!double.IsFinite(units) || units < 0 || units > MaxUnits)
        {
            throw new DomainValidationException(field, $"{field} must be a finite number between 0 and {MaxUnits:0}.");
        }

        if (kind == QuotaKind.Objects && units != Math.Floor(units))
        {
            throw new DomainValidationException(field, $"{field} must be a whole number for kind \"objects\".");
        }

        // double → decimal keeps 15 significant digits, so 0.30000000000000004 is 0.3 and 1e-10 stays non-zero.
        var micros = (decimal)units * MicrosPerUnit;
        if (micros != decimal.Truncate(micros))
        {
            throw new DomainValidationException(field, $"{field} has more than 6 decimal places.");
        }

        return (long)micros;
    }

    public static double ToUnits(long micros) => (double)micros / MicrosPerUnit;
}
