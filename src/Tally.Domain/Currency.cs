using System.Collections.Frozen;

namespace Tally.Domain;

/// <summary>An ISO 4217 currency with its minor-unit exponent (USD 2, JPY 0).</summary>
public sealed record Currency
{
    private static readonly FrozenDictionary<string, int> Exponents = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["USD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["CHF"] = 2, ["CAD"] = 2, ["AUD"] = 2, ["NZD"] = 2, ["SGD"] = 2,
        ["HKD"] = 2, ["TWD"] = 2, ["CNY"] = 2, ["INR"] = 2, ["SEK"] = 2, ["NOK"] = 2, ["DKK"] = 2, ["PLN"] = 2,
        ["CZK"] = 2, ["BRL"] = 2, ["MXN"] = 2, ["ZAR"] = 2, ["ILS"] = 2, ["THB"] = 2, ["MYR"] = 2, ["PHP"] = 2,
        ["IDR"] = 2, ["AED"] = 2, ["SAR"] = 2, ["TRY"] = 2, ["HUF"] = 2, ["RON"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["VND"] = 0, ["CLP"] = 0, ["ISK"] = 0, ["UGX"] = 0,
        ["BHD"] = 3, ["KWD"] = 3, ["OMR"] = 3, ["JOD"] = 3, ["TND"] = 3,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
    }

    /// <summary>Upper-case ISO 4217 alphabetic code.</summary>
    public string Code { get; }

    /// <summary>Number of minor-unit digits: 2 for USD, 0 for JPY.</summary>
    public int Exponent { get; }

    /// <summary>Every code Tally knows, sorted.</summary>
    public static IReadOnlyList<string> KnownCodes { get; } = [.. Exponents.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Returns the currency for <paramref name="code"/>; throws <see cref="DomainValidationException"/> for an unknown code.</summary>
    public static Currency Of(string? code, string field = "currency")
    {
        if (code is null || !Exponents.TryGetValue(code, out var exponent))
        {
            throw new DomainValidationException(field,
                $"{field} '{code}' is not a supported ISO 4217 code (one of {string.Join(", ", KnownCodes)}).");
        }

        return new Currency(code, exponent);
    }

    public override string ToString() => Code;
}
