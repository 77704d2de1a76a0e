using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tally.Domain.Catalog;
using Tally.Domain.Invoicing;
using Tally.Domain.Rating;
using Tally.Domain.Subscriptions;
using Tally.Domain.Tenants;

namespace Tally.Domain.Tests;

public sealed class PeriodChargesTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");
    private static readonly TimeZoneInfo Tokyo = TimeZones.Require("Asia/Tokyo");
    private static readonly TimeZoneInfo LosAngeles = TimeZones.Require("America/Los_Angeles");
    private static readonly BillingPeriod November = BillingPeriod.Of(2026, 11, Utc);

    private static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static PlanDefinition Plan(string name, long flatMinor, long setupMinor = 0, int trialDays = 0, Currency? currency = null)
    {
        var c = currency ?? Usd;
        return new PlanDefinition(name, char.ToUpperInvariant(name[0]) + name[1..], c, PlanType.Team,
            flatPrice: new Money(flatMinor, c), setupFee: new Money(setupMinor, c),
            trialPeriod: trialDays, trialPeriodUnit: trialDays > 0 ? PeriodUnit.Day : PeriodUnit.Unknown);
    }

    private static BilledPlanSubscription Sub(string id, PlanDefinition plan, string start, string? end = null, DateTimeOffset? trialEnd = null, bool setupBilled = false) =>
        new(id, plan, At(start), end is null ? null : At(end), trialEnd, setupBilled);

    private static IReadOnlyList<LineItem> Charges(BillingPeriod period, params BilledPlanSubscription[] plans) =>
        PeriodCharges.For(period, plans.Length > 0 ? plans[0].Plan.Currency : Usd, plans, [], []);

    [Fact]
    public void A_partial_first_month_charges_the_share_of_the_month_from_the_start()
    {
        // 21 of November's 30 days of 30.00.
        var line = Assert.Single(Charges(November, Sub("s1", Plan("team", 3000), "2026-11-10T00:00:00Z")));
        Assert.Equal(LineItemKind.PlanCost, line.Kind);
        Assert.Equal("Fixed fee ('Team')", line.Name);
        Assert.Equal(new Money(2100, Usd), line.Amount);
        Assert.Equal(0.7m, line.Quantity);
        Assert.Equal(At("2026-11-10T00:00:00Z"), line.PeriodStart);
        Assert.Equal(November.End, line.PeriodEnd);
        Assert.Equal("plan:s1:2026-11", line.SourceKey);
        Assert.Equal("2026-11-10 00:00:00 – 2026-12-01 00:00:00 (UTC)", line.Description);
    }

    [Fact]
    public void Proration_is_by_the_second()
    {
        // 20 d 11:25:04 = 1,769,104 s of 2,592,000 s × 30.00 = 20.4757… → 20.48.
        var line = Assert.Single(Charges(November, Sub("s1", Plan("team", 3000), "2026-11-10T12:34:56Z")));
        Assert.Equal(new Money(2048, Usd), line.Amount);
    }

    [Fact]
    public void A_fourteen_day_trial_is_free_and_the_setup_fee_comes_on_the_first_invoice_after_it()
    {
        var plan = Plan("pro", 3100, setupMinor: 21000, trialDays: 14);
        var start = At("2026-12-20T00:00:00Z");
        var trialEnd = Trial.EndsAt(plan, start, Utc);
        Assert.Equal(At("2027-01-03T00:00:00Z"), trialEnd);

        // December lies wholly in the trial: nothing, not even the setup fee.
        Assert.Empty(Charges(BillingPeriod.Of(2026, 12, Utc), new BilledPlanSubscription("s1", plan, start, null, trialEnd, false)));

        // January: 29 of 31 days of 31.00 = 29.00, then the setup fee 210.00.
        var january = BillingPeriod.Of(2027, 1, Utc);
        var lines = Charges(january, new BilledPlanSubscription("s1", plan, start, null, trialEnd, false));
        Assert.Equal(["Fixed fee ('Pro')", "Setup fee ('Pro')"], lines.Select(l => l.Name));
        Assert.Equal([2900L, 21000L], lines.Select(l => l.Amount.Minor));
        Assert.Equal(["plan:s1:2027-01", "setup:s1"], lines.Select(l => l.SourceKey));
        Assert.All(lines, l => Assert.Equal(trialEnd, l.PeriodStart));
        Assert.Equal(1m, lines[1].Quantity);

        // February, the setup fee billed: the full price only.
        var february = Assert.Single(Charges(january.Next(), new BilledPlanSubscription("s1", plan, start, null, trialEnd, true)));
        Assert.Equal(new Money(3100, Usd), february.Amount);
    }

    [Fact]
    public void A_trial_ending_mid_month_charges_the_rest_of_the_month_and_the_setup_fee()
    {
        // Trial Nov 5 – Nov 19: 12 of 30 days of 30.00 = 12.00, plus 50.00 setup.
        var plan = Plan("team", 3000, setupMinor: 5000, trialDays: 14);
        var lines = Charges(November, Sub("s1", plan, "2026-11-05T00:00:00Z", trialEnd: At("2026-11-19T00:00:00Z")));
        Assert.Equal([1200L, 5000L], lines.Select(l => l.Amount.Minor));
    }

    [Fact]
    public void Without_a_trial_the_setup_fee_comes_at_once_and_only_while_unbilled()
    {
        var plan = Plan("team", 3000, setupMinor: 5000);
        Assert.Equal([3000L, 5000L], Charges(November, Sub("s1", plan, "2026-11-01T00:00:00Z")).Select(l => l.Amount.Minor));
        Assert.Equal([3000L], Charges(November, Sub("s1", plan, "2026-11-01T00:00:00Z", setupBilled: true)).Select(l => l.Amount.Minor));
    }

    [Fact]
    public void A_trial_ending_exactly_at_the_period_end_leaves_the_period_without_charges()
    {
        var plan = Plan("team", 3000, setupMinor: 5000, trialDays: 30);
        Assert.Empty(Charges(November, Sub("s1", plan, "2026-11-01T00:00:00Z", trialEnd: November.End)));
    }

    [Fact]
    public void A_mid_period_upgrade_gives_two_plan_lines_each_prorated()
    {
        // Team 30.00 for 15.5 days = 15.50; Business 100.00 for 14.5 days = 48.333… → 48.33.
        var change = "2026-11-16T12:00:00Z";
        var lines = Charges(November,
            Sub("s2", Plan("business", 10000), change),
            Sub("s1", Plan("team", 3000), "2026-10-01T00:00:00Z", end: change));
        Assert.Equal(["Fixed fee ('Team')", "Fixed fee ('Business')"], lines.Select(l => l.Name));
        Assert.Equal([1550L, 4833L], lines.Select(l => l.Amount.Minor));
        Assert.Equal(["plan:s1:2026-11", "plan:s2:2026-11"], lines.Select(l => l.SourceKey));
        Assert.Equal(lines[0].PeriodEnd, lines[1].PeriodStart);
    }

    [Fact]
    public void A_mid_period_downgrade_gives_two_plan_lines_each_prorated()
    {
        // Business 100.00 for 15.5 days = 51.666… → 51.67; Team 30.00 for 14.5 days = 14.50.
        var change = "2026-11-16T12:00:00Z";
        var lines = Charges(November,
            Sub("s1", Plan("business", 10000), "2026-10-01T00:00:00Z", end: change),
            Sub("s2", Plan("team", 3000), change));
        Assert.Equal([5167L, 1450L], lines.Select(l => l.Amount.Minor));
    }

    [Fact]
    public void An_add_on_subscribed_for_ten_days_is_charged_a_third_of_its_price()
    {
        // 9.99 × 10 / 30 = 3.33.
        var waap = new AddOnDefinition("f5xc_waap_standard", "WAAP Standard", Usd, new Money(999, Usd));
        var lines = PeriodCharges.For(November, Usd,
            [Sub("s1", Plan("team", 3000), "2026-10-01T00:00:00Z")],
            [new BilledAddOnSubscription("a1", waap, At("2026-11-05T00:00:00Z"), At("2026-11-15T00:00:00Z"))],
            []);
        Assert.Equal(2, lines.Count);
        var addOn = lines[1];
        Assert.Equal(LineItemKind.PlanCost, addOn.Kind);
        Assert.Equal("Add-on fee ('WAAP Standard')", addOn.Name);
        Assert.Equal(new Money(333, Usd), addOn.Amount);
        Assert.Equal(0.333333m, addOn.Quantity);
        Assert.Equal("addon:a1:2026-11", addOn.SourceKey);
        Assert.Equal(At("2026-11-15T00:00:00Z"), addOn.PeriodEnd);
    }

    [Fact]
    public void A_jpy_plan_is_prorated_to_whole_yen_and_usage_is_billed_in_yen()
    {
        // 30 of 31 days of ¥1,000 = 967.74… → ¥968; 1,234 requests at ¥0.5 = ¥617.
        var december = BillingPeriod.Of(2026, 12, Utc);
        var rated = Rater.Rate(MetricPrice.PerUnit("requests", 0.5m), 1234m, 1m, Jpy);
        var lines = PeriodCharges.For(december, Jpy,
            [Sub("s1", Plan("team", 1000, currency: Jpy), "2026-12-02T00:00:00Z")], [],
            [new RatedMetric("requests", "Requests", rated)]);
        Assert.Equal([968L, 617L], lines.Select(l => l.Amount.Minor));
        Assert.All(lines, l => Assert.Equal(Jpy, l.Amount.Currency));
        Assert.Equal(new Money(1585, Jpy), InvoiceTotals.Compute(Jpy, lines, 0m).Total);
    }

    [Fact]
    public void A_tokyo_period_runs_from_local_midnight_to_local_midnight()
    {
        // November in Tokyo is [Oct 31 15:00Z, Nov 30 15:00Z). A subscription ending at Oct 31 16:00Z (Nov 1, 01:00 JST)
        // covers one hour of it: 30.00 / 720 = 0.0416… → 0.04. One starting Nov 15 15:00Z (Nov 16, 00:00 JST) covers
        // 15 of 30 days: 15.00.
        var november = BillingPeriod.Of(2026, 11, Tokyo);
        Assert.Equal(At("2026-10-31T15:00:00Z"), november.Start);
        var lines = Charges(november,
            Sub("s1", Plan("team", 3000), "2026-10-01T00:00:00Z", end: "2026-10-31T16:00:00Z"),
            Sub("s2", Plan("team", 3000), "2026-11-15T15:00:00Z"));
        Assert.Equal([4L, 1500L], lines.Select(l => l.Amount.Minor));
        Assert.Equal("2026-11-16 00:00:00 – 2026-12-01 00:00:00 (Asia/Tokyo)", lines[1].Description);
        Assert.Equal(["plan:s1:2026-11", "plan:s2:2026-11"], lines.Select(l => l.SourceKey));
    }

    [Fact]
    public void A_los_angeles_period_counts_the_extra_hour_of_the_clock_change()
    {
        // November in Los Angeles is [Nov 1 07:00Z, Dec 1 08:00Z) = 721 hours (clocks fall back on Nov 1).
        // From Nov 16 00:00 PST (08:00Z): 360 of 721 hours of 30.00 = 14.979… → 14.98. The whole month: exactly 30.00.
        var november = BillingPeriod.Of(2026, 11, LosAngeles);
        Assert.Equal(At("2026-11-01T07:00:00Z"), november.Start);
        Assert.Equal(At("2026-12-01T08:00:00Z"), november.End);
        Assert.Equal(new Money(1498, Usd), Assert.Single(Charges(november, Sub("s1", Plan("team", 3000), "2026-11-16T08:00:00Z"))).Amount);
        Assert.Equal(new Money(3000, Usd), Assert.Single(Charges(november, Sub("s1", Plan("team", 3000), "2026-10-01T00:00:00Z"))).Amount);
    }

    [Fact]
    public void There_is_one_variable_cost_line_per_metric_with_a_non_zero_amount_the_most_expensive_first()
    {
        // Graduated: 100 free-tier units at 0, then 150 × 0.01 = 1.50. Egress 10 GB at 1.00 = 10.00. Storage within its allowance: 0.
        var graduated = MetricPrice.Graduated("requests", [new PriceTier(100, 0m), new PriceTier(null, 0.01m)]);
        var usage = new RatedMetric[]
        {
            new("requests", "API requests", Rater.Rate(graduated, 250m, 1m, Usd)),
            new("storage", "Storage", Rater.Rate(MetricPrice.PerUnit("storage", 0.1m, included: 50), 20m, 1m, Usd)),
            new("egress", "Egress", Rater.Rate(MetricPrice.PerUnit("egress", 1m), 10m, 1m, Usd)),
        };
        var lines = PeriodCharges.For(November, Usd, [], [], usage);
        Assert.Equal(["Egress", "API requests"], lines.Select(l => l.Name));
        Assert.Equal([1000L, 150L], lines.Select(l => l.Amount.Minor));
        Assert.Equal(["usage:egress:2026-11", "usage:requests:2026-11"], lines.Select(l => l.SourceKey));
        Assert.Equal(["egress", "requests"], lines.Select(l => l.Metric));
        Assert.All(lines, l => Assert.Equal(LineItemKind.VariableCost, l.Kind));
        Assert.Equal(250m, lines[1].Quantity);
        Assert.All(lines, l => Assert.Equal((November.Start, November.End), (l.PeriodStart, l.PeriodEnd)));
    }

    [Fact]
    public void Subscriptions_outside_the_period_and_free_plans_add_no_lines()
    {
        Assert.Empty(Charges(November,
            Sub("s1", Plan("team", 3000), "2026-10-01T00:00:00Z", end: "2026-11-01T00:00:00Z"),
            Sub("s2", Plan("team", 3000), "2026-12-01T00:00:00Z"),
            Sub("s3", Plan("free", 0), "2026-11-01T00:00:00Z")));
    }

    [Fact]
    public void Amounts_in_another_currency_or_a_metric_listed_twice_are_refused()
    {
        var euro = Currency.Of("EUR");
        Assert.Equal("plans[0].plan.currency", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.For(November, Usd, [Sub("s1", Plan("team", 3000, currency: euro), "2026-11-01T00:00:00Z")], [], [])).Field);
        var waap = new AddOnDefinition("f5xc_waap_standard", "WAAP", euro, new Money(999, euro));
        Assert.Equal("add_ons[0].add_on.currency", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.For(November, Usd, [], [new BilledAddOnSubscription("a1", waap, November.Start, null)], [])).Field);
        var rated = new RatedUsage(1m, 1, 1, new Money(100, Usd));
        Assert.Equal("usage[0].amount", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.For(November, euro, [], [], [new RatedMetric("m", "M", rated)])).Field);
        Assert.Equal("usage[1].metric", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.For(November, Usd, [], [], [new RatedMetric("m", "M", rated), new RatedMetric("m", "M", rated)])).Field);
    }

    [Fact]
    public void Subscription_ids_listed_twice_are_refused_as_they_would_share_a_source_key()
    {
        var plan = Plan("team", 3000);
        Assert.Equal("plans[1].subscription_id", Assert.Throws<DomainValidationException>(() =>
            Charges(November, Sub("s1", plan, "2026-11-01T00:00:00Z", end: "2026-11-05T00:00:00Z"), Sub("s1", plan, "2026-11-05T00:00:00Z"))).Field);
        var waap = new AddOnDefinition("f5xc_waap_standard", "WAAP", Usd, new Money(999, Usd));
        Assert.Equal("add_ons[1].subscription_id", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.For(November, Usd, [], [new BilledAddOnSubscription("a", waap, November.Start, null), new BilledAddOnSubscription("a", waap, November.Start, null)], [])).Field);
    }

    [Fact]
    public void The_longest_catalog_titles_fit_in_line_names()
    {
        var title = new string('T', PlanDefinition.MaxTitleLength);
        var plan = new PlanDefinition("team", title, Usd, PlanType.Team, flatPrice: new Money(3000, Usd), setupFee: new Money(100, Usd));
        var lines = Charges(November, new BilledPlanSubscription("s1", plan, November.Start, null, null, false));
        Assert.Equal($"Setup fee ('{title}')", lines[1].Name);
    }

    [Fact]
    public void Subscription_inputs_check_their_invariants()
    {
        var plan = Plan("team", 3000);
        Assert.Equal("subscription_id", Assert.Throws<DomainValidationException>(() => new BilledPlanSubscription(" ", plan, November.Start, null, null, false)).Field);
        Assert.Equal("ends_at", Assert.Throws<DomainValidationException>(() => new BilledPlanSubscription("s", plan, November.End, November.Start, null, false)).Field);
        var waap = new AddOnDefinition("f5xc_waap_standard", "WAAP", Usd, new Money(999, Usd));
        Assert.Equal("ends_at", Assert.Throws<DomainValidationException>(() => new BilledAddOnSubscription("a", waap, November.End, November.Start)).Field);
    }
}

