using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Domain;
using Tally.Domain.Tenants;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Subscriptions.SubscriptionTestKit;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>
/// Add-on fees in F5's <c>current_usage</c> and <c>monthly_usage</c> (prorated to the part of the billing period each
/// subscription covers) and <c>monthly_usage</c> rating each month with the plan of that month. Amounts computed by hand
/// from the instants the test chose; the fixture clock is moved to a known place in a month first.
/// </summary>
public abstract class AddOnFeeUsageTests(TallyFixture fx)
{
    private static readonly TimeZoneInfo Utc = TimeZones.Require("UTC");

    /// <summary>price × (to − from) ÷ (period length), rounded half away from zero: the invoice rule, by hand.</summary>
    private static long Prorated(long cents, BillingPeriod period, DateTimeOffset from, DateTimeOffset to) =>
        (long)Math.Round((decimal)cents * (to - from).Ticks / (period.End - period.Start).Ticks, MidpointRounding.AwayFromZero);

    /// <summary>Moves the clock to 2 days and 7 hours into the next month, and returns that month.</summary>
    private BillingPeriod MoveToEarlyNextMonth()
    {
        var next = BillingPeriod.Containing(fx.Clock.GetUtcNow(), Utc).Next();
        fx.Clock.SetUtcNow(next.Start.AddDays(2).AddHours(7));
        return next;
    }

