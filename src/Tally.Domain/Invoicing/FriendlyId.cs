using System.Globalization;
using System.Text.RegularExpressions;

namespace Tally.Domain.Invoicing;

/// <summary>
/// An invoice's friendly id <c>YYYY-MM-NNNNNNNN</c>: the year and month of the invoice's period and its 8-digit sequence
/// number within that month, counting from 1 per tenant (gap-free allocation is the store's job).
/// </summary>
public sealed partial record FriendlyId
{
    /// <summary>Largest sequence number 8 digits hold.</summary>
    public const int MaxSequence = 99_999_999;

    /// <summary>
    /// Checks and creates an id. Throws <see cref="DomainValidationException"/>: field "year" unless 1..9999, "month"
    /// unless 1..12, "sequence" unless 1..<see cref="MaxSequence"/>.
    /// </summary>
    public FriendlyId(int year, int month, int sequence)
    {
        if (year is < 1 or > 9999)
        {
            throw new DomainValidationException("year", $"year must be between 1 and 9999, not {year}.");
        }

        if (month is < 1 or > 12)
        {
            throw new DomainValidationException("month", $"month must be between 1 and 12, not {month}.");
        }

        if (sequence is < 1 or > MaxSequence)
        {
            throw new DomainValidationException("sequence", $"sequence must be between 1 and {MaxSequence}, not {sequence}.");
        }

        Year = year;
        Month = month;
        Sequence = sequence;
    }

    public int Year { get; }

    /// <summary>1..12.</summary>
    public int Month { get; }

    /// <summary>1..<see cref="MaxSequence"/>.</summary>
    public int Sequence { get; }

    /// <summary>The first id of <paramref name="period"/>'s month (sequence 1).</summary>
    public static FriendlyId First(BillingPeriod period)
    {
        ArgumentNullException.ThrowIfNull(period);
        return new FriendlyId(period.Year, period.Month, 1);
    }

    /// <summary>The id after this one in the same month; throws <see cref="DomainValidationException"/> (field "sequence") past <see cref="MaxSequence"/>.</summary>
    public FriendlyId Next() => Sequence == MaxSequence
        ? throw new DomainValidationException("sequence", $"The month {Year:D4}-{Month:D2} has used all {MaxSequence} invoice numbers.")
        : new FriendlyId(Year, Month, Sequence + 1);

    /// <summary>
    /// Parses exactly <c>YYYY-MM-NNNNNNNN</c> (ASCII digits, no white space or trailing newline) within the constructor's
    /// bounds. Throws <see cref="DomainValidationException"/> with field "friendly_id" otherwise.
    /// </summary>
    public static FriendlyId Parse(string? text) => TryParse(text, out var id)
        ? id
        : throw new DomainValidationException("friendly_id", $"friendly_id '{(text is null ? "" : Names.Truncate(text))}' is not of the form YYYY-MM-NNNNNNNN (month 01-12, number 00000001-99999999).");

    /// <summary>Like <see cref="Parse"/>, false instead of throwing.</summary>
    public static bool TryParse(string? text, out FriendlyId id)
    {
        id = null!;
        if (text is null || !Monthly().IsMatch(text))
        {
            return false;
        }

        var year = int.Parse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture);
        var month = int.Parse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        var sequence = int.Parse(text.AsSpan(8, 8), NumberStyles.None, CultureInfo.InvariantCulture);
        if (year < 1 || month is < 1 or > 12 || sequence < 1)
        {
            return false;
        }

        id = new FriendlyId(year, month, sequence);
        return true;
    }

    /// <summary>
    /// True for the forms 3scale's update endpoint accepts, <c>YYYY-MM-NNNNNNNN</c> or <c>YYYY-NNNNNNNN</c> (its regex
    /// <c>\A\d{4}(-\d{2})?-\d{8}\Z</c>, read as ASCII digits and without Ruby's allowance for a trailing newline).
    /// Like 3scale, the month and number are not range-checked (2026-13-00000000 is accepted).
    /// </summary>
    public static bool IsAcceptedUpdateForm(string? text) => text is not null && UpdateForm().IsMatch(text);

    /// <summary>
    /// Returns <paramref name="text"/> when <see cref="IsAcceptedUpdateForm"/>; otherwise throws
    /// <see cref="DomainValidationException"/> with field "friendly_id" and 3scale's message
    /// "format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX".
    /// </summary>
    public static string RequireUpdateForm(string? text) => IsAcceptedUpdateForm(text)
        ? text!
        : throw new DomainValidationException("friendly_id", "format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX");

    /// <summary>"2026-11-00000042".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}-{Sequence:D8}");

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Monthly();

    [GeneratedRegex(@"^[0-9]{4}(-[0-9]{2})?-[0-9]{8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex UpdateForm();
}