public sealed class PeriodChargesPropertyTests
{
    private static readonly Currency Usd = Currency.Of("USD");

    /// <summary>A month, a monthly price and cut points (billionths of the period) that split it among subscriptions.</summary>
    public sealed record Split(string Zone, int Year, int Month, long PriceMinor, int[] Cuts)
    {
        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2} {Zone} price {PriceMinor} cuts [{string.Join(", ", Cuts)}]");
    }

    private static readonly Gen<Split> Splits =
        from zone in Gen.Elements("UTC", "Asia/Tokyo", "America/Los_Angeles", "Europe/Berlin", "Australia/Lord_Howe")
        from year in Gen.Choose(2020, 2030)
        from month in Gen.Choose(1, 12)
        from price in Gen.Frequency(
            (1, Gen.Choose(0, 10).Select(n => (long)n)),
            (3, Gen.Choose(0, 10_000_000).Select(n => (long)n)),
            (1, Gen.Choose(0, int.MaxValue).Select(n => (long)n)))
        from count in Gen.Choose(0, 6)
        from cuts in Gen.ArrayOf(Gen.Choose(0, 1_000_000_000), count)
        select new Split(zone, year, month, price, [.. cuts.Order()]);

    private static (BillingPeriod Period, PlanDefinition Plan, BilledPlanSubscription[] Subscriptions) Build(Split split)
    {
        var period = BillingPeriod.Of(split.Year, split.Month, TimeZones.Require(split.Zone));
        var plan = new PlanDefinition("team", "Team", Usd, PlanType.Team, flatPrice: new Money(split.PriceMinor, Usd));
        var length = period.End.UtcTicks - period.Start.UtcTicks;
        var bounds = new List<DateTimeOffset> { period.Start.AddDays(-3) };
        bounds.AddRange(split.Cuts.Select(c => period.Start.AddTicks((long)((Int128)length * c / 1_000_000_000))));
        var subscriptions = new BilledPlanSubscription[split.Cuts.Length + 1];
        for (var i = 0; i < subscriptions.Length; i++)
        {
            var end = i < split.Cuts.Length ? bounds[i + 1] : (DateTimeOffset?)null;
            subscriptions[i] = new BilledPlanSubscription(string.Create(CultureInfo.InvariantCulture, $"s{i}"), plan, bounds[i], end, null, true);
        }

        return (period, plan, subscriptions);
    }

    [Property(MaxTest = 500)]
    public Property Prorated_plan_amounts_stay_within_one_minor_unit_per_split_of_the_monthly_price() =>
        Prop.ForAll(Splits.ToArbitrary(), split =>
        {
            var (period, _, subscriptions) = Build(split);
            var lines = PeriodCharges.For(period, Usd, subscriptions, [], []);
            var sum = lines.Sum(l => l.Amount.Minor);
            var splits = split.Cuts.Length;
            return sum <= split.PriceMinor + splits && sum >= split.PriceMinor - splits
                && lines.All(l => l.Amount.Minor > 0 && l.Amount.Minor <= split.PriceMinor)
                && lines.Select(l => l.SourceKey).Distinct(StringComparer.Ordinal).Count() == lines.Count;
        });

    [Property(MaxTest = 300)]
    public Property A_single_subscription_covering_the_whole_period_is_charged_exactly_the_monthly_price() =>
        Prop.ForAll(Splits.ToArbitrary(), split =>
        {
            var (period, _, subscriptions) = Build(split with { Cuts = [] });
            var lines = PeriodCharges.For(period, Usd, subscriptions, [], []);
            return split.PriceMinor == 0 ? lines.Count == 0 : lines.Count == 1 && lines[0].Amount.Minor == split.PriceMinor;
        });
}

