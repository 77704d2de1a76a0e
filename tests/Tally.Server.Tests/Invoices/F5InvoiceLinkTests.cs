using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Invoices.F5InvoiceTestKit;
using static Tally.Server.Tests.Subscriptions.SubscriptionTestKit;

namespace Tally.Server.Tests.Invoices;

/// <summary>
/// Invoices seen from the other F5 routes: <c>subscriptions/custom_list</c> links each billing period's invoices, and
/// <c>monthly_usage</c> reports a closed month's issued invoices instead of rating it again. Moves the class's clock.
/// </summary>
public abstract class F5InvoiceLinkTests(TallyFixture fx)
{
    private static SeedLine Fee(long minor) => new(LineItemKind.PlanCost, "Fixed fee ('Team')", minor);

    private static List<string> Names(JsonNode? links) => [.. links!.AsArray().Select(l => (string)l!)];

    [Fact]
    public async Task Each_previous_billing_period_links_its_invoices_closed_and_pending_apart_and_no_other_tenants()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op);
        var (tenant, token) = await TenantAsync(fx);
        var (other, _) = await TenantAsync(fx);
        var start = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, plan);
        var first = BillingPeriod.Containing(start, TimeZoneInfo.Utc);
        var second = first.Next();
        var third = second.Next();
        fx.Clock.SetUtcNow(third.Start.AddDays(3));
        var now = fx.Clock.GetUtcNow();
        var paid = await SeedAsync(fx, tenant, first, second.Start.AddHours(1), To(InvoiceState.Paid), Fee(5000));
        var open = await SeedAsync(fx, tenant, second, now, [], Fee(5000));
        var cancelled = await SeedAsync(fx, tenant, second, third.Start.AddHours(1), To(InvoiceState.Cancelled), Fee(100));
        var pending = await SeedAsync(fx, tenant, second, third.Start.AddHours(2), To(InvoiceState.Pending), Fee(200));
        var current = await SeedAsync(fx, tenant, third, now, [], Fee(300));
        var others = await SeedAsync(fx, other, second, now, To(InvoiceState.Paid), Fee(400));
        using var client = fx.Client(token);

        var response = await client.GetAsync("/api/web/namespaces/system/subscriptions/custom_list");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await UsageSubscription.AssertValidAsync("subscriptionListSubscriptionsRsp", text);

        var periods = JsonNode.Parse(text)!["subscriptions"]![0]!["previous_billing_periods"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal(2, periods.Count);
        Assert.Equal(Wire(start), (string)periods[0]["start_date"]!);
        Assert.Equal([paid.FriendlyId], Names(periods[0]["invoices"]));
        Assert.Equal([paid.FriendlyId], Names(periods[0]["closed_invoice"]));
        Assert.Empty(Names(periods[0]["pending_invoice"]));
        Assert.Equal([open.FriendlyId, cancelled.FriendlyId, pending.FriendlyId], Names(periods[1]["invoices"]));
        Assert.Equal([cancelled.FriendlyId, pending.FriendlyId], Names(periods[1]["closed_invoice"]));
        Assert.Equal([open.FriendlyId], Names(periods[1]["pending_invoice"]));
        Assert.DoesNotContain(current.FriendlyId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(others.FriendlyId, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_month_with_issued_invoices_reports_their_subtotals_other_months_are_rated_as_before()
    {
        var (tenant, token) = await TenantAsync(fx, vatRate: "10");
        var now = fx.Clock.GetUtcNow();
        var thisMonth = BillingPeriod.Containing(now, TimeZoneInfo.Utc);
        var last = thisMonth.Previous();
        var before = last.Previous();
        var earlier = before.Previous();
        await SeedAsync(fx, tenant, last, now.AddDays(-1), To(InvoiceState.Paid), Fee(12345));
        await SeedAsync(fx, tenant, last, now.AddDays(-1), To(InvoiceState.Refunded), Fee(655));
        await SeedAsync(fx, tenant, before, now.AddDays(-2), To(InvoiceState.Cancelled), Fee(5000));
        await SeedAsync(fx, tenant, earlier, now.AddDays(-3), [], Fee(7000));
        await SeedAsync(fx, tenant, earlier, now.AddDays(-3), [InvoiceEvent.Finalize], Fee(8000));
        await SeedAsync(fx, tenant, thisMonth, now, To(InvoiceState.Pending), Fee(9999));
        using var client = fx.Client(token);

        var system = await MonthsAsync(client, "system");
        var other = await MonthsAsync(client, "default");

        // 123.45 + 6.55 before VAT (the totals with VAT would be 143.00); the tenant has no plan, so rating gives 0.
        Assert.Equal("13000", system[Wire(last.Start)]);
        Assert.Equal("0", system[Wire(before.Start)]);
        Assert.Equal("0", system[Wire(earlier.Start)]);
        Assert.Equal("0", system[Wire(thisMonth.Start)]);
        Assert.Equal("0", other[Wire(last.Start)]);
        Assert.Equal(13, system.Count);
    }

    /// <summary>monthly_usage of <paramref name="ns"/>: the amount of each month by its start timestamp.</summary>
    private static async Task<Dictionary<string, string>> MonthsAsync(HttpClient client, string ns)
    {
        var response = await client.PostAsJsonAsync($"/api/web/namespaces/{ns}/monthly_usage", new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await UsageSchema.AssertValidAsync("usageListMonthlyUsageResp", text);
        return JsonNode.Parse(text)!["monthly_usage_items"]!.AsArray()
            .ToDictionary(i => (string)i!["start_timestamp"]!, i => (string)i!["amount"]!);
    }
}

public sealed class F5InvoiceLinkTestsOnSqlite(SqliteFixture fx) : F5InvoiceLinkTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5InvoiceLinkTestsOnPostgres(PostgresFixture fx) : F5InvoiceLinkTests(fx), IClassFixture<PostgresFixture>;
