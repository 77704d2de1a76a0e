using System.Collections.Immutable;
using Tally.Domain;
using Tally.Domain.Invoicing;

namespace Tally.Server.Features.Invoices;

/// <summary>The languages an invoice PDF is rendered in (DESIGN.md: en, ja, zh-TW, de, ko).</summary>
public enum InvoiceLocale
{
    En,
    Ja,
    ZhTw,
    De,
    Ko,
}

/// <summary>Tags of <see cref="InvoiceLocale"/>.</summary>
public static class InvoiceLocales
{
    /// <summary>Every locale in declaration order.</summary>
    public static IReadOnlyList<InvoiceLocale> All { get; } = Array.AsReadOnly(Enum.GetValues<InvoiceLocale>());

    /// <summary>The BCP 47 tag: "en", "ja", "zh-TW", "de", "ko".</summary>
    public static string ToTag(this InvoiceLocale locale) => locale switch
    {
        InvoiceLocale.En => "en",
        InvoiceLocale.Ja => "ja",
        InvoiceLocale.ZhTw => "zh-TW",
        InvoiceLocale.De => "de",
        InvoiceLocale.Ko => "ko",
        _ => throw new ArgumentOutOfRangeException(nameof(locale), locale, "Unknown invoice locale."),
    };

    /// <summary>The locale whose tag equals <paramref name="tag"/> ignoring case; false for anything else.</summary>
    public static bool TryParse(string? tag, out InvoiceLocale locale)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToTag(), tag, StringComparison.OrdinalIgnoreCase))
            {
                locale = candidate;
                return true;
            }
        }

        locale = default;
        return false;
    }
}

/// <summary>A party block of the invoice: the operator (seller) or the tenant (buyer). Address lines are printed as given.</summary>
public sealed record InvoiceParty(string Name, ImmutableArray<string> AddressLines, string? VatCode);

/// <summary>One printed line item: <see cref="Amount"/> is the line's rounded total; <see cref="Unit"/> may be empty.</summary>
public sealed record InvoiceDocumentLine(string Name, string Description, decimal Quantity, string Unit, Money Amount);

/// <summary>
/// What an invoice PDF shows, and nothing else: an immutable view model built from a stored invoice (issued invoices
/// freeze addresses, VAT and currency), rendered by <see cref="InvoicePdf"/>. Every amount is in <see cref="Currency"/>;
/// the totals are printed as given, not recomputed. Dates are the tenant's local calendar dates; the period is
/// printed inclusive (<see cref="PeriodFrom"/> to <see cref="PeriodTo"/>, the last day of a half-open period).
/// </summary>
public sealed record InvoiceDocument
{
    public required InvoiceParty Operator { get; init; }

    public required InvoiceParty Tenant { get; init; }

    /// <summary>The invoice number as issued: <c>YYYY-MM-NNNNNNNN</c>, or 3scale's <c>YYYY-NNNNNNNN</c> after a renumbering.</summary>
    public required string FriendlyId { get; init; }

    public required DateOnly PeriodFrom { get; init; }

    /// <summary>Inclusive last day.</summary>
    public required DateOnly PeriodTo { get; init; }

    public required DateOnly IssuedOn { get; init; }

    public required DateOnly DueOn { get; init; }

    public required Currency Currency { get; init; }

    /// <summary>In the order printed; may be empty.</summary>
    public required ImmutableArray<InvoiceDocumentLine> Lines { get; init; }

    public required Money Subtotal { get; init; }

    /// <summary>Percent (19 = 19 %).</summary>
    public required decimal VatRate { get; init; }

    public required Money Vat { get; init; }

    public required Money Total { get; init; }

    /// <summary>The payment status printed on the invoice.</summary>
    public required InvoiceState Status { get; init; }

    public required InvoiceLocale Locale { get; init; }
}
