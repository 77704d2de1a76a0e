using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.Subscriptions;
using static Tally.Server.Tests.Billing.BillingTestKit;

namespace Tally.Server.Tests.Billing;

/// <summary>
/// Invoices computed by hand, checked line by line. The fixture's clock stands in late November 2026, so plans start
/// in September (back-dated with effective_at) and a run as of now bills September and October (postpaid).
/// </summary>
public abstract class BillingEngineInvoiceTests(TallyFixture fx)
{
    private readonly BillingTestKit _kit = new(fx);

    [Fact]
    public async Task A_partial_first_month_is_prorated_by_the_second_and_the_next_month_is_billed_whole()
    {
        var tenant = await _kit.TenantAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("99.00"), "2026-09-16T00:00:00Z");

        var result = await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(2, result.Invoices.Count);
        Assert.Equal(["2026-09", "2026-10"], invoices.Select(i => i.Invoice.Period));
        Assert.Equal(["Fixed fee ('Team') 4950"], Describe(invoices[0].Lines)); // 99.00 × 15/30
        Assert.Equal(["Fixed fee ('Team') 9900"], Describe(invoices[1].Lines));
        Assert.All(invoices, i => Assert.Equal("pending", i.Invoice.State));
        Assert.All(invoices, i => Assert.Equal(i.Invoice.IssuedAt!.Value.AddDays(2), i.Invoice.DueAt));
        Assert.StartsWith("2026-09-", invoices[0].Invoice.FriendlyId, StringComparison.Ordinal);
        Assert.Equal("0.5", invoices[0].Lines[0].Quantity);
        Assert.Equal(At("2026-09-16T00:00:00Z"), invoices[0].Lines[0].PeriodStart);
    }

    [Fact]
    public async Task The_trial_is_free_and_the_setup_fee_comes_once_with_the_first_paid_period()
    {
        // 3scale's free_trial feature: 15-day trial, 31/month, setup 210 → 24 (8–31) + 210 = 234.
        var tenant = await _kit.TenantAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("31.00", trialDays: 15, setup: "210.00"), "2026-09-23T00:00:00Z");

        await _kit.BillNowAsync(tenant);
        await _kit.BillNowAsync(tenant);

        var invoice = Assert.Single(await _kit.InvoicesAsync(tenant));
        Assert.Equal("2026-10", invoice.Invoice.Period);
        Assert.Equal(["Fixed fee ('Team') 2400", "Setup fee ('Team') 21000"], Describe(invoice.Lines));
        Assert.Equal(23400, invoice.Invoice.TotalMinor);
    }

    [Fact]
    public async Task A_mid_period_upgrade_and_a_later_downgrade_bill_each_plan_for_its_part()
    {
        var tenant = await _kit.TenantAsync();
        var small = await _kit.PlanAsync("100.00", title: "Small");
        var large = await _kit.PlanAsync("200.00", title: "Large");
        await _kit.AssignAsync(tenant, small, "2026-09-01T00:00:00Z");
        await _kit.AssignAsync(tenant, large, "2026-09-11T00:00:00Z");
        await _kit.AssignAsync(tenant, small, "2026-10-16T00:00:00Z");

        await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(2, invoices.Count);
        // September: 100 × 10/30 = 33.33, 200 × 20/30 = 133.33.
        Assert.Equal(["Fixed fee ('Small') 3333", "Fixed fee ('Large') 13333"], Describe(invoices[0].Lines));
        Assert.Equal(16666, invoices[0].Invoice.TotalMinor);
        // October: 200 × 15/31 = 96.77, 100 × 16/31 = 51.61.
        Assert.Equal(["Fixed fee ('Large') 9677", "Fixed fee ('Small') 5161"], Describe(invoices[1].Lines));
        Assert.Equal(14838, invoices[1].Invoice.TotalMinor);
    }

    [Fact]
    public async Task Tiered_usage_is_rated_over_the_allowance_with_graduated_tiers()
    {
        var tenant = await _kit.TenantAsync();
        var metric = await _kit.MetricAsync("Requests");
        var plan = await _kit.PlanAsync("0", pricesJson: $$"""
            [{"metric":"{{metric}}","model":"graduated","included":"100","tiers":[{"up_to":"1000","unit_price":"0.01"},{"up_to":null,"unit_price":"0.005"}]}]
            """);
        await _kit.AssignAsync(tenant, plan, "2026-09-01T00:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-09-10T10:00:00Z", 50), ("2026-10-03T10:00:00Z", 3000), ("2026-10-30T23:59:00Z", 2500));

        await _kit.BillNowAsync(tenant);

        // September: 50 ≤ 100 included → nothing to bill, no invoice. October: 5500 − 100 = 5400: 1000 × 0.01 + 4400 × 0.005 = 32.00.
        var invoice = Assert.Single(await _kit.InvoicesAsync(tenant));
        Assert.Equal("2026-10", invoice.Invoice.Period);
        var line = Assert.Single(invoice.Lines);
        Assert.Equal(("Requests", 3200L, "5500", "LineItem::VariableCost", metric), (line.Name, line.AmountMinor, line.Quantity, line.Type, line.Metric));
    }

    [Fact]
    public async Task An_add_on_subscribed_for_ten_days_is_billed_for_ten_days()
    {
        using (var op = fx.Operator())
        {
            await SubscriptionTestKit.EnsureAddOnsAsync(op);
        }

        var tenant = await _kit.TenantAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("10.00"), "2026-10-01T00:00:00Z");
        await _kit.AddOnSubscriptionAsync(tenant, SubscriptionTestKit.Cdn, "2026-10-05T00:00:00Z", "2026-10-15T00:00:00Z");

        await _kit.BillNowAsync(tenant);

        var invoice = Assert.Single(await _kit.InvoicesAsync(tenant));
        // 45.00 × 10/31 = 14.516… → 14.52.
        Assert.Equal(["Fixed fee ('Team') 1000", "Add-on fee ('CDN Standard') 1452"], Describe(invoice.Lines));
        Assert.Equal("AddOnSubscription", invoice.Lines[1].ContractType);
    }

    [Theory]
    [InlineData("10", "99.00", 9900, 990, 10890)]
    [InlineData("19", "33.33", 3333, 633, 3966)] // 6.3327 → 6.33
    [InlineData("7.5", "0.10", 10, 1, 11)] // 0.0075 → 0.01, half away from zero
    public async Task VAT_is_computed_once_on_the_subtotal_and_the_total_is_exact(string vat, string flat, long subtotal, long vatAmount, long total)
    {
        var tenant = await _kit.TenantAsync(vat: vat);
        await _kit.AssignAsync(tenant, await _kit.PlanAsync(flat), "2026-10-01T00:00:00Z");

        await _kit.BillNowAsync(tenant);

        var invoice = Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice;
        Assert.Equal((subtotal, vatAmount, total, vat), (invoice.SubtotalMinor, invoice.VatMinor, invoice.TotalMinor, invoice.VatRate));
    }

    [Fact]
    public async Task A_JPY_tenant_is_billed_in_whole_yen()
    {
        var tenant = await _kit.TenantAsync(currency: "JPY");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("9800", currency: "JPY"), "2026-10-22T00:00:00Z");

        await _kit.BillNowAsync(tenant);

        var invoice = Assert.Single(await _kit.InvoicesAsync(tenant));
        Assert.Equal(["Fixed fee ('Team') 3161"], Describe(invoice.Lines)); // 9800 × 10/31 = 3161.29
        Assert.Equal(("JPY", 3161L), (invoice.Invoice.Currency, invoice.Invoice.TotalMinor));
    }

    [Fact]
    public async Task A_tenant_in_Tokyo_has_its_usage_split_at_local_midnight_of_the_month_boundary()
    {
        var tenant = await _kit.TenantAsync(zone: "Asia/Tokyo");
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("0", pricesJson: PerUnit(metric)), "2026-09-01T00:00:00+09:00");
        await _kit.UsageAsync(tenant, metric,
            ("2026-09-30T14:50:00Z", 1000), // 30 Sep 23:50 JST → September
            ("2026-09-30T15:10:00Z", 100), // 1 Oct 00:10 JST → October
            ("2026-10-31T14:30:00Z", 1), // 31 Oct 23:30 JST → October
            ("2026-10-31T15:30:00Z", 10)); // 1 Nov 00:30 JST (still 31 Oct UTC) → November, not billed yet

        await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(["Calls 100000"], Describe(invoices[0].Lines));
        Assert.Equal(["Calls 10100"], Describe(invoices[1].Lines));
        Assert.Equal(At("2026-09-30T15:00:00Z"), invoices[1].Invoice.PeriodStart);
        Assert.Equal(At("2026-10-31T15:00:00Z"), invoices[1].Invoice.PeriodEnd);
    }

    [Fact]
    public async Task A_tenant_in_Los_Angeles_has_its_usage_split_at_local_midnight_not_UTC_midnight()
    {
        var tenant = await _kit.TenantAsync(zone: "America/Los_Angeles");
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("0", pricesJson: PerUnit(metric)), "2026-09-01T00:00:00-07:00");
        await _kit.UsageAsync(tenant, metric,
            ("2026-10-01T06:59:00Z", 1000), // 30 Sep 23:59 PDT → September
            ("2026-10-01T07:00:00Z", 10000), // 1 Oct 00:00 PDT → October
            ("2026-11-01T00:30:00Z", 10), // past UTC midnight, 31 Oct 17:30 PDT → October
            ("2026-11-01T06:30:00Z", 1), // 31 Oct 23:30 PDT → October
            ("2026-11-01T07:30:00Z", 100)); // 1 Nov 00:30 PDT → November, not billed yet

        await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(2, invoices.Count);
        Assert.Equal(["Calls 100000"], Describe(invoices[0].Lines));
        Assert.Equal(["Calls 1001100"], Describe(invoices[1].Lines));
        Assert.Equal(At("2026-11-01T07:00:00Z"), invoices[1].Invoice.PeriodEnd);
    }

    [Fact]
    public async Task A_prepaid_tenant_pays_the_current_month_in_advance_and_last_months_usage_with_it()
    {
        var tenant = await _kit.TenantAsync(mode: "prepaid");
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("30.00", pricesJson: PerUnit(metric)), "2026-10-01T00:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-10-10T00:00:00Z", 7));

        await _kit.BillAsync(tenant, "2026-10-01T08:00:00Z");
        await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(["2026-10", "2026-11"], invoices.Select(i => i.Invoice.Period));
        Assert.Equal(["Fixed fee ('Team') 3000"], Describe(invoices[0].Lines));
        Assert.Equal(["Fixed fee ('Team') 3000", "Calls 700"], Describe(invoices[1].Lines));
    }

    [Fact]
    public async Task Usage_that_arrives_after_its_period_was_invoiced_is_billed_on_the_next_invoice()
    {
        var tenant = await _kit.TenantAsync();
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("0", pricesJson: PerUnit(metric)), "2026-09-01T00:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-09-05T00:00:00Z", 4));
        await _kit.BillAsync(tenant, "2026-10-01T08:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-09-29T00:00:00Z", 3), ("2026-10-05T00:00:00Z", 2));

        await _kit.BillNowAsync(tenant);
        await _kit.BillNowAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(["Calls 400"], Describe(invoices[0].Lines));
        Assert.Equal(["Calls 200", "Calls (late usage, 2026-09) 300"], Describe(invoices[1].Lines));
        Assert.Equal("3", invoices[1].Lines[1].Quantity);
    }

    [Fact]
    public async Task Usage_before_the_tenants_first_plan_is_not_billed()
    {
        var tenant = await _kit.TenantAsync();
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("0", pricesJson: PerUnit(metric)), "2026-10-15T00:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-10-05T00:00:00Z", 10), ("2026-10-14T23:59:00Z", 20), ("2026-10-15T00:00:00Z", 3));

        await _kit.BillNowAsync(tenant);

        Assert.Equal(["Calls 300"], Describe(Assert.Single(await _kit.InvoicesAsync(tenant)).Lines));
    }

    [Fact]
    public async Task A_dry_run_reports_the_invoices_and_writes_nothing()
    {
        var tenant = await _kit.TenantAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("99.00"), "2026-10-01T00:00:00Z");

        var dry = await _kit.BillNowAsync(tenant, dryRun: true);

        Assert.Equal(("2026-10", 9900L, 0L), (Assert.Single(dry.Invoices).Period, dry.Invoices[0].TotalMinor, dry.Invoices[0].Id));
        Assert.Empty(await _kit.InvoicesAsync(tenant));
        var real = await _kit.BillNowAsync(tenant);
        Assert.Equal(dry.Invoices[0].FriendlyId, real.Invoices[0].FriendlyId);
    }

    [Fact]
    public async Task A_plan_cannot_be_back_dated_into_a_period_already_invoiced()
    {
        var tenant = await _kit.TenantAsync();
        var plan = await _kit.PlanAsync("99.00");
        await _kit.AssignAsync(tenant, plan, "2026-09-01T00:00:00Z");
        await _kit.BillNowAsync(tenant);

        using var op = fx.Operator();
        var response = await op.PutAsync($"/api/admin/tenants/{tenant}/plan", TallyFixture.Json(
            $$"""{"plan":"{{await _kit.PlanAsync("5.00")}}","effective_at":"2026-10-15T00:00:00Z"}"""));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("effective_at", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await _kit.InvoicesAsync(tenant)).Count);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-10-01")]
    [InlineData("1999-12-31T00:00:00Z")]
    public async Task A_malformed_effective_at_is_refused_naming_the_field(string effectiveAt)
    {
        var tenant = await _kit.TenantAsync();
        using var op = fx.Operator();
        var response = await op.PutAsync($"/api/admin/tenants/{tenant}/plan", TallyFixture.Json(
            $$"""{"plan":"{{await _kit.PlanAsync("5.00")}}","effective_at":"{{effectiveAt}}"}"""));

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("effective_at", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static string PerUnit(string metric) => $$"""[{"metric":"{{metric}}","model":"per_unit","unit_price":"1.00"}]""";
}

public sealed class BillingEngineInvoiceTestsOnSqlite(SqliteFixture fx) : BillingEngineInvoiceTests(fx), IClassFixture<SqliteFixture>;

public sealed class BillingEngineInvoiceTestsOnPostgres(PostgresFixture fx) : BillingEngineInvoiceTests(fx), IClassFixture<PostgresFixture>;
