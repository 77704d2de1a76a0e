using Tally.Domain.Catalog;
using Tally.Domain.Quotas;
using Tally.Domain.Rating;

namespace Tally.Domain.Tests;

public sealed class CatalogTests
{
    private static readonly Currency Usd = Currency.Of("USD");

    private static MetricDefinition Metric(string name = "data-transfer", decimal divisor = 1024m, IReadOnlyDictionary<string, string>? displayNames = null) =>
        new(name, "Data transfer", "MB", "GB", divisor, Aggregation.Sum, "f5xc-cdn", "SKU-1", displayNames);

    private static PlanDefinition Plan(
        Money? flatPrice = null,
        int trialPeriod = 0,
        PeriodUnit trialUnit = PeriodUnit.Unknown,
        IReadOnlyList<MetricPrice>? prices = null,
        IReadOnlyList<string>? included = null,
        IReadOnlyList<string>? allowed = null,
        PeriodUnit renewal = PeriodUnit.Month,
        string billingMode = "postpaid") =>
        new("team-v1", "Team", Usd, PlanType.Team, flatPrice: flatPrice, trialPeriod: trialPeriod, trialPeriodUnit: trialUnit, prices: prices,
            includedAddOns: included, allowedAddOns: allowed, renewalPeriodUnit: renewal, billingMode: billingMode);

    private static DomainValidationException Fails(Func<object> create) => Assert.Throws<DomainValidationException>(() => create());

    [Fact]
    public void A_metric_keeps_its_fields_and_converts_quantities_with_the_F5_billable_rule()
    {
        var metric = Metric();

        Assert.Equal("GB", metric.BillableUnitName);
        Assert.Equal(0, metric.BillableQuantity(0));
        Assert.Equal(1, metric.BillableQuantity(5));
        Assert.Equal(2, metric.BillableQuantity(3000));
    }