    private async Task<(string Tenant, HttpClient Admin, HttpClient Viewer)> TenantOnAsync(string plan)
    {
        using var op = fx.Operator();
        var tenant = await fx.CreateTenantAsync("default");
        await AssignAsync(op, tenant, plan);
        var (_, admin) = await fx.CreateTokenAsync(tenant);
        var (_, viewer) = await fx.CreateTokenAsync(tenant, role: "viewer");
        return (tenant, fx.Client(admin), fx.Client(viewer));
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string url, object body, string component)
    {
        var response = await client.PostAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await UsageSchema.AssertValidAsync(component, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Current_usage_lists_each_add_on_subscription_as_a_fixed_line_prorated_to_its_part_of_the_period()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var plan = await NewPlanAsync(op, included: [AppStack], allowed: [Waap, Cdn], flat: "50.00");
        var period = MoveToEarlyNextMonth();
        var (_, admin, viewer) = await TenantOnAsync(plan);
        var waapFrom = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(admin, Waap), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(5));
        var cdnFrom = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(admin, Cdn), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromDays(1));
        var cdnTo = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await UnsubscribeAsync(admin, Cdn), "subscriptionUnsubscribeResponse");

        var body = await PostAsync(viewer, "/api/web/namespaces/system/current_usage", new { }, "usageListCurrentUsageResp");

        var items = body["usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        var fixedItems = items.Where(i => (bool)i["fixed"]!).ToList();
        Assert.Equal(["Team", "WAAP Standard", "CDN Standard"], fixedItems.Select(i => (string)i["usage_type"]!));
        var waapCents = Prorated(30000, period, waapFrom, period.End);
        var cdnCents = Prorated(4500, period, cdnFrom, cdnTo);
        Assert.Equal(waapCents.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)fixedItems[1]["amount"]);
        Assert.Equal(cdnCents.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)fixedItems[2]["amount"]);
        Assert.Equal(Wire(waapFrom), (string?)fixedItems[1]["start_timestamp"]);
        Assert.Equal(Wire(period.End), (string?)fixedItems[1]["end_timestamp"]);
        Assert.Equal(Wire(cdnFrom), (string?)fixedItems[2]["start_timestamp"]);
        Assert.Equal(Wire(cdnTo), (string?)fixedItems[2]["end_timestamp"]);
        Assert.Equal("1", (string?)fixedItems[2]["quantity_billable"]);
        Assert.Equal((double)Math.Round((decimal)(cdnTo - cdnFrom).Ticks / (period.End - period.Start).Ticks, 6), (double)fixedItems[2]["quantity"]!, 6);
        Assert.Equal((5000 + waapCents + cdnCents).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)body["total_cost"]);
        Assert.DoesNotContain(items, i => (string?)i["usage_type"] == "AppStack Standard");
        admin.Dispose();
        viewer.Dispose();
    }

    [Fact]
    public async Task Add_on_fees_belong_to_system_and_to_ranges_the_subscription_overlaps()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var plan = await NewPlanAsync(op, allowed: [Cdn]);
        var period = MoveToEarlyNextMonth();
        var (_, admin, viewer) = await TenantOnAsync(plan);
        var start = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(admin, Cdn), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(3));
        await AssertEmptyOkAsync(await UnsubscribeAsync(admin, Cdn), "subscriptionUnsubscribeResponse");

        var other = await PostAsync(viewer, "/api/web/namespaces/default/current_usage", new { }, "usageListCurrentUsageResp");
        var before = await PostAsync(viewer, "/api/web/namespaces/system/current_usage",
            new { from = Wire(period.Start), to = Wire(start.AddHours(-1)) }, "usageListCurrentUsageResp");
        var after = await PostAsync(viewer, "/api/web/namespaces/system/current_usage",
            new { from = Wire(start.AddHours(4)), to = Wire(period.End) }, "usageListCurrentUsageResp");
        var during = await PostAsync(viewer, "/api/web/namespaces/system/current_usage",
            new { from = Wire(start.AddHours(1)), to = Wire(start.AddHours(2)) }, "usageListCurrentUsageResp");

        Assert.Empty(other["usage_items"]!.AsArray());
        Assert.DoesNotContain(before["usage_items"]!.AsArray(), i => (string?)i!["usage_type"] == "CDN Standard");
        Assert.DoesNotContain(after["usage_items"]!.AsArray(), i => (string?)i!["usage_type"] == "CDN Standard");
        Assert.Contains(during["usage_items"]!.AsArray(), i => (string?)i!["usage_type"] == "CDN Standard");
        admin.Dispose();
        viewer.Dispose();
    }

    [Fact]
    public async Task Monthly_usage_rates_each_month_with_that_months_plan_and_prorates_add_on_fees()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var starter = await NewPlanAsync(op, allowed: [Waap], flat: "50.00");
        var team = await NewPlanAsync(op, allowed: [Cdn], flat: "70.00");
        var first = MoveToEarlyNextMonth();
        var (tenant, admin, viewer) = await TenantOnAsync(starter);
        var waapFrom = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(admin, Waap), "subscriptionSubscribeResponse");
        var second = MoveToEarlyNextMonth();
        var switchedAt = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, team);

        var body = await PostAsync(viewer, "/api/web/namespaces/system/monthly_usage", new { }, "usageListMonthlyUsageResp");
        var narrowed = await PostAsync(viewer, "/api/web/namespaces/default/monthly_usage", new { }, "usageListMonthlyUsageResp");

        var items = body["monthly_usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.Equal(Wire(first.Start), (string?)items[11]["start_timestamp"]);
        Assert.Equal(Wire(second.Start), (string?)items[12]["start_timestamp"]);
        var firstCents = 5000 + Prorated(30000, first, waapFrom, first.End);
        var secondCents = 7000 + Prorated(30000, second, second.Start, switchedAt);
        Assert.Equal(firstCents.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)items[11]["amount"]);
        Assert.Equal(secondCents.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)items[12]["amount"]);
        Assert.Equal("0", (string?)items[10]["amount"]);
        Assert.All(narrowed["monthly_usage_items"]!.AsArray(), i => Assert.Equal("0", (string?)i!["amount"]));
        admin.Dispose();
        viewer.Dispose();
    }
}

public sealed class AddOnFeeUsageTestsOnSqlite(SqliteFixture fx) : AddOnFeeUsageTests(fx), IClassFixture<SqliteFixture>;

public sealed class AddOnFeeUsageTestsOnPostgres(PostgresFixture fx) : AddOnFeeUsageTests(fx), IClassFixture<PostgresFixture>;
