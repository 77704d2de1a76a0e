using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Catalog;
using Tally.Domain.Subscriptions;
using Tally.Domain.Tenants;

namespace Tally.Domain.Tests;

public sealed class TrialTests
{
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");
    private static readonly TimeZoneInfo Tokyo = TimeZones.Require("Asia/Tokyo");
    private static readonly TimeZoneInfo LosAngeles = TimeZones.Require("America/Los_Angeles");

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void No_trial_has_no_end()
    {
        Assert.Null(Trial.EndsAt(At("2026-11-24T12:00:00Z"), 0, PeriodUnit.Unknown, Utc));
        Assert.Null(Trial.EndsAt(At("2026-11-24T12:00:00Z"), 0, PeriodUnit.Month, Utc));
    }

    [Fact]
    public void Days_and_weeks_are_elapsed_time_even_across_a_clock_change()
    {
        // Los Angeles falls back on 2026-11-01: 14 days later is still 14 × 24 h later, one hour earlier on the wall clock.
        var start = At("2026-10-25T17:00:00Z");
        Assert.Equal(At("2026-11-08T17:00:00Z"), Trial.EndsAt(start, 14, PeriodUnit.Day, LosAngeles));
        Assert.Equal(At("2026-11-08T17:00:00Z"), Trial.EndsAt(start, 2, PeriodUnit.Week, LosAngeles));
    }

    [Fact]
    public void Months_keep_the_local_time_of_day_in_the_tenants_zone()
    {
        // 10:00 in Los Angeles on Oct 15 (UTC-7) → 10:00 on Nov 15 (UTC-8).
        Assert.Equal(At("2026-11-15T18:00:00Z"), Trial.EndsAt(At("2026-10-15T17:00:00Z"), 1, PeriodUnit.Month, LosAngeles));

        // 2026-01-31T20:00Z is Feb 1, 05:00 in Tokyo: one month later is Mar 1, 05:00 Tokyo, not Feb 28/Mar 3 in UTC.
        Assert.Equal(At("2026-02-28T20:00:00Z"), Trial.EndsAt(At("2026-01-31T20:00:00Z"), 1, PeriodUnit.Month, Tokyo));
    }

    [Fact]
    public void The_day_is_clamped_to_the_end_of_a_shorter_month()
    {
        Assert.Equal(At("2026-02-28T09:00:00Z"), Trial.EndsAt(At("2026-01-31T09:00:00Z"), 1, PeriodUnit.Month, Utc));
        Assert.Equal(At("2028-02-29T09:00:00Z"), Trial.EndsAt(At("2028-01-31T09:00:00Z"), 1, PeriodUnit.Month, Utc));
        Assert.Equal(At("2029-02-28T00:00:00Z"), Trial.EndsAt(At("2028-02-29T00:00:00Z"), 1, PeriodUnit.Year, Utc));
    }

    [Fact]
    public void A_local_time_that_does_not_exist_becomes_the_end_of_the_gap()
    {
        // Los Angeles springs forward on 2027-03-14 at 02:00 → 03:00 (10:00Z). 02:30 on Feb 14 + 1 month does not exist.
        Assert.Equal(At("2027-03-14T10:00:00Z"), Trial.EndsAt(At("2027-02-14T10:30:00Z"), 1, PeriodUnit.Month, LosAngeles));
    }

    [Fact]
    public void A_local_time_that_occurs_twice_becomes_its_earlier_occurrence()
    {
        // Los Angeles falls back on 2026-11-01 at 02:00 → 01:00: 01:30 occurs at 08:30Z (PDT) and 09:30Z (PST).
        Assert.Equal(At("2026-11-01T08:30:00Z"), Trial.EndsAt(At("2026-10-01T08:30:00Z"), 1, PeriodUnit.Month, LosAngeles));
    }

    [Fact]
    public void A_plans_trial_uses_its_length_and_unit()
    {
        var plan = new PlanDefinition("team", "Team", Currency.Of("USD"), PlanType.Team, trialPeriod: 1, trialPeriodUnit: PeriodUnit.Year);
        Assert.Equal(At("2027-11-24T12:00:00Z"), Trial.EndsAt(plan, At("2026-11-24T12:00:00Z"), Tokyo));
    }