    [Fact]
    public void A_metric_display_name_falls_back_to_the_base_text_for_an_untranslated_locale()
    {
        var metric = Metric(displayNames: new Dictionary<string, string> { ["ja"] = "データ転送量" });

        Assert.Equal("データ転送量", metric.DisplayNameFor("ja"));
        Assert.Equal("Data transfer", metric.DisplayNameFor("de"));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("0.0000001")]
    [InlineData("1000000000000001")]
    public void A_metric_divisor_must_be_positive_with_at_most_six_decimals(string divisor)
    {
        var e = Fails(() => Metric(divisor: decimal.Parse(divisor, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.Equal("divisor", e.Field);
    }

    [Theory]
    [InlineData("Requests", "name")]
    [InlineData("", "name")]
    public void A_metric_name_must_be_a_DNS_1035_label(string name, string field) => Assert.Equal(field, Fails(() => Metric(name: name)).Field);

    [Fact]
    public void Metric_texts_are_required_and_bounded()
    {
        Assert.Equal("display_name", Fails(() => new MetricDefinition("m", " ", "MB", "GB", 1, Aggregation.Sum)).Field);
        Assert.Equal("unit_name", Fails(() => new MetricDefinition("m", "M", "", "GB", 1, Aggregation.Sum)).Field);
        Assert.Equal("billable_unit_name", Fails(() => new MetricDefinition("m", "M", "MB", new string('G', 33), 1, Aggregation.Sum)).Field);
        Assert.Equal("sku", Fails(() => new MetricDefinition("m", "M", "MB", "GB", 1, Aggregation.Sum, sku: new string('s', 129))).Field);
    }

    [Theory]
    [InlineData("fr")]
    [InlineData("zh-tw")]
    [InlineData("EN")]
    public void Translations_are_keyed_by_supported_locales_only(string locale)
    {
        var e = Fails(() => Metric(displayNames: new Dictionary<string, string> { [locale] = "x" }));

        Assert.Equal($"display_names.{locale}", e.Field);
    }

    [Fact]
    public void A_blank_translation_is_refused() =>
        Assert.Equal("display_names.ko", Fails(() => Metric(displayNames: new Dictionary<string, string> { ["ko"] = "" })).Field);

    [Fact]
    public void A_plan_gets_defaults_that_mean_no_charge_no_trial_and_no_limits()
    {
        var plan = Plan();

        Assert.Equal(Money.Zero(Usd), plan.FlatPrice);
        Assert.Equal(Money.Zero(Usd), plan.SetupFee);
        Assert.Equal("postpaid", plan.BillingMode);
        Assert.False(plan.HasTrial);
        Assert.Same(QuotaSpec.Empty, plan.DefaultQuota);
        Assert.Equal(TransitionMethod.Unspecified, plan.TransitionFlow.Method);
        Assert.Empty(plan.Prices);
    }

    [Fact]
    public void A_positive_trial_needs_a_unit_and_a_bounded_length()
    {
        Assert.Equal("trial_period_unit", Fails(() => Plan(trialPeriod: 3)).Field);
        Assert.Equal("trial_period", Fails(() => Plan(trialPeriod: -1)).Field);
        Assert.Equal("trial_period", Fails(() => Plan(trialPeriod: 1001, trialUnit: PeriodUnit.Day)).Field);
    }

    [Fact]
    public void A_plan_renews_monthly_only() =>
        Assert.Equal("renewal_period_unit", Fails(() => Plan(renewal: PeriodUnit.Year)).Field);

    [Fact]
    public void A_plan_flat_price_must_be_in_its_currency_and_fit_F5s_int32_cents()
    {
        Assert.Equal("flat_price", Fails(() => Plan(flatPrice: new Money(100, Currency.Of("EUR")))).Field);
        Assert.Equal("flat_price", Fails(() => Plan(flatPrice: new Money(-1, Usd))).Field);
        Assert.Equal("flat_price", Fails(() => Plan(flatPrice: new Money((long)int.MaxValue + 1, Usd))).Field);
        Assert.Equal(int.MaxValue, Plan(flatPrice: new Money(int.MaxValue, Usd)).FlatPrice.Minor);
    }

    [Fact]
    public void A_plan_billing_mode_is_prepaid_or_postpaid() =>
        Assert.Equal("billing_mode", Fails(() => Plan(billingMode: "weekly")).Field);

    [Fact]
    public void A_plan_prices_each_metric_once_and_finds_a_price_by_metric()
    {
        var requests = MetricPrice.PerUnit("requests", 0.01m, included: 100);
        var plan = Plan(prices: [requests, MetricPrice.PerUnit("vcpu-hours", 0.05m)]);

        Assert.Same(requests, plan.PriceOf("requests"));
        Assert.Null(plan.PriceOf("storage"));
        var e = Fails(() => Plan(prices: [requests, MetricPrice.PerUnit("requests", 0.02m)]));
        Assert.Equal("prices[1].metric", e.Field);
    }

    [Fact]
    public void Add_on_lists_hold_valid_distinct_names_and_never_the_same_add_on_twice()
    {
        Assert.Equal("included_addon_services[1]", Fails(() => Plan(included: ["f5xc_waap_standard", "f5xc_waap_standard"])).Field);
        Assert.Equal("allowed_addon_services[0]", Fails(() => Plan(included: ["f5xc_waap_standard"], allowed: ["f5xc_waap_standard"])).Field);
        Assert.Equal("allowed_addon_services[0]", Fails(() => Plan(allowed: ["Not_Valid"])).Field);
    }

    [Fact]
    public void Transition_flows_list_specified_required_fields_once()
    {
        Assert.Equal("transition_flow.required_fields[1]", Fails(() => new TransitionFlow(TransitionMethod.Wizard,
            [TransitionRequiredField.Domain, TransitionRequiredField.Domain], false)).Field);
        Assert.Equal("transition_flow.required_fields[0]", Fails(() => new TransitionFlow(TransitionMethod.Wizard,
            [TransitionRequiredField.Unspecified], false)).Field);
    }

    [Fact]
    public void Plan_texts_are_localized_with_fallback_to_the_base_text()
    {
        var plan = new PlanDefinition("team", "Team", Usd, PlanType.Team, subtitle: "For teams",
            titles: new Dictionary<string, string> { ["de"] = "Team-Tarif" }, descriptions: new Dictionary<string, string> { ["ko"] = "팀" });

        Assert.Equal("Team-Tarif", plan.TitleFor("de"));
        Assert.Equal("Team", plan.TitleFor("ja"));
        Assert.Equal("For teams", plan.SubtitleFor("de"));
        Assert.Equal("팀", plan.DescriptionFor("ko"));
        Assert.Equal("", plan.DescriptionFor("en"));
    }

    [Fact]
    public void Plan_descriptions_are_bounded()
    {
        var e = Fails(() => new PlanDefinition("team", "Team", Usd, PlanType.Team, description: new string('x', PlanDefinition.MaxDescriptionLength + 1)));
        Assert.Equal("description", e.Field);
    }

    [Fact]
    public void F5_enum_names_round_trip_and_unknown_names_are_refused()
    {
        foreach (var type in Enum.GetValues<PlanType>())
        {
            Assert.Equal(type, CatalogEnums.ParsePlanType(type.ToWire()));
        }

        Assert.Equal("PLAN_TYPE_UNSPECIFIED", PlanType.Unspecified.ToWire());
        Assert.Equal("TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN", TransitionRequiredField.PaymentToken.ToWire());
        Assert.Equal("PERIOD_MONTH", PeriodUnit.Month.ToWire());
        Assert.Equal("usage_plan_type", Fails(() => CatalogEnums.ParsePlanType("team")).Field);
        Assert.Equal("tenant_type", Fails(() => CatalogEnums.ParseTenantType("Enterprise")).Field);
    }

    [Fact]
    public void The_thirteen_F5_add_on_keys_are_known_and_valid_names()
    {
        Assert.Equal(13, AddOnNames.F5Keys.Count);
        Assert.All(AddOnNames.F5Keys, k => Assert.True(AddOnNames.IsValid(k)));
        Assert.True(AddOnNames.IsF5Key("f5xc_waap_standard"));
        Assert.False(AddOnNames.IsF5Key("my-addon"));
    }

    [Theory]
    [InlineData("my-addon", true)]
    [InlineData("re-2-ce-v1", true)]
    [InlineData("x", true)]
    [InlineData("My-addon", false)]
    [InlineData("addon_", false)]
    [InlineData("1addon", false)]
    [InlineData("add on", false)]
    public void Add_on_names_are_DNS_1035_labels_that_may_use_underscores(string name, bool valid) =>
        Assert.Equal(valid, AddOnNames.IsValid(name));

    [Fact]
    public void An_add_on_prices_in_its_own_currency_and_each_metric_once()
    {
        var addOn = new AddOnDefinition("f5xc_waap_advanced", "WAAP Advanced", Usd, new Money(60000, Usd), [MetricPrice.PerUnit("bot", 0.5m)],
            new Dictionary<string, string> { ["ja"] = "WAAP アドバンスト" });

        Assert.Equal("WAAP アドバンスト", addOn.DisplayNameFor("ja"));
        Assert.Equal("WAAP Advanced", addOn.DisplayNameFor("zh-TW"));
        Assert.Equal("monthly_price", Fails(() => new AddOnDefinition("a", "A", Usd, new Money(1, Currency.Of("JPY")))).Field);
        Assert.Equal("prices[1].metric", Fails(() => new AddOnDefinition("a", "A", Usd, Money.Zero(Usd),
            [MetricPrice.PerUnit("bot", 1m), MetricPrice.PerUnit("bot", 2m)])).Field);
        Assert.Equal("name", Fails(() => new AddOnDefinition("A", "A", Usd, Money.Zero(Usd))).Field);
    }
}
