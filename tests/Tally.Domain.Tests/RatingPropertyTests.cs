using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Rating;

namespace Tally.Domain.Tests;

public sealed class RatingPropertyTests
{
    private static readonly Currency Usd = Currency.Of("USD");

    /// <summary>One rating input; ToString shows it when a property fails.</summary>
    public sealed record Usage(MetricPrice Price, decimal Quantity, decimal Divisor, decimal Extra)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Price} quantity {Quantity} divisor {Divisor} extra {Extra}");
    }

    // Prices with up to 6 decimal places: mostly fractions of a cent or a few cents, sometimes up to 50 units.
    private static readonly Gen<decimal> Prices = Gen.Frequency(
        (1, Gen.Constant(0m)),
        (3, Gen.Choose(0, 999_999).Select(micros => micros / 1_000_000m)),
        (2, Gen.Zip(Gen.Choose(0, 50), Gen.Choose(0, 999_999)).Select(t => t.Item1 + (t.Item2 / 1_000_000m))));

    // Quantities in the metric's unit with up to 3 decimal places, small and large.
    private static readonly Gen<decimal> Quantities = Gen.Frequency(
        (1, Gen.Constant(0m)),
        (2, Gen.Choose(0, 3_000).Select(n => n / 1000m)),
        (4, Gen.Choose(0, 10_000_000).Select(n => n / 1000m)),
        (2, Gen.Choose(0, int.MaxValue).Select(n => (decimal)n)));

    private static readonly Gen<decimal> Divisors = Gen.Elements(1m, 1m, 1m, 0.5m, 1000m, 1024m);

    private static readonly Gen<long> Included = Gen.Frequency(
        (2, Gen.Constant(0L)),
        (1, Gen.Choose(0, 5_000).Select(n => (long)n)));

    private static Gen<PriceTier[]> TierLists(int minTiers, int maxTiers, bool pricesNeverFall = false) =>
        from count in Gen.Choose(minTiers, maxTiers)
        from widths in Gen.ArrayOf(Gen.Choose(1, 3_000), count - 1)
        from prices in Gen.ArrayOf(Prices, count)
        select BuildTiers(widths, pricesNeverFall ? [.. prices.Order()] : prices);

    private static PriceTier[] BuildTiers(int[] widths, decimal[] prices)
    {
        var tiers = new PriceTier[prices.Length];
        var upTo = 0m;
        for (var i = 0; i < prices.Length; i++)
        {
            decimal? bound = null;
            if (i < widths.Length)
            {
                upTo += widths[i];
                bound = upTo;
            }

            tiers[i] = new PriceTier(bound, prices[i]);
        }

        return tiers;
    }

    private static Gen<Usage> Usages(Gen<MetricPrice> prices) =>
        from price in prices
        from quantity in Quantities
        from divisor in Divisors
        from extra in Quantities
        select new Usage(price, quantity, divisor, extra);

    private static readonly Gen<MetricPrice> PerUnitPrices =
        from unitPrice in Prices
        from included in Included
        select MetricPrice.PerUnit("m", unitPrice, included);

    private static readonly Gen<MetricPrice> PackagePrices =
        from size in Gen.Frequency((1, Gen.Constant(1)), (3, Gen.Choose(1, 10_000)))
        from packagePrice in Prices
        from included in Included
        select MetricPrice.Package("m", size, packagePrice, included);

    private static Gen<MetricPrice> GraduatedPrices(int minTiers = 1, int maxTiers = 4) =>
        from tiers in TierLists(minTiers, maxTiers)
        from included in Included
        select MetricPrice.Graduated("m", tiers, included);

    private static RatedUsage Rate(Usage usage, decimal extra = 0m) =>
        Rater.Rate(usage.Price, usage.Quantity + extra, usage.Divisor, Usd);

    [Property(MaxTest = 500)]
    public Property Graduated_never_costs_more_than_every_chargeable_unit_at_the_highest_tier_price() =>
        Prop.ForAll(Usages(GraduatedPrices()).ToArbitrary(), usage =>
        {
            var rated = Rate(usage);
            var highest = usage.Price.Tiers.Max(t => t.UnitPrice);
            return rated.Amount.Minor <= Money.Round(rated.ChargeableUnits * highest, Usd).Minor;
        });

    [Property(MaxTest = 500)]
    public Property Graduated_never_costs_less_than_every_chargeable_unit_at_the_lowest_tier_price() =>
        Prop.ForAll(Usages(GraduatedPrices()).ToArbitrary(), usage =>
        {
            var rated = Rate(usage);
            var lowest = usage.Price.Tiers.Min(t => t.UnitPrice);
            return rated.Amount.Minor >= Money.Round(rated.ChargeableUnits * lowest, Usd).Minor;
        });

    [Property(MaxTest = 500)]
    public Property Volume_graduated_and_per_unit_agree_on_a_one_tier_price_list() =>
        Prop.ForAll(Usages(GraduatedPrices(1, 1)).ToArbitrary(), usage =>
        {
            var graduated = Rate(usage);
            var tier = usage.Price.Tiers[0];
            var volume = Rater.Rate(MetricPrice.Volume("m", [tier], usage.Price.Included), usage.Quantity, usage.Divisor, Usd);
            var perUnit = Rater.Rate(MetricPrice.PerUnit("m", tier.UnitPrice, usage.Price.Included), usage.Quantity, usage.Divisor, Usd);
            return graduated == volume && volume == perUnit;
        });

    [Property(MaxTest = 500)]
    public Property Per_unit_cost_never_decreases_when_usage_grows() =>
        Prop.ForAll(Usages(PerUnitPrices).ToArbitrary(), NeverCheaperWithMoreUsage);

    [Property(MaxTest = 500)]
    public Property Package_cost_never_decreases_when_usage_grows() =>
        Prop.ForAll(Usages(PackagePrices).ToArbitrary(), NeverCheaperWithMoreUsage);

    [Property(MaxTest = 500)]
    public Property Graduated_cost_never_decreases_when_usage_grows() =>
        Prop.ForAll(Usages(GraduatedPrices()).ToArbitrary(), NeverCheaperWithMoreUsage);

    // Volume pricing reprices every unit when a cheaper tier starts (see RatingTests), so more usage can cost less.
    // It never does when tier prices do not fall, and never within one tier.
    [Property(MaxTest = 500)]
    public Property Volume_cost_never_decreases_when_usage_grows_if_tier_prices_never_fall() =>
        Prop.ForAll(
            Usages(from tiers in TierLists(1, 4, pricesNeverFall: true)
                   from included in Included
                   select MetricPrice.Volume("m", tiers, included)).ToArbitrary(),
            NeverCheaperWithMoreUsage);

    [Property(MaxTest = 500)]
    public Property Volume_cost_never_decreases_when_usage_grows_within_one_tier() =>
        Prop.ForAll(
            Usages(from tiers in TierLists(1, 4)
                   from included in Included
                   select MetricPrice.Volume("m", tiers, included)).ToArbitrary(),
            usage =>
            {
                var less = Rate(usage);
                var more = Rate(usage, usage.Extra);
                var sameTier = TierIndex(usage.Price, less.ChargeableUnits) == TierIndex(usage.Price, more.ChargeableUnits);
                return (!sameTier || less.Amount.Minor <= more.Amount.Minor).Classify(sameTier, "same tier");
            });

    [Property(MaxTest = 300)]
    public Property Every_model_charges_nothing_within_the_allowance() =>
        Prop.ForAll(
            Usages(Gen.OneOf(PerUnitPrices, PackagePrices, GraduatedPrices(),
                from tiers in TierLists(1, 4) from included in Included select MetricPrice.Volume("m", tiers, included))).ToArbitrary(),
            usage =>
            {
                var rated = Rate(usage);
                return rated.QuantityBillable > usage.Price.Included || (rated.ChargeableUnits == 0 && rated.Amount.Minor == 0);
            });

    [Property(MaxTest = 500)]
    public Property Billable_quantity_is_at_least_one_for_any_usage_and_never_more_than_the_quantity_above_one() =>
        Prop.ForAll(
            Gen.Zip(Quantities, Divisors).ToArbitrary(),
            t =>
            {
                var (quantity, divisor) = t;
                var billable = BillableQuantity.From(quantity, divisor);
                var exact = quantity / divisor;
                return quantity == 0
                    ? billable == 0
                    : billable >= 1 && billable <= Math.Max(1m, exact) && billable > exact - 1;
            });

    [Property(MaxTest = 500)]
    public Property Yen_and_won_amounts_are_whole_units() =>
        Prop.ForAll(
            Gen.Zip(
                Gen.Zip(Gen.Choose(-1_000_000_000, 1_000_000_000), Gen.Choose(0, 999_999)).Select(t => t.Item1 + (t.Item2 / 1_000_000m)),
                Gen.Elements("JPY", "KRW")).ToArbitrary(),
            t =>
            {
                var (units, code) = t;
                var money = Money.Round(units, Currency.Of(code));
                return money.ToUnits() == Math.Round(units, 0, MidpointRounding.AwayFromZero)
                    && money.ToUnits() == decimal.Truncate(money.ToUnits())
                    && money.ToHundredths() % 100 == 0
                    && !money.ToUnitsString().Contains('.', StringComparison.Ordinal);
            });

    [Property(MaxTest = 300)]
    public Property Rated_yen_and_won_amounts_have_no_minor_units() =>
        Prop.ForAll(
            Gen.Zip(Usages(Gen.OneOf(PerUnitPrices, PackagePrices, GraduatedPrices())), Gen.Elements("JPY", "KRW")).ToArbitrary(),
            t =>
            {
                var (usage, code) = t;
                var amount = Rater.Rate(usage.Price, usage.Quantity, usage.Divisor, Currency.Of(code)).Amount;
                return amount.ToHundredths() % 100 == 0 && amount.ToHundredths() == amount.Minor * 100;
            });

    private static readonly Gen<long> MinorAmounts = Gen.Frequency(
        (3, Gen.Choose(0, 100_000).Select(n => (long)n)),
        (3, Gen.Zip(Gen.Choose(0, int.MaxValue), Gen.Choose(0, int.MaxValue)).Select(t => ((long)t.Item1 << 31) | (long)t.Item2)),
        (1, Gen.Constant(long.MaxValue)));

    [Property(MaxTest = 500)]
    public Property Any_amount_round_trips_through_its_units_string() =>
        Prop.ForAll(
            Gen.Zip(MinorAmounts, Gen.Elements(Currency.KnownCodes.ToArray())).ToArbitrary(),
            t =>
            {
                var money = new Money(t.Item1, Currency.Of(t.Item2));
                var text = money.ToUnitsString();
                return Money.ParseUnits(text, money.Currency, "amount") == money
                    && money.ToUnits() == decimal.Parse(text, CultureInfo.InvariantCulture);
            });

    [Property(MaxTest = 500)]
    public Property Any_plain_decimal_text_parses_and_writes_back_padded_to_the_currency_exponent() =>
        Prop.ForAll(
            (from code in Gen.Elements("USD", "JPY", "BHD")
             from whole in Gen.Choose(0, int.MaxValue)
             from leadingZeros in Gen.Choose(0, 2)
             from decimals in Gen.Choose(0, Currency.Of(code).Exponent)
             from fraction in Gen.Choose(0, 999)
             select (code, whole, leadingZeros, decimals, fraction)).ToArbitrary(),
            t =>
            {
                var currency = Currency.Of(t.code);
                var fractionDigits = (t.fraction % 1000).ToString("D3", CultureInfo.InvariantCulture)[..t.decimals];
                var wholeDigits = new string('0', t.leadingZeros) + t.whole.ToString(CultureInfo.InvariantCulture);
                var text = t.decimals == 0 ? wholeDigits : $"{wholeDigits}.{fractionDigits}";
                var expected = currency.Exponent == 0
                    ? t.whole.ToString(CultureInfo.InvariantCulture)
                    : $"{t.whole.ToString(CultureInfo.InvariantCulture)}.{fractionDigits.PadRight(currency.Exponent, '0')}";
                return (Money.ParseUnits(text, currency, "amount").ToUnitsString() == expected).Label($"{text} {t.code} → {expected}");
            });

    private static bool NeverCheaperWithMoreUsage(Usage usage) =>
        Rate(usage).Amount.Minor <= Rate(usage, usage.Extra).Amount.Minor;

    private static int TierIndex(MetricPrice price, long chargeable)
    {
        for (var i = 0; i < price.Tiers.Count; i++)
        {
            if (price.Tiers[i].UpTo is not { } upTo || chargeable <= upTo)
            {
                return i;
            }
        }

        return price.Tiers.Count;
    }
}
