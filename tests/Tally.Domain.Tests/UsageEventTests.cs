using Tally.Domain.Usage;

namespace Tally.Domain.Tests;

public sealed class UsageEventTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromDays(90);

    private static UsageEventInput Valid() => new()
    {
        Id = "e1",
        Tenant = "acme",
        Namespace = "default",
        Metric = "requests",
        HasQuantity = true,
        QuantityMicros = 1_000_000,
        HasTimestamp = true,
        OccurredAtUs = UsageRules.ToUnixMicros(Now),
    };

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1", 1_000_000L)]
    [InlineData("2.5", 2_500_000L)]
    [InlineData("0.000001", 1L)]
    [InlineData("1.0000000", 1_000_000L)]
    [InlineData("1e3", 1_000_000_000L)]
    [InlineData("1000000000000", 1_000_000_000_000_000_000L)]
    [InlineData(" 3.25 ", 3_250_000L)]
    public void Quantities_convert_exactly_to_micros(string text, long micros)
    {
        Assert.True(UsageRules.TryParseQuantity(text, out var actual, out var error), error);
        Assert.Equal(micros, actual);
    }

    [Theory]
    [InlineData("-1", "0 or more")]
    [InlineData("-0.000001", "0 or more")]
    [InlineData("0.0000001", "6 decimal places")]
    [InlineData("1.2345678", "6 decimal places")]
    [InlineData("1e-7", "6 decimal places")]
    [InlineData("1000000000000.5", "at most")]
    [InlineData("1e400", "at most")]
    [InlineData("NaN", "finite")]
    [InlineData("Infinity", "finite")]
    [InlineData("-Infinity", "finite")]
    [InlineData("12abc", "decimal number")]
    [InlineData("", "decimal number")]
    public void Bad_quantities_are_refused_with_a_reason(string text, string reason)
    {
        Assert.False(UsageRules.TryParseQuantity(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-24T12:00:00Z", 0L)]
    [InlineData("2026-11-24t12:00:00z", 0L)]
    [InlineData("2026-11-24T21:00:00+09:00", 0L)]
    [InlineData("2026-11-24T06:30:00-05:30", 0L)]
    [InlineData("2026-11-24T12:00:00.5Z", 500_000L)]
    [InlineData("2026-11-24T12:00:00.123456Z", 123_456L)]
    [InlineData("2026-11-24T12:00:00.123456789Z", 123_456L)]
    public void RFC_3339_timestamps_parse_to_unix_microseconds(string text, long microsAfterNoon)
    {
        Assert.True(UsageRules.TryParseTimestamp(text, out var us));
        Assert.Equal(UsageRules.ToUnixMicros(Now) + microsAfterNoon, us);
    }

    [Theory]
    [InlineData("2026-11-24T12:00:00")]
    [InlineData("2026-11-24")]
    [InlineData("2026-11-24 12:00:00Z")]
    [InlineData("2026-02-30T12:00:00Z")]
    [InlineData("2026-11-24T24:00:00Z")]
    [InlineData("2026-11-24T12:00:60Z")]
    [InlineData("2026-11-24T12:00:00.Z")]
    [InlineData("2026-11-24T12:00:00+0900")]
    [InlineData("1732449600")]
    [InlineData("yesterday")]
    public void Timestamps_that_are_not_RFC_3339_with_an_offset_are_refused(string text) =>
        Assert.False(UsageRules.TryParseTimestamp(text, out _));

    [Fact]
    public void The_window_accepts_five_minutes_ahead_and_max_age_back_and_nothing_beyond()
    {
        var now = UsageRules.ToUnixMicros(Now);
        Assert.Null(UsageRules.CheckWindow(now + (long)TimeSpan.FromMinutes(5).TotalMicroseconds, Now, MaxAge));
        Assert.Null(UsageRules.CheckWindow(now - (long)MaxAge.TotalMicroseconds, Now, MaxAge));
        Assert.Contains("future", UsageRules.CheckWindow(now + (long)TimeSpan.FromMinutes(5).TotalMicroseconds + 1, Now, MaxAge), StringComparison.Ordinal);
        Assert.Contains("90 days", UsageRules.CheckWindow(now - (long)MaxAge.TotalMicroseconds - 1, Now, MaxAge), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(3_599_999_999L, 0L)]
    [InlineData(3_600_000_000L, 3600L)]
    [InlineData(-1L, -3600L)]
    public void Hour_start_is_the_floor_of_the_UTC_hour_in_seconds(long occurredAtUs, long hourStart) =>
        Assert.Equal(hourStart, UsageRules.HourStart(occurredAtUs));

    [Fact]
    public void A_complete_event_inside_the_window_is_valid() =>
        Assert.Null(UsageRules.Validate(Valid(), Now, MaxAge));

    [Fact]
    public void Each_missing_or_bad_field_is_named_in_the_rejection()
    {
        var cases = new (string Field, Func<UsageEventInput, UsageEventInput> Break)[]
        {
            ("id", e => e with { Id = null }),
            ("id", e => e with { Id = new string('x', 129) }),
            ("id", e => e with { Id = "a\u0000b" }),
            ("tenant", e => e with { Tenant = null }),
            ("tenant", e => e with { Tenant = "Not_A_Label" }),
            ("namespace", e => e with { Namespace = "" }),
            ("metric", e => e with { Metric = null }),
            ("metric", e => e with { Metric = new string('m', 64) }),
            ("quantity", e => e with { HasQuantity = false }),
            ("quantity", e => e with { QuantityError = "quantity must be 0 or more." }),
            ("timestamp", e => e with { HasTimestamp = false }),
            ("timestamp", e => e with { TimestampError = "bad" }),
            ("timestamp", e => e with { OccurredAtUs = UsageRules.ToUnixMicros(Now.AddMinutes(6)) }),
            ("timestamp", e => e with { OccurredAtUs = UsageRules.ToUnixMicros(Now.AddDays(-91)) }),
            ("object_name", e => e with { ObjectName = new string('o', 257) }),
            ("labels", e => e with { LabelsError = "too many" }),
        };

        foreach (var (field, breakIt) in cases)
        {
            var rejection = UsageRules.Validate(breakIt(Valid()), Now, MaxAge);
            Assert.NotNull(rejection);
            Assert.Equal(field, rejection.Value.Field);
        }
    }

    [Fact]
    public void An_id_of_exactly_128_characters_and_an_empty_object_name_are_accepted() =>
        Assert.Null(UsageRules.Validate(Valid() with { Id = new string('x', 128), ObjectName = "" }, Now, MaxAge));

    [Theory]
    [InlineData("", "v", "1-63")]
    [InlineData("k", "\u0001", "control")]
    public void Bad_labels_are_refused(string key, string value, string reason) =>
        Assert.Contains(reason, UsageRules.CheckLabel(key, value), StringComparison.Ordinal);

    [Fact]
    public void A_label_value_may_be_256_characters_but_not_more()
    {
        Assert.Null(UsageRules.CheckLabel("region", new string('v', 256)));
        Assert.NotNull(UsageRules.CheckLabel("region", new string('v', 257)));
    }
}
