using System.Globalization;

namespace Tally.Domain;

/// <summary>
/// A calendar month in a time zone as a half-open UTC interval [<see cref="Start"/>, <see cref="End"/>).
/// <para>
/// Boundary rule: a month starts at the first instant whose local wall-clock time is at or after 00:00 on its 1st.
/// So when local midnight does not exist (clocks spring forward at midnight) the month starts at the transition,
/// the first valid instant after midnight; when local midnight occurs twice (clocks fall back over midnight) it starts
/// at the earlier occurrence. <see cref="End"/> is the next month's <see cref="Start"/>, so consecutive periods tile
/// time without gap or overlap.
/// </para>
/// </summary>
public sealed record BillingPeriod
{
    /// <summary>Earliest year <see cref="Of"/> accepts.</summary>
    public const int MinYear = 1900;

    /// <summary>Latest year <see cref="Of"/> accepts (its December still ends before year 10000).</summary>
    public const int MaxYear = 9998;

    private BillingPeriod(int year, int month, TimeZoneInfo zone, DateTimeOffset start, DateTimeOffset end)
    {
        Year = year;
        Month = month;
        Zone = zone;
        Start = start;
        End = end;
    }

    /// <summary>Local calendar year of the month.</summary>
    public int Year { get; }

    /// <summary>Local calendar month, 1..12.</summary>
    public int Month { get; }

    public TimeZoneInfo Zone { get; }

    /// <summary>First instant of the period, UTC (offset zero), inclusive.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>First instant after the period, UTC (offset zero), exclusive; equals <c>Next().Start</c>.</summary>
    public DateTimeOffset End { get; }

    /// <summary>
    /// The month <paramref name="month"/> of <paramref name="year"/> in <paramref name="zone"/>. Throws
    /// <see cref="DomainValidationException"/> with field "month" unless 1..12, with field "year" unless
    /// <see cref="MinYear"/>..<see cref="MaxYear"/>.
    /// </summary>
    public static BillingPeriod Of(int year, int month, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (month is < 1 or > 12)
        {
            throw new DomainValidationException("month", $"month must be between 1 and 12, not {month}.");
        }

        if (year is < MinYear or > MaxYear)
        {
            throw new DomainValidationException("year", $"year must be between {MinYear} and {MaxYear}, not {year}.");
        }

        var (nextYear, nextMonth) = month == 12 ? (year + 1, 1) : (year, month + 1);
        return new BillingPeriod(year, month, zone,
            StartOfLocalDay(new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Unspecified), zone),
            StartOfLocalDay(new DateTime(nextYear, nextMonth, 1, 0, 0, 0, DateTimeKind.Unspecified), zone));
    }

    /// <summary>
    /// The period of <paramref name="zone"/> with <c>Start ≤ instant &lt; End</c>. Throws
    /// <see cref="ArgumentOutOfRangeException"/> when the instant's local year is outside <see cref="MinYear"/>..<see cref="MaxYear"/>.
    /// </summary>
    public static BillingPeriod Containing(DateTimeOffset instant, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var local = TimeZoneInfo.ConvertTime(instant, zone).DateTime;
        if (local.Year is < MinYear or > MaxYear)
        {
            throw new ArgumentOutOfRangeException(nameof(instant), instant, $"Billing periods cover local years {MinYear} to {MaxYear}.");
        }

        var period = Of(local.Year, local.Month, zone);

        // When clocks fall back across midnight, the wall clock shows the old month again after the new one began:
        // the half-open bounds, not the local date, decide.
        return instant < period.Start ? period.Previous()
            : instant >= period.End ? period.Next()
            : period;
    }

    /// <summary>The following month in the same zone.</summary>
    public BillingPeriod Next() => Month == 12 ? Of(Year + 1, 1, Zone) : Of(Year, Month + 1, Zone);

    /// <summary>The preceding month in the same zone.</summary>
    public BillingPeriod Previous() => Month == 1 ? Of(Year - 1, 12, Zone) : Of(Year, Month - 1, Zone);

    /// <summary>True when <c>Start ≤ instant &lt; End</c>.</summary>
    public bool Contains(DateTimeOffset instant) => instant >= Start && instant < End;

    /// <summary>"2026-04 Asia/Tokyo [2026-03-31T15:00:00Z, 2026-04-30T15:00:00Z)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2} {Zone.Id} [{Start.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}, {End.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'})");

    /// <summary>The first instant (offset zero) whose wall-clock time in <paramref name="zone"/> is at or after <paramref name="wall"/>.</summary>
    private static DateTimeOffset StartOfLocalDay(DateTime wall, TimeZoneInfo zone) => ZoneClock.FirstInstantAtOrAfter(wall, zone);
}
