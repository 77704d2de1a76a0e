using Tally.Domain.Catalog;

namespace Tally.Domain.Subscriptions;

/// <summary>When a plan's trial ends.</summary>
public static class Trial
{
    /// <summary>
    /// The end (exclusive, UTC) of a trial of <paramref name="plan"/> that starts at <paramref name="start"/>, or null when
    /// the plan has no trial. See <see cref="EndsAt(DateTimeOffset, int, PeriodUnit, TimeZoneInfo)"/>.
    /// </summary>
    public static DateTimeOffset? EndsAt(PlanDefinition plan, DateTimeOffset start, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return EndsAt(start, plan.TrialPeriod, plan.TrialPeriodUnit, zone);
    }

    /// <summary>
    /// The end (exclusive, UTC offset) of a trial of <paramref name="length"/> <paramref name="unit"/>s from
    /// <paramref name="start"/>; null when <paramref name="length"/> is 0. Days and weeks are elapsed time (24 h and 7 × 24 h);
    /// months and years are calendar arithmetic on the wall clock of <paramref name="zone"/>: the same local time
    /// <paramref name="length"/> months (years) later, the day clamped to the month's last (Jan 31 + 1 month = Feb 28 or 29).
    /// A local time that does not exist (clocks spring forward) becomes the first instant after the gap; one that occurs
    /// twice (clocks fall back) the earlier occurrence. Throws <see cref="DomainValidationException"/>: field
    /// <c>trial_period</c> for a negative length or an end past year 9999, <c>trial_period_unit</c> for a positive length
    /// without a known unit.
    /// </summary>
    public static DateTimeOffset? EndsAt(DateTimeOffset start, int length, PeriodUnit unit, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (length < 0)
        {
            throw new DomainValidationException("trial_period", $"trial_period must not be negative, not {length}.");
        }

        if (length == 0)
        {
            return null;
        }

        try
        {
            var utc = start.ToUniversalTime();
            return unit switch
            {
                PeriodUnit.Day => utc.AddDays(length),
                PeriodUnit.Week => utc.AddDays(7.0 * length),
                PeriodUnit.Month => ZoneClock.FirstInstantAtOrAfter(ZoneClock.Wall(utc, zone).AddMonths(length), zone),
                PeriodUnit.Year => ZoneClock.FirstInstantAtOrAfter(ZoneClock.Wall(utc, zone).AddYears(length), zone),
                _ => throw new DomainValidationException("trial_period_unit", $"A trial of {length} needs a unit (day, week, month or year), not {Name(unit)}."),
            };
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new DomainValidationException("trial_period", $"A trial of {length} {Name(unit)} from {start:O} would end after year 9999.");
        }
    }

    private static string Name(PeriodUnit unit) => Enum.IsDefined(unit) ? unit.ToWire() : ((int)unit).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
