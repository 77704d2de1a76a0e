using System.Globalization;

namespace Tally.Domain.Invoicing;

/// <summary>
/// An invoice's totals: <see cref="Subtotal"/> = exact sum of the line amounts (each already rounded to minor units);
/// <see cref="Vat"/> = subtotal × <see cref="VatRate"/> / 100, computed once on the subtotal and rounded once, half away
/// from zero, to minor units; <see cref="Total"/> = subtotal + VAT exactly. All in <see cref="Currency"/>.
/// A negative subtotal (refunds) gives a negative VAT, rounded away from zero as well.
/// </summary>
public sealed record InvoiceTotals
{
    /// <summary>Most decimal places a VAT rate may carry (percent).</summary>
    public const int MaxVatRateDecimals = 4;

    private InvoiceTotals(Currency currency, Money subtotal, decimal vatRate, Money vat)
    {
        Currency = currency;
        Subtotal = subtotal;
        VatRate = vatRate;
        Vat = vat;
        Total = subtotal + vat;
    }

    public Currency Currency { get; }

    /// <summary>Exact sum of the lines.</summary>
    public Money Subtotal { get; }

    /// <summary>Percent, 0..100 (19 = 19 %).</summary>
    public decimal VatRate { get; }

    /// <summary>VAT on <see cref="Subtotal"/>, rounded once.</summary>
    public Money Vat { get; }

    /// <summary><see cref="Subtotal"/> + <see cref="Vat"/>, exactly.</summary>
    public Money Total { get; }

    /// <summary>
    /// Totals of lines with amounts <paramref name="lineAmounts"/> (empty: all zero) at <paramref name="vatRatePercent"/>.
    /// Throws <see cref="DomainValidationException"/>: field "vat_rate" for a rate outside 0..100 or with more than
    /// <see cref="MaxVatRateDecimals"/> decimal places; "line_items[i].amount" for a line not in
    /// <paramref name="currency"/> (mixed currencies). Throws <see cref="OverflowException"/> when a sum leaves
    /// <see cref="long"/> minor units.
    /// </summary>
    public static InvoiceTotals Compute(Currency currency, IEnumerable<Money> lineAmounts, decimal vatRatePercent)
    {
        ArgumentNullException.ThrowIfNull(currency);
        ArgumentNullException.ThrowIfNull(lineAmounts);
        RequireVatRate(vatRatePercent);
        var subtotal = 0L;
        var index = 0;
        foreach (var amount in lineAmounts)
        {
            if (amount.Currency is null || !amount.Currency.Equals(currency))
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"line_items[{index}].amount");
                throw new DomainValidationException(path, $"{path} is in {amount.Currency?.Code ?? "no currency"}, but the invoice is in {currency.Code}: an invoice has one currency.");
            }

            subtotal = checked(subtotal + amount.Minor);
            index++;
        }

        var sub = new Money(subtotal, currency);
        var vat = Money.Round(sub.ToUnits() * vatRatePercent / 100m, currency);
        return new InvoiceTotals(currency, sub, vatRatePercent, vat);
    }

    /// <summary>Totals of <paramref name="lines"/>; see <see cref="Compute(Currency, IEnumerable{Money}, decimal)"/>.</summary>
    public static InvoiceTotals Compute(Currency currency, IEnumerable<LineItem> lines, decimal vatRatePercent)
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Compute(currency, lines.Select(l => l.Amount), vatRatePercent);
    }

    /// <summary>
    /// Parses a VAT rate in percent from an invariant decimal string ("19", "10.0", "7.25", "0"): ASCII digits with at
    /// most one '.', at most <see cref="MaxVatRateDecimals"/> decimals, 0..100. Throws
    /// <see cref="DomainValidationException"/> with <paramref name="field"/> otherwise.
    /// </summary>
    public static decimal ParseVatRate(string? text, string field = "vat_rate")
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new DomainValidationException(field, $"{field} is required: a percentage such as \"19\" or \"7.5\".");
        }

        var point = text.IndexOf('.', StringComparison.Ordinal);
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? "" : text[(point + 1)..];
        if (whole.Length is 0 or > 3 || (point >= 0 && fraction.Length == 0)
            || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' is not a plain decimal percentage such as \"19\" or \"7.5\".");
        }

        if (fraction.Length > MaxVatRateDecimals)
        {
            throw new DomainValidationException(field, $"{field} '{Names.Truncate(text)}' has more than {MaxVatRateDecimals} decimal places.");
        }

        var rate = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        RequireVatRate(rate, field);
        return rate;
    }

    private static void RequireVatRate(decimal rate, string field = "vat_rate")
    {
        if (rate is < 0 or > 100)
        {
            throw new DomainValidationException(field, $"{field} must be between 0 and 100 percent, not {rate.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (decimal.Round(rate, MaxVatRateDecimals) != rate)
        {
            throw new DomainValidationException(field, $"{field} {rate.ToString(CultureInfo.InvariantCulture)} has more than {MaxVatRateDecimals} decimal places.");
        }
    }
}