    [Fact]
    public void A_negative_length_a_missing_unit_or_an_end_past_year_9999_is_refused()
    {
        Assert.Equal("trial_period", Assert.Throws<DomainValidationException>(() => Trial.EndsAt(At("2026-01-01T00:00:00Z"), -1, PeriodUnit.Day, Utc)).Field);
        Assert.Equal("trial_period_unit", Assert.Throws<DomainValidationException>(() => Trial.EndsAt(At("2026-01-01T00:00:00Z"), 3, PeriodUnit.Unknown, Utc)).Field);
        Assert.Equal("trial_period_unit", Assert.Throws<DomainValidationException>(() => Trial.EndsAt(At("2026-01-01T00:00:00Z"), 3, (PeriodUnit)42, Utc)).Field);
        Assert.Equal("trial_period", Assert.Throws<DomainValidationException>(() => Trial.EndsAt(At("9990-01-01T00:00:00Z"), 20, PeriodUnit.Year, Utc)).Field);
    }

    private static readonly string[] ZoneIds = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"];

    [Property(MaxTest = 300)]
    public Property A_trial_always_ends_after_it_starts_and_a_longer_trial_never_ends_sooner() =>
        Prop.ForAll(
            (from minutes in Gen.Choose(0, 60 * 24 * 366 * 10)
             from length in Gen.Choose(1, 40)
             from unit in Gen.Elements(PeriodUnit.Day, PeriodUnit.Week, PeriodUnit.Month, PeriodUnit.Year)
             from zone in Gen.Elements(ZoneIds)
             select (minutes, length, unit, zone)).ToArbitrary(),
            t =>
            {
                var start = At("2020-01-01T00:00:00Z").AddMinutes(t.Item1);
                var zone = TimeZones.Require(t.Item4);
                var end = Trial.EndsAt(start, t.Item2, t.Item3, zone)!.Value;
                var longer = Trial.EndsAt(start, t.Item2 + 1, t.Item3, zone)!.Value;
                return end > start && longer > end && end.Offset == TimeSpan.Zero;
            });
}

public sealed class SubscriptionPeriodTests
{
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");
    private static readonly TimeZoneInfo Tokyo = TimeZones.Require("Asia/Tokyo");

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static string Show(IEnumerable<SubscriptionPeriod> periods) =>
        string.Join(" ", periods.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.Start.UtcDateTime:MM-dd'T'HH}..{p.End.UtcDateTime:MM-dd'T'HH}{(p.Trial ? "T" : "")}")));

    [Fact]
    public void An_open_subscription_has_one_period_per_month_up_to_the_one_holding_now()
    {
        var periods = SubscriptionPeriods.Of(At("2026-09-15T12:00:00Z"), null, null, At("2026-11-24T12:00:00Z"), Utc);

        Assert.Equal("09-15T12..10-01T00 10-01T00..11-01T00 11-01T00..12-01T00", Show(periods));
        Assert.Equal((2026, 11), (periods[^1].Month.Year, periods[^1].Month.Month));
    }

    [Fact]
    public void An_ended_subscription_is_clipped_to_its_end_whatever_now_is()
    {
        var periods = SubscriptionPeriods.Of(At("2026-09-15T12:00:00Z"), At("2026-10-20T06:00:00Z"), null, At("2027-03-01T00:00:00Z"), Utc);

        Assert.Equal("09-15T12..10-01T00 10-01T00..10-20T06", Show(periods));
    }

    [Fact]
    public void Months_are_calendar_months_in_the_tenants_zone()
    {
        var periods = SubscriptionPeriods.Of(At("2026-09-15T12:00:00Z"), null, null, At("2026-10-05T00:00:00Z"), Tokyo);

        Assert.Equal("09-15T12..09-30T15 09-30T15..10-31T15", Show(periods));
    }

    [Fact]
    public void The_period_holding_the_trial_end_is_split_and_each_part_marked()
    {
        var periods = SubscriptionPeriods.Of(At("2026-11-24T12:00:00Z"), null, At("2026-12-08T12:00:00Z"), At("2027-01-02T00:00:00Z"), Utc);

        Assert.Equal("11-24T12..12-01T00T 12-01T00..12-08T12T 12-08T12..01-01T00 01-01T00..02-01T00", Show(periods));
    }

    [Fact]
    public void A_part_after_the_trial_that_has_not_begun_is_not_listed()
    {
        var periods = SubscriptionPeriods.Of(At("2026-11-24T12:00:00Z"), null, At("2026-12-08T12:00:00Z"), At("2026-12-03T00:00:00Z"), Utc);

        Assert.Equal("11-24T12..12-01T00T 12-01T00..12-08T12T", Show(periods));
    }

