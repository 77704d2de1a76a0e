using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Tenants;

namespace Tally.Domain.Tests;

public sealed class BillingPeriodTests
{
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");
    private static readonly TimeZoneInfo Tokyo = TimeZones.Require("Asia/Tokyo");
    private static readonly TimeZoneInfo LosAngeles = TimeZones.Require("America/Los_Angeles");

    private static DateTimeOffset At(string utc) =>
        DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static void AssertPeriod(BillingPeriod period, int year, int month, string start, string end)
    {
        Assert.Equal((year, month), (period.Year, period.Month));
        Assert.Equal(At(start), period.Start);
        Assert.Equal(At(end), period.End);
        Assert.Equal(TimeSpan.Zero, period.Start.Offset);
        Assert.Equal(TimeSpan.Zero, period.End.Offset);
    }

    [Fact]
    public void A_utc_month_runs_from_midnight_on_the_first_to_midnight_on_the_next_first()
    {
        AssertPeriod(BillingPeriod.Of(2026, 4, Utc), 2026, 4, "2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z");
        AssertPeriod(BillingPeriod.Of(2026, 12, Utc), 2026, 12, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z");
        AssertPeriod(BillingPeriod.Of(2028, 2, Utc), 2028, 2, "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z");
    }

    [Fact]
    public void The_period_is_half_open_in_utc()
    {
        var april = BillingPeriod.Of(2026, 4, Utc);
        Assert.True(april.Contains(At("2026-04-01T00:00:00Z")));
        Assert.True(april.Contains(At("2026-04-30T23:59:59.9999999Z")));
        Assert.False(april.Contains(At("2026-05-01T00:00:00Z")));
        Assert.False(april.Contains(At("2026-03-31T23:59:59.9999999Z")));
        Assert.Equal(april, BillingPeriod.Containing(At("2026-04-01T00:00:00Z"), Utc));
        Assert.Equal(april.Next(), BillingPeriod.Containing(At("2026-05-01T00:00:00Z"), Utc));
    }

    [Fact]
    public void A_tokyo_april_starts_at_15_00_utc_on_the_last_day_of_march()
    {
        var april = BillingPeriod.Of(2026, 4, Tokyo);
        AssertPeriod(april, 2026, 4, "2026-03-31T15:00:00Z", "2026-04-30T15:00:00Z");
        Assert.Equal(april, BillingPeriod.Containing(At("2026-03-31T15:00:00Z"), Tokyo));
        Assert.Equal(april.Previous(), BillingPeriod.Containing(At("2026-03-31T14:59:59Z"), Tokyo));
        Assert.Equal(3, BillingPeriod.Containing(At("2026-03-31T14:59:59Z"), Tokyo).Month);
    }

    [Fact]
    public void An_instant_given_with_an_offset_is_placed_by_its_utc_value()
    {
        var instant = new DateTimeOffset(2026, 4, 1, 0, 30, 0, TimeSpan.FromHours(9));
        Assert.Equal(BillingPeriod.Of(2026, 4, Tokyo), BillingPeriod.Containing(instant, Tokyo));
        Assert.Equal(BillingPeriod.Of(2026, 3, Utc), BillingPeriod.Containing(instant, Utc));
    }

    [Fact]
    public void A_los_angeles_march_starts_in_standard_time_and_ends_in_daylight_time_one_hour_short()
    {
        var march = BillingPeriod.Of(2026, 3, LosAngeles);
        AssertPeriod(march, 2026, 3, "2026-03-01T08:00:00Z", "2026-04-01T07:00:00Z");
        Assert.Equal(TimeSpan.FromDays(31) - TimeSpan.FromHours(1), march.End - march.Start);
    }

    [Fact]
    public void A_los_angeles_november_starts_in_daylight_time_and_ends_in_standard_time_one_hour_long()
    {
        // DST ends 2026-11-01 at 02:00 local, after midnight: midnight itself is unambiguous.
        var november = BillingPeriod.Of(2026, 11, LosAngeles);
        AssertPeriod(november, 2026, 11, "2026-11-01T07:00:00Z", "2026-12-01T08:00:00Z");
        Assert.Equal(TimeSpan.FromDays(30) + TimeSpan.FromHours(1), november.End - november.Start);
        Assert.Equal(10, BillingPeriod.Containing(At("2026-11-01T06:59:59Z"), LosAngeles).Month);
        Assert.Equal(11, BillingPeriod.Containing(At("2026-11-01T09:30:00Z"), LosAngeles).Month);
    }

    [Fact]
    public void When_local_midnight_is_skipped_the_month_starts_at_the_first_valid_instant_after_it()
    {
        // Paraguay moved from -04 to -03 at local midnight on 2023-10-01: 00:00-00:59 did not exist.
        var asuncion = TimeZones.Require("America/Asuncion");
        var october = BillingPeriod.Of(2023, 10, asuncion);
        Assert.Equal(At("2023-10-01T04:00:00Z"), october.Start);
        Assert.Equal(october.Start, october.Previous().End);
        Assert.Equal(9, BillingPeriod.Containing(At("2023-10-01T03:59:59Z"), asuncion).Month);
        Assert.Equal(10, BillingPeriod.Containing(At("2023-10-01T04:00:00Z"), asuncion).Month);
    }

    [Fact]
    public void When_local_midnight_occurs_twice_the_month_starts_at_the_earlier_one()
    {
        // Cuba falls back from 01:00 CDT (-04) to 00:00 CST (-05) on 2026-11-01: midnight occurs at 04:00Z and 05:00Z.
        var havana = TimeZones.Require("America/Havana");
        var november = BillingPeriod.Of(2026, 11, havana);
        Assert.Equal(At("2026-11-01T04:00:00Z"), november.Start);
        Assert.Equal(11, BillingPeriod.Containing(At("2026-11-01T04:30:00Z"), havana).Month);
        Assert.Equal(11, BillingPeriod.Containing(At("2026-11-01T05:30:00Z"), havana).Month);
        Assert.Equal(10, BillingPeriod.Containing(At("2026-11-01T03:59:59Z"), havana).Month);
    }

    [Fact]
    public void A_skipped_midnight_in_a_custom_zone_starts_the_month_at_the_transition()
    {
        // +01:00 standard; clocks jump from 00:00 to 01:00 on 1 March.
        var zone = CustomZone(dstStart: (3, 1, 0, 0), dstEnd: (10, 15, 3, 0));
        var march = BillingPeriod.Of(2026, 3, zone);
        Assert.Equal(At("2026-02-28T23:00:00Z"), march.Start);
        Assert.Equal(march.Start, march.Previous().End);
        Assert.Equal(2, BillingPeriod.Containing(At("2026-02-28T22:59:59Z"), zone).Month);
        Assert.Equal(3, BillingPeriod.Containing(At("2026-02-28T23:00:00Z"), zone).Month);
    }

    [Fact]
    public void When_clocks_fall_back_across_midnight_the_repeated_hour_of_the_old_month_belongs_to_the_new_one()
    {
        // +01:00 standard, +02:00 daylight; at 00:30 daylight on 1 November clocks go back to 23:30 on 31 October.
        // Midnight on 1 November first occurs at 22:00Z (daylight), and 23:30-23:59 of 31 October is shown again after it.
        var zone = CustomZone(dstStart: (3, 15, 2, 0), dstEnd: (11, 1, 0, 30));
        var november = BillingPeriod.Of(2026, 11, zone);
        Assert.Equal(At("2026-10-31T22:00:00Z"), november.Start);
        Assert.Equal(new DateTime(2026, 10, 31, 23, 45, 0), TimeZoneInfo.ConvertTime(At("2026-10-31T22:45:00Z"), zone).DateTime);
        Assert.Equal(november, BillingPeriod.Containing(At("2026-10-31T22:45:00Z"), zone));
        Assert.Equal(november.Previous(), BillingPeriod.Containing(At("2026-10-31T21:59:59Z"), zone));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(13)]
    [InlineData(-1)]
    public void A_month_outside_1_to_12_is_refused_with_field_month(int month)
    {
        var error = Assert.Throws<DomainValidationException>(() => BillingPeriod.Of(2026, month, Utc));
        Assert.Equal("month", error.Field);
    }

    [Theory]
    [InlineData(1899)]
    [InlineData(9999)]
    public void A_year_outside_the_supported_range_is_refused_with_field_year(int year)
    {
        var error = Assert.Throws<DomainValidationException>(() => BillingPeriod.Of(year, 1, Utc));
        Assert.Equal("year", error.Field);
    }

    [Fact]
    public void Next_and_previous_cross_year_boundaries()
    {
        Assert.Equal(BillingPeriod.Of(2027, 1, Tokyo), BillingPeriod.Of(2026, 12, Tokyo).Next());
        Assert.Equal(BillingPeriod.Of(2025, 12, Tokyo), BillingPeriod.Of(2026, 1, Tokyo).Previous());
    }

    [Fact]
    public void Periods_of_the_same_month_in_different_zones_differ()
    {
        Assert.NotEqual(BillingPeriod.Of(2026, 4, Utc), BillingPeriod.Of(2026, 4, Tokyo));
        Assert.Equal(BillingPeriod.Of(2026, 4, Tokyo), BillingPeriod.Of(2026, 4, TimeZones.Require("Asia/Tokyo")));
    }

    [Fact]
    public void To_string_names_the_month_the_zone_and_the_utc_bounds() =>
        Assert.Equal("2026-04 Asia/Tokyo [2026-03-31T15:00:00Z, 2026-04-30T15:00:00Z)", BillingPeriod.Of(2026, 4, Tokyo).ToString());

    private static readonly string[] ZoneIds =
    [
        "UTC", "Asia/Tokyo", "America/Los_Angeles", "America/Havana", "America/Asuncion", "America/Santiago",
        "Australia/Lord_Howe", "Pacific/Chatham", "Pacific/Apia", "Asia/Kolkata", "Europe/London", "America/St_Johns",
    ];

    [Property(MaxTest = 500)]
    public Property Every_instant_lies_in_exactly_one_period_and_periods_tile_time() =>
        Prop.ForAll(
            Gen.Zip(Gen.Choose(0, 60 * 24 * 366 * 30), Gen.Elements(ZoneIds)).ToArbitrary(),
            t =>
            {
                var instant = At("2000-01-01T00:00:00Z").AddMinutes(t.Item1);
                var zone = TimeZones.Require(t.Item2);
                var period = BillingPeriod.Containing(instant, zone);
                return period.Contains(instant)
                    && !period.Next().Contains(instant)
                    && !period.Previous().Contains(instant)
                    && period.Next().Start == period.End
                    && period.Previous().End == period.Start
                    && period.Start < period.End
                    && BillingPeriod.Of(period.Year, period.Month, zone) == period;
            });

    private static TimeZoneInfo CustomZone((int Month, int Day, int Hour, int Minute) dstStart, (int Month, int Day, int Hour, int Minute) dstEnd)
    {
        var rule = TimeZoneInfo.AdjustmentRule.CreateAdjustmentRule(
            new DateTime(2000, 1, 1), new DateTime(2100, 12, 31), TimeSpan.FromHours(1),
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, dstStart.Hour, dstStart.Minute, 0), dstStart.Month, dstStart.Day),
            TimeZoneInfo.TransitionTime.CreateFixedDateRule(new DateTime(1, 1, 1, dstEnd.Hour, dstEnd.Minute, 0), dstEnd.Month, dstEnd.Day));
        return TimeZoneInfo.CreateCustomTimeZone("Test/Custom", TimeSpan.FromHours(1), "Test", "Test", "Test Daylight", [rule]);
    }
}
