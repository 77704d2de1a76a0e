using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class QuotaQuantityTests
{
    [Theory]
    [InlineData(0, 0L)]
    [InlineData(1, 1_000_000L)]
    [InlineData(42, 42_000_000L)]
    [InlineData(1e12, 1_000_000_000_000_000_000L)]
    public void Whole_object_counts_convert_to_micros(double units, long micros) =>
        Assert.Equal(micros, QuotaQuantity.ToMicros(units, QuotaKind.Objects, "amount"));

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.000001)]
    [InlineData(1e-6)]
    public void Objects_must_be_whole_numbers(double units)
    {
        var error = Assert.Throws<DomainValidationException>(() => QuotaQuantity.ToMicros(units, QuotaKind.Objects, "amount"));
        Assert.Equal("amount", error.Field);
        Assert.Contains("whole", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.000001, 1L)]
    [InlineData(1.234567, 1_234_567L)]
    [InlineData(0.1, 100_000L)]
    [InlineData(0.3, 300_000L)]
    [InlineData(4.35, 4_350_000L)]
    [InlineData(2.5, 2_500_000L)]
    [InlineData(999.999999, 999_999_999L)]
    public void Resources_accept_up_to_six_decimal_places(double units, long micros) =>
        Assert.Equal(micros, QuotaQuantity.ToMicros(units, QuotaKind.Resources, "amount"));

    [Theory]
    [InlineData(123456789.123456, 123_456_789_123_456L)]
    [InlineData(999999999.999999, 999_999_999_999_999L)]
    public void Large_resource_amounts_with_six_decimal_places_are_accepted_exactly(double units, long micros) =>
        Assert.Equal(micros, QuotaQuantity.ToMicros(units, QuotaKind.Resources, "amount"));

    [Theory]
    [InlineData(0.0000001)]
    [InlineData(1.2345678)]
    [InlineData(0.0000005)]
    [InlineData(10.0000009)]
    public void Resources_with_seven_decimal_places_are_refused(double units)
    {
        var error = Assert.Throws<DomainValidationException>(() => QuotaQuantity.ToMicros(units, QuotaKind.Resources, "amount"));
        Assert.Equal("amount", error.Field);
        Assert.Contains("6 decimal places", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1e-10)]
    [InlineData(1.0000000001)]
    public void Resources_finer_than_a_millionth_are_refused_not_rounded_away(double units) =>
        Assert.Throws<DomainValidationException>(() => QuotaQuantity.ToMicros(units, QuotaKind.Resources, "amount"));

    [Theory]
    [InlineData(-1.0, QuotaKind.Objects)]
    [InlineData(-0.000001, QuotaKind.Resources)]
    [InlineData(double.NaN, QuotaKind.Resources)]
    [InlineData(double.NaN, QuotaKind.Objects)]
    [InlineData(double.PositiveInfinity, QuotaKind.Resources)]
    [InlineData(double.NegativeInfinity, QuotaKind.Resources)]
    [InlineData(1e12 + 1, QuotaKind.Objects)]
    [InlineData(1.5e12, QuotaKind.Resources)]
    [InlineData(double.MaxValue, QuotaKind.Objects)]
    public void Negative_non_finite_and_too_large_amounts_are_refused_with_the_given_field(double units, QuotaKind kind)
    {
        var error = Assert.Throws<DomainValidationException>(() => QuotaQuantity.ToMicros(units, kind, "items[3].amount"));
        Assert.Equal("items[3].amount", error.Field);
    }

    [Fact]
    public void To_units_divides_by_a_million()
    {
        Assert.Equal(1.5, QuotaQuantity.ToUnits(1_500_000));
        Assert.Equal(0.000001, QuotaQuantity.ToUnits(1));
        Assert.Equal(0, QuotaQuantity.ToUnits(0));
    }

    [Property]
    public Property Any_whole_micro_amount_round_trips_through_units() =>
        Prop.ForAll(
            Gen.Zip(Gen.Choose(0, 1_000_000), Gen.Choose(0, 999_999))
                .Select(t => (t.Item1 * QuotaQuantity.MicrosPerUnit) + t.Item2)
                .ToArbitrary(),
            micros => QuotaQuantity.ToMicros(QuotaQuantity.ToUnits(micros), QuotaKind.Resources, "amount") == micros);

    [Property]
    public Property Any_whole_number_of_objects_converts_exactly() =>
        Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            n => QuotaQuantity.ToMicros(n, QuotaKind.Objects, "amount") == n * QuotaQuantity.MicrosPerUnit);
}
