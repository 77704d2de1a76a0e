using System.Globalization;

namespace Tally.Domain;

/// <summary>
/// An amount of money: an integer count of the currency's minor units (cents for USD, yen for JPY, fils for BHD)
/// and the currency. <c>default(Money)</c> has no currency and is not a valid amount.
/// </summary>
public readonly record struct Money
{
    // 10^0 .. 10^18: every exponent a currency can have, and every power that fits in a long.
    private static readonly long[] PowersOfTen =
    [
        1L, 10L, 100L, 1_000L, 10_000L, 100_000L, 1_000_000L, 10_000_000L, 100_000_000L, 1_000_000_000L,
        10_000_000_000L, 100_000_000_000L, 1_000_000_000_000L, 10_000_000_000_000L, 100_000_000_000_000L,
        1_000_000_000_000_000L, 10_000_000_000_000_000L, 100_000_000_000_000_000L, 1_000_000_000_000_000_000L,
    ];

    /// <summary>Creates an amount of <paramref name="minor"/> minor units; throws <see cref="ArgumentNullException"/> when <paramref name="currency"/> is null.</summary>
    public Money(long minor, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(currency);
        Minor = minor;
        Currency = currency;
    }

    /// <summary>Count of the currency's minor units (USD 12.34 = 1234, JPY 1200 = 1200). May be negative (credits, differences).</summary>
    public long Minor { get; }

    public Currency Currency { get; }

    /// <summary>Zero in <paramref name="currency"/>.</summary>
    public static Money Zero(Currency currency) => new(0, currency);

    /// <summary>
    /// Rounds <paramref name="amountInUnits"/> (currency units, e.g. dollars) once, half away from zero, to minor units:
    /// USD 1.005 → 1.01, JPY 12.5 → 13, USD -0.125 → -0.13.
    /// Throws <see cref="OverflowException"/> when the result does not fit in a <see cref="long"/> count of minor units.
    /// </summary>
    public static Money Round(decimal amountInUnits, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(currency);
        var minor = Math.Round(amountInUnits * PowersOfTen[currency.Exponent], MidpointRounding.AwayFromZero);
        return new Money(decimal.ToInt64(minor), currency);
    }

    /// <summary>
    /// Parses an invariant-culture decimal string in currency units ("99.00", "0", "1234.5"). Accepted: ASCII digits with
    /// at most one '.' that has digits on both sides, at most <see cref="Currency.Exponent"/> digits after it (so "1200.00"
    /// is refused for JPY), and a result that fits in a <see cref="long"/> count of minor units. Refused: null or empty,
    /// a sign ('-' is reported as negative), exponents, thousands separators, white space.
    /// Throws <see cref="DomainValidationException"/> with <paramref name="field"/>, the message saying what is wrong.
    /// </summary>
    public static Money ParseUnits(string? text, Currency currency, string field)
    {
        ArgumentNullException.ThrowIfNull(currency);
        if (string.IsNullOrEmpty(text))
        {
            throw new DomainValidationException(field, $"{field} is required: a decimal string in currency units such as \"99.00\".");
        }

        var negative = text[0] == '-';
        var body = negative ? text.AsSpan(1) : text.AsSpan();
        var point = body.IndexOf('.');
        var whole = point < 0 ? body : body[..point];
        var fraction = point < 0 ? ReadOnlySpan<char>.Empty : body[(point + 1)..];
        if (whole.IsEmpty || (point >= 0 && fraction.IsEmpty) || !IsAsciiDigits(whole) || !IsAsciiDigits(fraction))
        {
            throw new DomainValidationException(field,
                $"{field} '{Names.Truncate(text)}' is not a plain decimal number in currency units such as \"99.00\": ASCII digits and at most one '.', without sign, exponent, separators or spaces.");
        }

        if (negative)
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' must not be negative.");
        }

        if (fraction.Length > currency.Exponent)
        {
            throw new DomainValidationException(field, currency.Exponent == 0
                ? $"{field} '{Names.Truncate(text)}' has decimal places, but {currency.Code} has no minor units: write a whole number."
                : $"{field} '{Names.Truncate(text)}' has {fraction.Length} decimal places; {currency.Code} allows at most {currency.Exponent}.");
        }

        whole = whole.TrimStart('0');
        var tooLarge = whole.Length > 19;
        var minor = 0L;
        if (!tooLarge)
        {
            // At most 19 + 3 digits: decimal holds them exactly.
            var digits = string.Concat(whole, fraction, new string('0', currency.Exponent - fraction.Length));
            var value = digits.Length == 0 ? 0m : decimal.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            tooLarge = value > long.MaxValue;
            minor = tooLarge ? 0 : (long)value;
        }

        if (tooLarge)
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' is too large.");
        }

        return new Money(minor, currency);
    }

    /// <summary>The amount in currency units, exact (USD 1234 minor → 12.34).</summary>
    public decimal ToUnits() => (decimal)Minor / PowersOfTen[Currency.Exponent];

    /// <summary>Invariant string in currency units with exactly <see cref="Currency.Exponent"/> decimals: "99.00", JPY "1200", BHD "1.234", "-0.50".</summary>
    public string ToUnitsString() =>
        ToUnits().ToString("F" + Currency.Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>
    /// F5's "hundredths of currency" ("cents") wire value: units × 100, rounded half away from zero when the currency has
    /// more than 2 decimals (USD 12.34 → 1234; JPY 1200 → 120000; BHD 1.234 → 123, 1.235 → 124).
    /// Throws <see cref="OverflowException"/> when the result does not fit in a <see cref="long"/>.
    /// </summary>
    public long ToHundredths()
    {
        var exponent = Currency.Exponent;
        return exponent <= 2
            ? checked(Minor * PowersOfTen[2 - exponent])
            : decimal.ToInt64(Math.Round((decimal)Minor / PowersOfTen[exponent - 2], MidpointRounding.AwayFromZero));
    }

    /// <summary>Sum of two amounts; throws <see cref="InvalidOperationException"/> for different currencies, <see cref="OverflowException"/> past <see cref="long"/>.</summary>
    public static Money operator +(Money left, Money right) => left.Add(right);

    /// <summary>Difference of two amounts; throws <see cref="InvalidOperationException"/> for different currencies, <see cref="OverflowException"/> past <see cref="long"/>.</summary>
    public static Money operator -(Money left, Money right) => left.Subtract(right);

    /// <inheritdoc cref="op_Addition"/>
    public Money Add(Money other) => new(checked(Minor + other.Minor), SameCurrency(other));

    /// <inheritdoc cref="op_Subtraction"/>
    public Money Subtract(Money other) => new(checked(Minor - other.Minor), SameCurrency(other));

    /// <summary>
    /// Exact sum of <paramref name="amounts"/> (zero when empty); every amount must be in <paramref name="currency"/>,
    /// else <see cref="InvalidOperationException"/>. Throws <see cref="OverflowException"/> past <see cref="long"/>.
    /// </summary>
    public static Money Sum(IEnumerable<Money> amounts, Currency currency)
    {
        ArgumentNullException.ThrowIfNull(amounts);
        var total = Zero(currency);
        foreach (var amount in amounts)
        {
            total += amount;
        }

        return total;
    }

    /// <summary>"12.34 USD".</summary>
    public override string ToString() => Currency is null ? "(no currency)" : $"{ToUnitsString()} {Currency.Code}";

    private Currency SameCurrency(Money other) =>
        Currency is not null && Currency.Equals(other.Currency)
            ? Currency
            : throw new InvalidOperationException($"Cannot combine {Currency?.Code ?? "(no currency)"} and {other.Currency?.Code ?? "(no currency)"} amounts.");

    private static bool IsAsciiDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