    [Fact]
    public void A_trial_ending_on_a_month_boundary_or_after_the_end_splits_nothing()
    {
        Assert.Equal("11-24T12..12-01T00T 12-01T00..01-01T00",
            Show(SubscriptionPeriods.Of(At("2026-11-24T12:00:00Z"), null, At("2026-12-01T00:00:00Z"), At("2026-12-15T00:00:00Z"), Utc)));
        Assert.Equal("11-24T12..11-28T00T",
            Show(SubscriptionPeriods.Of(At("2026-11-24T12:00:00Z"), At("2026-11-28T00:00:00Z"), At("2026-12-08T00:00:00Z"), At("2026-12-15T00:00:00Z"), Utc)));
    }

    [Fact]
    public void A_scheduled_or_empty_subscription_has_no_periods_and_one_ending_before_it_starts_is_refused()
    {
        Assert.Empty(SubscriptionPeriods.Of(At("2026-12-01T00:00:00Z"), null, null, At("2026-11-24T12:00:00Z"), Utc));
        Assert.Empty(SubscriptionPeriods.Of(At("2026-11-01T00:00:00Z"), At("2026-11-01T00:00:00Z"), null, At("2026-11-24T12:00:00Z"), Utc));
        Assert.Equal("ends_at", Assert.Throws<DomainValidationException>(
            () => SubscriptionPeriods.Of(At("2026-11-01T00:00:00Z"), At("2026-10-01T00:00:00Z"), null, At("2026-11-24T12:00:00Z"), Utc)).Field);
    }

    private static readonly string[] ZoneIds = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata"];

    [Property(MaxTest = 300)]
    public Property Periods_tile_the_subscription_each_inside_one_month_and_trial_exactly_before_the_trial_end() =>
        Prop.ForAll(
            (from startMinutes in Gen.Choose(0, 60 * 24 * 366 * 3)
             from length in Gen.Choose(0, 60 * 24 * 200)
             from trial in Gen.Choose(-1, 60 * 24 * 120)
             from elapsed in Gen.Choose(0, 60 * 24 * 400)
             from zone in Gen.Elements(ZoneIds)
             select (startMinutes, length, trial, elapsed, zone)).ToArbitrary(),
            t =>
            {
                var start = At("2024-01-01T00:00:00Z").AddMinutes(t.Item1);
                DateTimeOffset? end = t.Item2 == 0 ? null : start.AddMinutes(t.Item2);
                DateTimeOffset? trialEnd = t.Item3 < 0 ? null : start.AddMinutes(t.Item3);
                var now = start.AddMinutes(t.Item4);
                var zone = TimeZones.Require(t.Item5);
                var periods = SubscriptionPeriods.Of(start, end, trialEnd, now, zone);
                var tiles = periods.Count > 0 && periods[0].Start == start
                    && periods.Zip(periods.Skip(1)).All(p => p.First.End == p.Second.Start);
                var inMonths = periods.All(p => p.Start < p.End && p.Start >= p.Month.Start && p.End <= p.Month.End && p.Start <= now);
                var trials = periods.All(p => p.Trial == (trialEnd is { } e && p.End <= e) && (trialEnd is not { } f || p.Start >= f || p.End <= f));
                var ends = end is { } x && x <= now ? periods[^1].End == x : periods[^1].End > now;
                return tiles && inMonths && trials && ends;
            });
}