public sealed class LateUsageTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly BillingPeriod November = BillingPeriod.Of(2026, 11, TimeZones.Require("UTC"));
    private static readonly DateTimeOffset InvoicedAt = new(2026, 12, 2, 8, 0, 0, TimeSpan.Zero);

    private static readonly MetricPrice Graduated = MetricPrice.Graduated("requests", [new PriceTier(100, 0.02m), new PriceTier(null, 0.01m)]);

    private static RatedMetric Rated(decimal quantity) => new("requests", "API requests", Rater.Rate(Graduated, quantity, 1m, Usd));

    [Fact]
    public void Late_usage_bills_the_difference_of_the_periods_whole_usage_rated_again()
    {
        // Invoiced: 80 requests = 1.60. Now 130: 100 × 0.02 + 30 × 0.01 = 2.30, so the late line is 0.70
        // (not 50 × 0.02 = 1.00, which rating the late events alone would give).
        var billed = Rated(80m).Usage;
        var line = PeriodCharges.LateUsage(November, Rated(130m), billed.Quantity, billed.Amount, InvoicedAt);
        Assert.NotNull(line);
        Assert.Equal(new Money(70, Usd), line.Amount);
        Assert.Equal(50m, line.Quantity);
        Assert.Equal(LineItemKind.VariableCost, line.Kind);
        Assert.Equal("API requests (late usage, 2026-11)", line.Name);
        Assert.Equal("late:requests:2026-11:20261202T0800000000000Z", line.SourceKey);
        Assert.Equal((November.Start, November.End), (line.PeriodStart, line.PeriodEnd));
        Assert.Equal("requests", line.Metric);
    }

    [Fact]
    public void No_late_line_when_the_new_events_change_nothing()
    {
        var billed = Rated(80m).Usage;
        Assert.Null(PeriodCharges.LateUsage(November, Rated(80m), billed.Quantity, billed.Amount, InvoicedAt));
    }

    [Fact]
    public void Usage_that_shrank_or_an_amount_in_another_currency_is_refused()
    {
        var billed = Rated(80m).Usage;
        Assert.Equal("quantity", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.LateUsage(November, Rated(79m), billed.Quantity, billed.Amount, InvoicedAt)).Field);
        Assert.Equal("amount", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.LateUsage(November, Rated(90m), billed.Quantity, new Money(160, Currency.Of("EUR")), InvoicedAt)).Field);
    }

    [Property(MaxTest = 300)]
    public Property The_usage_line_and_its_late_lines_always_sum_to_the_rating_of_all_the_usage() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(0, 5_000), 4).ToArbitrary(), arrivals =>
        {
            // The first batch is invoiced with the period, each later one arrives before the next invoice.
            var quantity = (decimal)arrivals[0];
            var first = Rated(quantity).Usage;
            var billedQuantity = first.Quantity;
            var billedAmount = first.Amount;
            for (var i = 1; i < arrivals.Length; i++)
            {
                quantity += arrivals[i];
                var late = PeriodCharges.LateUsage(November, Rated(quantity), billedQuantity, billedAmount, InvoicedAt.AddMonths(i));
                if (late is not null)
                {
                    billedQuantity += late.Quantity;
                    billedAmount += late.Amount;
                }
            }

            var all = Rated(quantity).Usage;
            return billedAmount == all.Amount && billedQuantity <= all.Quantity;
        });
}

public sealed class PlanChangeAdjustmentTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly BillingPeriod November = BillingPeriod.Of(2026, 11, TimeZones.Require("UTC"));
    private static readonly DateTimeOffset InvoicedAt = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Change = new(2026, 11, 16, 12, 0, 0, TimeSpan.Zero);
    private static readonly PlanDefinition Team = new("team", "Team", Usd, PlanType.Team, flatPrice: new Money(3000, Usd), billingMode: BillingMode.Prepaid);
    private static readonly PlanDefinition Business = new("business", "Business", Usd, PlanType.Team, flatPrice: new Money(10000, Usd), billingMode: BillingMode.Prepaid);

    [Fact]
    public void A_prepaid_upgrade_refunds_the_unused_part_of_the_old_plan_and_bills_the_new_one_for_the_rest()
    {
        // Billed in advance: Team 30.00 for November. Upgrade at Nov 16 12:00: Team is due 15.50, so −14.50;
        // Business for 14.5 days = 48.33. Net 63.83, what postpaid billing gives for the same month.
        var old = new BilledPlanSubscription("s1", Team, November.Start, Change, null, true);
        var refund = PeriodCharges.PlanChangeAdjustment(November, old, new Money(3000, Usd), InvoicedAt);
        Assert.NotNull(refund);
        Assert.Equal("Refund ('Team')", refund.Name);
        Assert.Equal(new Money(-1450, Usd), refund.Amount);
        Assert.Equal((Change, November.End), (refund.PeriodStart, refund.PeriodEnd));
        Assert.Equal("refund:s1:2026-11:20261201T0800000000000Z", refund.SourceKey);
        Assert.Equal(LineItemKind.PlanCost, refund.Kind);

        var lines = PeriodCharges.For(November, Usd, [old, new BilledPlanSubscription("s2", Business, Change, null, null, true)], [], []);
        var billedNow = refund.Amount + lines.Single(l => l.SourceKey == "plan:s2:2026-11").Amount;
        Assert.Equal(new Money(3000 - 1450 + 4833, Usd), new Money(3000, Usd) + billedNow);
        Assert.Equal(Money.Sum(lines.Select(l => l.Amount), Usd), new Money(3000, Usd) + billedNow);
    }

    [Fact]
    public void A_subscription_ended_before_the_period_refunds_all_that_was_billed()
    {
        var ended = new BilledPlanSubscription("s1", Team, November.Start.AddDays(-40), November.Start, null, true);
        var refund = PeriodCharges.PlanChangeAdjustment(November, ended, new Money(3000, Usd), InvoicedAt);
        Assert.Equal(new Money(-3000, Usd), refund!.Amount);
        Assert.Equal(November.Start, refund.PeriodStart);
    }

    [Fact]
    public void An_end_moved_later_bills_the_difference_and_no_change_gives_no_line()
    {
        var extended = new BilledPlanSubscription("s1", Team, November.Start, null, null, true);
        var adjustment = PeriodCharges.PlanChangeAdjustment(November, extended, new Money(1550, Usd), InvoicedAt);
        Assert.Equal("Fixed fee adjustment ('Team')", adjustment!.Name);
        Assert.Equal(new Money(1450, Usd), adjustment.Amount);
        Assert.Null(PeriodCharges.PlanChangeAdjustment(November, extended, new Money(3000, Usd), InvoicedAt));
        Assert.Equal("amount", Assert.Throws<DomainValidationException>(() =>
            PeriodCharges.PlanChangeAdjustment(November, extended, new Money(3000, Currency.Of("EUR")), InvoicedAt)).Field);
    }

    [Property(MaxTest = 300)]
    public Property What_was_billed_plus_the_adjustment_is_the_fee_now_due() =>
        Prop.ForAll(Gen.Choose(-5_000, 50_000).ToArbitrary(), Gen.Choose(0, 10_000).ToArbitrary(), (minutes, billedMinor) =>
        {
            var end = November.Start.AddMinutes(minutes);
            var subscription = new BilledPlanSubscription("s1", Team, November.Start.AddDays(-10), end, null, true);
            var billed = new Money(billedMinor, Usd);
            var adjustment = PeriodCharges.PlanChangeAdjustment(November, subscription, billed, InvoicedAt);
            var due = Money.Sum(PeriodCharges.For(November, Usd, [subscription], [], []).Select(l => l.Amount), Usd);
            return billed + (adjustment?.Amount ?? Money.Zero(Usd)) == due;
        });
}
