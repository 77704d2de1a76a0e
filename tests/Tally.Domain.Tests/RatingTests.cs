using Tally.Domain.Rating;

namespace Tally.Domain.Tests;

public sealed class RatingTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");

    private static readonly PriceTier[] ThreeTiers = [new(10, 1.00m), new(20, 0.50m), new(null, 0.25m)];

    // ---- billable quantity ----

    [Theory]
    [InlineData("0", "1", 0)]
    [InlineData("0.3", "1", 1)]
    [InlineData("0.000001", "1", 1)]
    [InlineData("1", "1", 1)]
    [InlineData("1.0", "1", 1)]
    [InlineData("2.9", "1", 2)]
    [InlineData("1234567", "1", 1234567)]
    [InlineData("512", "1024", 1)]
    [InlineData("1536", "1024", 1)]
    [InlineData("2048", "1024", 2)]
    [InlineData("3071", "1024", 2)]
    [InlineData("0.0000000000000000000000000001", "1000000", 1)]
    [InlineData("5", "0.5", 10)]
    public void Billable_quantity_is_zero_for_zero_one_below_one_and_rounded_down_above(string quantity, string divisor, long billable) =>
        Assert.Equal(billable, BillableQuantity.From(Dec(quantity), Dec(divisor)));

    [Fact]
    public void Billable_quantity_refuses_a_negative_quantity_and_a_divisor_that_is_not_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BillableQuantity.From(-1m, 1m));
        Assert.Throws<ArgumentOutOfRangeException>(() => BillableQuantity.From(1m, 0m));
        Assert.Throws<ArgumentOutOfRangeException>(() => BillableQuantity.From(1m, -1024m));
    }

    // ---- per_unit ----

    [Fact]
    public void A_fractional_unit_price_is_multiplied_exactly_and_rounded_once()
    {
        var rated = Rater.Rate(MetricPrice.PerUnit("requests", 0.0001m), 1_234_567m, 1m, Usd);
        Assert.Equal(new RatedUsage(1_234_567m, 1_234_567, 1_234_567, new Money(12346, Usd)), rated);
    }

    [Fact]
    public void Per_unit_charges_only_units_above_the_included_allowance()
    {
        var price = MetricPrice.PerUnit("requests", 0.02m, included: 1000);
        Assert.Equal(new Money(0, Usd), Rater.Rate(price, 999m, 1m, Usd).Amount);
        Assert.Equal(new Money(0, Usd), Rater.Rate(price, 1000m, 1m, Usd).Amount);
        var rated = Rater.Rate(price, 1500m, 1m, Usd);
        Assert.Equal(500, rated.ChargeableUnits);
        Assert.Equal(new Money(1000, Usd), rated.Amount);
    }

    [Fact]
    public void Per_unit_prices_megabytes_in_whole_gigabytes()
    {
        // 3000 MB / 1024 = 2.93 GB → 2 billable GB at 0.10.
        var rated = Rater.Rate(MetricPrice.PerUnit("storage", 0.10m), 3000m, 1024m, Usd);
        Assert.Equal(2, rated.QuantityBillable);
        Assert.Equal(new Money(20, Usd), rated.Amount);

        // 300 MB is below one GB: still one billable GB.
        Assert.Equal(new Money(10, Usd), Rater.Rate(MetricPrice.PerUnit("storage", 0.10m), 300m, 1024m, Usd).Amount);
    }

    [Fact]
    public void A_yen_total_is_rounded_half_away_from_zero_to_whole_yen()
    {
        Assert.Equal(new Money(2, Jpy), Rater.Rate(MetricPrice.PerUnit("requests", 0.5m), 3m, 1m, Jpy).Amount);
        Assert.Equal(new Money(1, Jpy), Rater.Rate(MetricPrice.PerUnit("requests", 0.49m), 3m, 1m, Jpy).Amount);
    }

    [Fact]
    public void Rounding_happens_once_on_the_total_not_per_unit()
    {
        // 0.004 per unit rounds to 0 cents per unit, but 1000 units cost exactly 4.00.
        Assert.Equal(new Money(400, Usd), Rater.Rate(MetricPrice.PerUnit("requests", 0.004m), 1000m, 1m, Usd).Amount);
    }

    // ---- package ----

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 500)]
    [InlineData(1000, 500)]
    [InlineData(1001, 1000)]
    [InlineData(2000, 1000)]
    [InlineData(2001, 1500)]
    public void Package_charges_every_started_package(long units, long cents) =>
        Assert.Equal(new Money(cents, Usd), Rater.Rate(MetricPrice.Package("emails", 1000, 5.00m), units, 1m, Usd).Amount);

    [Fact]
    public void Package_counts_packages_after_the_allowance()
    {
        var price = MetricPrice.Package("emails", 1000, 5.00m, included: 500);
        Assert.Equal(new Money(0, Usd), Rater.Rate(price, 500m, 1m, Usd).Amount);
        Assert.Equal(new Money(500, Usd), Rater.Rate(price, 1500m, 1m, Usd).Amount);
        Assert.Equal(new Money(1000, Usd), Rater.Rate(price, 1501m, 1m, Usd).Amount);
    }

    [Fact]
    public void Counting_packages_at_the_largest_quantity_does_not_overflow()
    {
        var rated = Rater.Rate(MetricPrice.Package("emails", long.MaxValue, 1m), long.MaxValue, 1m, Usd);
        Assert.Equal(new Money(100, Usd), rated.Amount);
    }

    // ---- graduated ----

    [Theory]
    [InlineData(0, 0)]
    [InlineData(100, 0)]
    [InlineData(101, 1)]
    [InlineData(1_000_100, 1_000_000)]
    [InlineData(1_000_101, 1_000_001)]
    [InlineData(1_500_100, 1_250_000)]
    public void Graduated_prices_each_tier_s_units_after_the_allowance(long requests, long cents)
    {
        // Included 100; the first 1,000,000 chargeable units at 0.01, the rest at 0.005.
        // 1,000,101 requests: 10,000 + 1 × 0.005 = 10,000.005 → 10,000.01; 1,500,100: 10,000 + 500,000 × 0.005 = 12,500.
        var price = MetricPrice.Graduated("requests", [new(1_000_000, 0.01m), new(null, 0.005m)], included: 100);
        Assert.Equal(new Money(cents, Usd), Rater.Rate(price, requests, 1m, Usd).Amount);
    }

    [Theory]
    [InlineData(5, 500)]
    [InlineData(10, 1000)]
    [InlineData(11, 1050)]
    [InlineData(20, 1500)]
    [InlineData(25, 1625)]
    public void Graduated_with_three_tiers_adds_the_units_of_each_tier_at_its_price(long units, long cents) =>
        Assert.Equal(new Money(cents, Usd), Rater.Rate(MetricPrice.Graduated("calls", ThreeTiers), units, 1m, Usd).Amount);

    // ---- volume ----

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 500)]
    [InlineData(10, 1000)]
    [InlineData(11, 550)]
    [InlineData(15, 750)]
    [InlineData(20, 1000)]
    [InlineData(25, 625)]
    public void Volume_prices_every_unit_at_the_tier_that_contains_the_total(long units, long cents) =>
        Assert.Equal(new Money(cents, Usd), Rater.Rate(MetricPrice.Volume("calls", ThreeTiers), units, 1m, Usd).Amount);

    [Fact]
    public void Volume_picks_the_tier_from_the_chargeable_units_after_the_allowance()
    {
        var price = MetricPrice.Volume("calls", ThreeTiers, included: 10);
        var rated = Rater.Rate(price, 25m, 1m, Usd);
        Assert.Equal(15, rated.ChargeableUnits);
        Assert.Equal(new Money(750, Usd), rated.Amount);
    }

    [Fact]
    public void Volume_may_cost_less_for_more_units_when_a_cheaper_tier_starts()
    {
        // Volume pricing as in Stripe and Lago: crossing into a cheaper tier reprices every unit (10 units cost 10.00,
        // 11 cost 5.50). Graduated pricing has no such step.
        var price = MetricPrice.Volume("calls", ThreeTiers);
        Assert.True(Rater.Rate(price, 11m, 1m, Usd).Amount.Minor < Rater.Rate(price, 10m, 1m, Usd).Amount.Minor);
    }

    // ---- rating errors ----

    [Fact]
    public void A_negative_quantity_is_refused_with_field_quantity()
    {
        var error = Assert.Throws<DomainValidationException>(() => Rater.Rate(MetricPrice.PerUnit("m", 1m), -1m, 1m, Usd));
        Assert.Equal("quantity", error.Field);
    }

    [Fact]
    public void A_divisor_that_is_not_positive_is_a_programming_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rater.Rate(MetricPrice.PerUnit("m", 1m), 1m, 0m, Usd));

    [Theory]
    [InlineData("100000000000000000000", "1", "1")]
    [InlineData("79228162514264337593543950335", "0.5", "1")]
    [InlineData("1000000000000000000", "1", "1000000")]
    [InlineData("9223372036854775807", "1", "79228162514264.337593")]
    public void A_total_too_large_for_minor_units_is_refused_with_field_quantity(string quantity, string divisor, string unitPrice)
    {
        var error = Assert.Throws<DomainValidationException>(
            () => Rater.Rate(MetricPrice.PerUnit("m", Dec(unitPrice)), Dec(quantity), Dec(divisor), Usd));
        Assert.Equal("quantity", error.Field);
    }

    [Fact]
    public void A_graduated_total_too_large_is_refused_with_field_quantity()
    {
        var price = MetricPrice.Graduated("m", [new(1, 1m), new(null, 1_000_000_000m)]);
        var error = Assert.Throws<DomainValidationException>(() => Rater.Rate(price, long.MaxValue, 1m, Usd));
        Assert.Equal("quantity", error.Field);
    }

    // ---- price validation ----

    [Theory]
    [InlineData("blank metric", "metric")]
    [InlineData("undefined model", "model")]
    [InlineData("negative included", "included")]
    [InlineData("per_unit without unit_price", "unit_price")]
    [InlineData("negative unit_price", "unit_price")]
    [InlineData("unit_price with 7 decimals", "unit_price")]
    [InlineData("per_unit with tiers", "tiers")]
    [InlineData("per_unit with package_size", "package_size")]
    [InlineData("per_unit with package_price", "package_price")]
    [InlineData("package without package_size", "package_size")]
    [InlineData("package_size 0", "package_size")]
    [InlineData("package without package_price", "package_price")]
    [InlineData("package_price with 7 decimals", "package_price")]
    [InlineData("package with unit_price", "unit_price")]
    [InlineData("graduated without tiers", "tiers")]
    [InlineData("volume with empty tiers", "tiers")]
    [InlineData("graduated with unit_price", "unit_price")]
    [InlineData("volume with package_size", "package_size")]
    [InlineData("unbounded tier before the last", "tiers[0].up_to")]
    [InlineData("bounded last tier", "tiers[1].up_to")]
    [InlineData("single bounded tier", "tiers[0].up_to")]
    [InlineData("equal up_to", "tiers[1].up_to")]
    [InlineData("decreasing up_to", "tiers[2].up_to")]
    [InlineData("up_to 0", "tiers[0].up_to")]
    [InlineData("fractional up_to", "tiers[0].up_to")]
    [InlineData("negative tier price", "tiers[0].unit_price")]
    [InlineData("tier price with 7 decimals", "tiers[1].unit_price")]
    [InlineData("null tier", "tiers[1]")]
    public void Every_broken_price_invariant_is_refused_naming_the_field(string breakage, string field)
    {
        Func<MetricPrice> create = breakage switch
        {
            "blank metric" => () => new MetricPrice(" ", PricingModel.PerUnit, unitPrice: 1m),
            "undefined model" => () => new MetricPrice("m", (PricingModel)9, unitPrice: 1m),
            "negative included" => () => MetricPrice.PerUnit("m", 1m, included: -1),
            "per_unit without unit_price" => () => new MetricPrice("m", PricingModel.PerUnit),
            "negative unit_price" => () => MetricPrice.PerUnit("m", -0.01m),
            "unit_price with 7 decimals" => () => MetricPrice.PerUnit("m", 0.0000001m),
            "per_unit with tiers" => () => new MetricPrice("m", PricingModel.PerUnit, unitPrice: 1m, tiers: [new(null, 1m)]),
            "per_unit with package_size" => () => new MetricPrice("m", PricingModel.PerUnit, unitPrice: 1m, packageSize: 10),
            "per_unit with package_price" => () => new MetricPrice("m", PricingModel.PerUnit, unitPrice: 1m, packagePrice: 1m),
            "package without package_size" => () => new MetricPrice("m", PricingModel.Package, packagePrice: 1m),
            "package_size 0" => () => MetricPrice.Package("m", 0, 1m),
            "package without package_price" => () => new MetricPrice("m", PricingModel.Package, packageSize: 10),
            "package_price with 7 decimals" => () => MetricPrice.Package("m", 10, 1.0000001m),
            "package with unit_price" => () => new MetricPrice("m", PricingModel.Package, unitPrice: 1m, packageSize: 10, packagePrice: 1m),
            "graduated without tiers" => () => new MetricPrice("m", PricingModel.Graduated),
            "volume with empty tiers" => () => MetricPrice.Volume("m", []),
            "graduated with unit_price" => () => new MetricPrice("m", PricingModel.Graduated, unitPrice: 1m, tiers: [new(null, 1m)]),
            "volume with package_size" => () => new MetricPrice("m", PricingModel.Volume, packageSize: 1, tiers: [new(null, 1m)]),
            "unbounded tier before the last" => () => MetricPrice.Graduated("m", [new(null, 1m), new(null, 2m)]),
            "bounded last tier" => () => MetricPrice.Graduated("m", [new(10, 1m), new(20, 2m)]),
            "single bounded tier" => () => MetricPrice.Volume("m", [new(10, 1m)]),
            "equal up_to" => () => MetricPrice.Graduated("m", [new(10, 1m), new(10, 2m), new(null, 1m)]),
            "decreasing up_to" => () => MetricPrice.Volume("m", [new(10, 1m), new(20, 2m), new(15, 1m), new(null, 1m)]),
            "up_to 0" => () => MetricPrice.Graduated("m", [new(0, 1m), new(null, 1m)]),
            "fractional up_to" => () => MetricPrice.Graduated("m", [new(1.5m, 1m), new(null, 1m)]),
            "negative tier price" => () => MetricPrice.Graduated("m", [new(10, -1m), new(null, 1m)]),
            "tier price with 7 decimals" => () => MetricPrice.Volume("m", [new(10, 1m), new(null, 0.1234567m)]),
            "null tier" => () => MetricPrice.Graduated("m", [new(10, 1m), null!, new(null, 1m)]),
            _ => throw new ArgumentOutOfRangeException(nameof(breakage), breakage, "unknown case"),
        };

        var error = Assert.Throws<DomainValidationException>(() => create());
        Assert.Equal(field, error.Field);
        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Six_decimal_places_are_judged_by_value_so_trailing_zeros_are_fine()
    {
        Assert.Equal(0.1m, MetricPrice.PerUnit("m", 0.1000000000m).UnitPrice);
        Assert.Equal(0.000001m, MetricPrice.PerUnit("m", 0.000001m).UnitPrice);
        Assert.Equal(10m, MetricPrice.Graduated("m", [new(10.000m, 0.5m), new(null, 0.25m)]).Tiers[0].UpTo);
    }

    [Fact]
    public void A_message_says_why_a_field_of_another_model_is_refused()
    {
        var error = Assert.Throws<DomainValidationException>(
            () => new MetricPrice("m", PricingModel.Volume, unitPrice: 1m, tiers: [new(null, 1m)]));
        Assert.Equal("unit_price is not allowed for model \"volume\".", error.Message);
    }

    [Fact]
    public void Prices_with_equal_tiers_are_equal_and_the_tier_list_is_a_copy()
    {
        var tiers = new List<PriceTier> { new(10, 1m), new(null, 0.5m) };
        var price = MetricPrice.Graduated("m", tiers, included: 5);
        tiers[1] = new PriceTier(null, 99m);
        Assert.Equal(0.5m, price.Tiers[1].UnitPrice);
        Assert.Equal(MetricPrice.Graduated("m", [new(10, 1m), new(null, 0.5m)], included: 5), price);
        Assert.Equal(MetricPrice.Graduated("m", [new(10, 1m), new(null, 0.5m)], included: 5).GetHashCode(), price.GetHashCode());
        Assert.NotEqual(MetricPrice.Volume("m", [new(10, 1m), new(null, 0.5m)], included: 5), price);
        Assert.Empty(MetricPrice.PerUnit("m", 1m).Tiers);
    }

    // ---- wire names ----

    [Theory]
    [InlineData("sum", Aggregation.Sum)]
    [InlineData("max", Aggregation.Max)]
    [InlineData("count", Aggregation.Count)]
    public void Aggregations_parse_from_and_write_to_their_wire_names(string wire, Aggregation aggregation)
    {
        Assert.Equal(aggregation, Aggregations.Parse(wire, "aggregation"));
        Assert.Equal(wire, aggregation.ToWire());
    }

    [Theory]
    [InlineData("Sum")]
    [InlineData("avg")]
    [InlineData("")]
    [InlineData(null)]
    public void An_unknown_aggregation_is_refused_naming_the_field_and_the_allowed_values(string? wire)
    {
        var error = Assert.Throws<DomainValidationException>(() => Aggregations.Parse(wire, "metrics[0].aggregation"));
        Assert.Equal("metrics[0].aggregation", error.Field);
        Assert.Contains("\"sum\", \"max\" or \"count\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("per_unit", PricingModel.PerUnit)]
    [InlineData("package", PricingModel.Package)]
    [InlineData("graduated", PricingModel.Graduated)]
    [InlineData("volume", PricingModel.Volume)]
    public void Pricing_models_parse_from_and_write_to_their_wire_names(string wire, PricingModel model)
    {
        Assert.Equal(model, PricingModels.Parse(wire, "model"));
        Assert.Equal(wire, model.ToWire());
    }

    [Theory]
    [InlineData("PerUnit")]
    [InlineData("per-unit")]
    [InlineData("tiered")]
    [InlineData(null)]
    public void An_unknown_pricing_model_is_refused_naming_the_field_and_the_allowed_values(string? wire)
    {
        var error = Assert.Throws<DomainValidationException>(() => PricingModels.Parse(wire, "pricing[2].model"));
        Assert.Equal("pricing[2].model", error.Field);
        Assert.Contains("\"per_unit\", \"package\", \"graduated\" or \"volume\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Undefined_enum_values_have_no_wire_name()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ((Aggregation)7).ToWire());
        Assert.Throws<ArgumentOutOfRangeException>(() => ((PricingModel)7).ToWire());
    }

    private static decimal Dec(string text) => decimal.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
}