public sealed class ProrationTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    [Fact]
    public void The_whole_period_is_exactly_the_price_and_no_overlap_is_zero()
    {
        var november = BillingPeriod.Of(2026, 11, Utc);
        Assert.Equal(new Money(9999, Usd), Proration.Share(new Money(9999, Usd), november, november.Start, november.End));
        Assert.Equal(new Money(9999, Usd), Proration.Share(new Money(9999, Usd), november, At("2026-01-01T00:00:00Z"), At("2027-01-01T00:00:00Z")));
        Assert.Equal(new Money(0, Usd), Proration.Share(new Money(9999, Usd), november, At("2026-12-01T00:00:00Z"), At("2026-12-05T00:00:00Z")));
        Assert.Equal(new Money(0, Usd), Proration.Share(new Money(9999, Usd), november, At("2026-11-10T00:00:00Z"), At("2026-11-10T00:00:00Z")));
    }

    [Fact]
    public void A_part_is_price_times_overlap_over_length_rounded_once_half_away_from_zero()
    {
        var november = BillingPeriod.Of(2026, 11, Utc); // 30 days
        // 200.00 × 6.5 / 30 = 43.3333… → 43.33
        Assert.Equal(new Money(4333, Usd), Proration.Share(new Money(20000, Usd), november, At("2026-11-24T12:00:00Z"), november.End));
        // 0.03 × 15 / 30 = 0.015 → 0.02 (half away from zero)
        Assert.Equal(new Money(2, Usd), Proration.Share(new Money(3, Usd), november, november.Start, At("2026-11-16T00:00:00Z")));
        // A credit rounds away from zero too: -0.03 × 1/2 = -0.015 → -0.02
        Assert.Equal(new Money(-2, Usd), Proration.Share(new Money(-3, Usd), november, november.Start, At("2026-11-16T00:00:00Z")));
        Assert.Equal(0.5m, Proration.Fraction(november, november.Start, At("2026-11-16T00:00:00Z")));
    }

    [Fact]
    public void Yen_rounds_to_whole_yen()
    {
        var december = BillingPeriod.Of(2026, 12, Utc); // 31 days
        // ¥1000 × 1/31 = 32.258… → ¥32; ¥1000 × 15.5/31 = ¥500 exactly.
        Assert.Equal(new Money(32, Jpy), Proration.Share(new Money(1000, Jpy), december, december.Start, At("2026-12-02T00:00:00Z")));
        Assert.Equal(new Money(500, Jpy), Proration.Share(new Money(1000, Jpy), december, december.Start, At("2026-12-16T12:00:00Z")));
    }

    [Fact]
    public void An_interval_ending_before_it_starts_is_refused()
    {
        var november = BillingPeriod.Of(2026, 11, Utc);
        Assert.Equal("to", Assert.Throws<DomainValidationException>(
            () => Proration.Share(new Money(100, Usd), november, At("2026-11-10T00:00:00Z"), At("2026-11-09T00:00:00Z"))).Field);
    }

    [Fact]
    public void The_largest_amounts_do_not_overflow()
    {
        var november = BillingPeriod.Of(2026, 11, Utc);
        var half = Proration.Share(new Money(long.MaxValue, Usd), november, november.Start, At("2026-11-16T00:00:00Z"));
        Assert.Equal((long.MaxValue / 2) + 1, half.Minor);
    }

    private static readonly string[] ZoneIds = ["UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Asia/Kolkata"];

    /// <summary>A price (minor units), a currency, a month and two nested intervals [a, b) ⊆ [c, d) around it.</summary>
    private static readonly Gen<(long Price, Currency Currency, BillingPeriod Period, DateTimeOffset[] Cuts)> Cases =
        from price in Gen.Frequency((1, Gen.Constant(0L)), (4, Gen.Choose(0, 1_000_000).Select(n => (long)n)), (2, Gen.Choose(0, int.MaxValue).Select(n => (long)n * 997)))
        from currency in Gen.Elements(Usd, Jpy, Currency.Of("BHD"))
        from month in Gen.Choose(0, 12 * 30)
        from zone in Gen.Elements(ZoneIds)
        from offsets in Gen.ArrayOf(Gen.Choose(-60 * 24 * 5, 60 * 24 * 36), 4)
        let period = BillingPeriod.Of(2010 + (month / 12), (month % 12) + 1, TimeZones.Require(zone))
        select (price, currency, period, offsets.Order().Select(m => period.Start.AddMinutes(m)).ToArray());

    [Property(MaxTest = 500)]
    public Property A_share_is_never_negative_never_more_than_the_price_and_monotone_in_the_interval() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var price = new Money(c.Price, c.Currency);
            var (outerFrom, innerFrom, innerTo, outerTo) = (c.Cuts[0], c.Cuts[1], c.Cuts[2], c.Cuts[3]);
            var inner = Proration.Share(price, c.Period, innerFrom, innerTo);
            var outer = Proration.Share(price, c.Period, outerFrom, outerTo);
            return inner.Minor >= 0 && outer.Minor <= c.Price && inner.Minor <= outer.Minor && inner.Currency == c.Currency;
        });

    [Property(MaxTest = 500)]
    public Property A_share_is_the_exact_quotient_rounded_once_and_two_adjacent_parts_add_up_to_within_one_minor_unit() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var price = new Money(c.Price, c.Currency);
            var (from, middle, to) = (c.Cuts[0], c.Cuts[1], c.Cuts[3]);
            var whole = Proration.Share(price, c.Period, from, to);
            var parts = Proration.Share(price, c.Period, from, middle).Minor + Proration.Share(price, c.Period, middle, to).Minor;
            var start = from > c.Period.Start ? from : c.Period.Start;
            var end = to < c.Period.End ? to : c.Period.End;
            var overlap = end > start ? (end - start).Ticks : 0;
            var exact = Math.Round((decimal)c.Price * overlap / (c.Period.End - c.Period.Start).Ticks, MidpointRounding.AwayFromZero);
            return whole.Minor == (long)exact && Math.Abs(parts - whole.Minor) <= 1;
        });
}
