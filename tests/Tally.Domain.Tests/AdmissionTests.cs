using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Quotas;

namespace Tally.Domain.Tests;

public sealed class AdmissionTests
{
    [Theory]
    [InlineData(0L, 5L, 5L, true)]
    [InlineData(3L, 2L, 5L, true)]
    [InlineData(3L, 3L, 5L, false)]
    [InlineData(5L, 0L, 5L, true)]
    [InlineData(0L, 1L, 0L, false)]
    [InlineData(0L, 0L, 0L, true)]
    public void Fits_when_the_count_plus_the_amount_stays_within_the_limit(long current, long amount, long limit, bool fits) =>
        Assert.Equal(fits, Admission.Fits(current, amount, limit));

    [Fact]
    public void Everything_fits_an_unlimited_quota() =>
        Assert.True(Admission.Fits(long.MaxValue / 2, 1_000_000_000_000_000_000, null));

    [Fact]
    public void The_largest_amount_onto_the_largest_count_does_not_overflow_into_fitting()
    {
        var max = QuotaQuantity.ToMicros(QuotaQuantity.MaxUnits, QuotaKind.Resources, "amount");
        Assert.False(Admission.Fits(max, max, max));
    }

    [Theory]
    [InlineData(10L, 3L, 7L)]
    [InlineData(10L, 10L, 0L)]
    [InlineData(3L, 10L, 0L)]
    [InlineData(0L, 1L, 0L)]
    public void Release_subtracts_but_never_goes_below_zero(long current, long amount, long after) =>
        Assert.Equal(after, Admission.Release(current, amount));

    [Fact]
    public void Limit_micros_of_null_is_null_meaning_unlimited() => Assert.Null(Admission.LimitMicros(null));

    [Theory]
    [InlineData(0.0, 0L)]
    [InlineData(5.0, 5_000_000L)]
    [InlineData(2.5, 2_500_000L)]
    [InlineData(0.000001, 1L)]
    [InlineData(1e12, 1_000_000_000_000_000_000L)]
    public void Limit_micros_converts_units_to_micros(double limit, long micros) =>
        Assert.Equal(micros, Admission.LimitMicros(limit));

    [Theory]
    [InlineData(4.35)]
    [InlineData(0.29)]
    [InlineData(1.005)]
    [InlineData(9.95)]
    public void A_resource_limit_admits_an_amount_equal_to_it(double limit)
    {
        var amount = QuotaQuantity.ToMicros(limit, QuotaKind.Resources, "amount");
        Assert.Equal(amount, Admission.LimitMicros(limit));
        Assert.True(Admission.Fits(0, amount, Admission.LimitMicros(limit)));
    }

    [Property(MaxTest = 1000)]
    public Property Any_six_decimal_limit_converts_to_the_same_micros_as_the_amount_parser() =>
        Prop.ForAll(
            Gen.Zip(Gen.Choose(0, 100_000), Gen.Choose(0, 999_999)).ToArbitrary(),
            t =>
            {
                var units = t.Item1 + (t.Item2 / 1e6);
                return Admission.LimitMicros(units) == QuotaQuantity.ToMicros(units, QuotaKind.Resources, "amount");
            });

    private static readonly Gen<(bool Admit, long Amount)> Operation =
        Gen.Zip(
            Gen.Frequency((3, Gen.Constant(true)), (2, Gen.Constant(false))),
            Gen.Frequency(
                (4, Gen.Choose(0, 10).Select(n => (long)n)),
                (2, Gen.Choose(0, 2_000_000).Select(n => (long)n)),
                (1, Gen.Choose(0, 1000).Select(n => n * QuotaQuantity.MicrosPerUnit * 1_000_000))))
        .Select(t => (t.Item1, t.Item2));

    private static readonly Gen<long?> Limit =
        Gen.Frequency(
            (4, Gen.Choose(0, 20).Select(n => (long?)n)),
            (4, Gen.Choose(0, 5_000_000).Select(n => (long?)n)),
            (1, Gen.Constant((long?)QuotaQuantity.MicrosPerUnit * 1_000_000_000_000)));

    [Property(MaxTest = 500)]
    public Property Admit_and_release_keep_the_count_between_zero_and_the_limit() =>
        Prop.ForAll(
            Gen.Zip(Limit, Gen.ListOf(Operation)).ToArbitrary(),
            t =>
            {
                var (limit, operations) = t;
                long count = 0;
                foreach (var (admit, amount) in operations)
                {
                    if (admit)
                    {
                        if (Admission.Fits(count, amount, limit))
                        {
                            count += amount;
                        }
                    }
                    else
                    {
                        count = Admission.Release(count, amount);
                    }

                    if (count < 0 || count > limit)
                    {
                        return false;
                    }
                }

                return true;
            });

    [Property(MaxTest = 300)]
    public bool Admission_refuses_only_what_would_cross_the_limit(NonNegativeInt current, NonNegativeInt amount, NonNegativeInt limit) =>
        Admission.Fits(current.Get, amount.Get, limit.Get) == ((long)current.Get + amount.Get <= limit.Get);
}
