using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Domain.Tenants;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using static Tally.Server.Tests.Subscriptions.SubscriptionTestKit;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>
/// F5's <c>subscriptions/custom_list</c>: every field of <c>subscriptionSubscriptionType</c>, billing periods as the
/// fixture clock crosses months, trial marking, the <c>current</c> filter, scheduled subscriptions and access rules.
/// </summary>
public abstract class SubscriptionListTests(TallyFixture fx)
{
    private const string ListUrl = "/api/web/namespaces/system/subscriptions/custom_list";

    private async Task<(string Tenant, HttpClient Client)> TenantAsync(string timeZone = "UTC", params string[] namespaces)
    {
        var tenant = TallyFixture.NewTenantName();
        using var op = fx.Operator();
        (await op.PostAsJsonAsync("/api/admin/tenants", new { name = tenant, time_zone = timeZone })).EnsureSuccessStatusCode();
        foreach (var ns in namespaces)
        {
            (await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = ns })).EnsureSuccessStatusCode();
        }

        var (_, token) = await fx.CreateTokenAsync(tenant, role: "viewer");
        return (tenant, fx.Client(token));
    }

    private static async Task<List<JsonObject>> ListAsync(HttpClient client, string query = "", string url = ListUrl)
    {
        var response = await client.GetAsync(url + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await UsageSubscription.AssertValidAsync("subscriptionListSubscriptionsRsp", text);
        return [.. JsonNode.Parse(text)!["subscriptions"]!.AsArray().Select(s => s!.AsObject())];
    }

    /// <summary>The expected parts: consecutive instants cut at month ends and the trial end, each (start, end, trial).</summary>
    private static List<(DateTimeOffset Start, DateTimeOffset End, bool Trial)> Parts(DateTimeOffset start, DateTimeOffset trialEnd, IEnumerable<DateTimeOffset> monthEnds)
    {
        var cuts = monthEnds.Append(trialEnd).Append(start).Distinct().Order().ToList();
        return [.. cuts.Zip(cuts.Skip(1)).Select(c => (c.First, c.Second, c.Second <= trialEnd))];
    }

    [Fact]
    public async Task A_new_subscription_shows_every_field_and_its_first_billing_period_ends_at_the_trial_end()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, trialDays: 14, title: "Team");
        var (tenant, client) = await TenantAsync("Asia/Tokyo");
        var start = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, plan);
        var month = BillingPeriod.Containing(start, TimeZones.Require("Asia/Tokyo"));
        var firstEnd = start.AddDays(14) < month.End ? start.AddDays(14) : month.End;

        var subscription = Assert.Single(await ListAsync(client));

        Assert.StartsWith("sub-", (string?)subscription["name"], StringComparison.Ordinal);
        Assert.Equal("Team", (string?)subscription["plan_name"]);
        Assert.Equal(plan, (string?)subscription["plan_object_name"]);
        Assert.True((bool)subscription["current"]!);
        Assert.False((bool)subscription["cancelled"]!);
        Assert.Null(subscription["cancellation_date"]);
        Assert.Equal(Wire(start), (string?)subscription["start_date"]);
        Assert.Equal(Wire(start), (string?)subscription["last_billing_period_start_date"]);
        Assert.Equal(Wire(firstEnd), (string?)subscription["last_billing_period_end_date"]);
        Assert.Empty(subscription["previous_billing_periods"]!.AsArray());
        client.Dispose();
    }

    [Fact]
    public async Task After_months_pass_previous_billing_periods_are_listed_oldest_first_with_trial_marking()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, trialDays: 14);
        var zone = TimeZones.Require("America/Los_Angeles");
        var (tenant, client) = await TenantAsync(zone.Id);
        var start = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, plan);
        var first = BillingPeriod.Containing(start, zone);
        var third = first.Next().Next();
        fx.Clock.SetUtcNow(third.Start.AddDays(3));
        var expected = Parts(start, start.AddDays(14), [first.End, first.Next().End, third.End]);

        var subscription = Assert.Single(await ListAsync(client));
        var again = Assert.Single(await ListAsync(client));

        var previous = subscription["previous_billing_periods"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal(expected.Count - 1, previous.Count);
        for (var i = 0; i < previous.Count; i++)
        {
            Assert.Equal(Wire(expected[i].Start), (string?)previous[i]["start_date"]);
            Assert.Equal(Wire(expected[i].End), (string?)previous[i]["end_date"]);
            Assert.Equal(Wire(expected[i].Start), (string?)previous[i]["internal_start_date"]);
            Assert.Equal(Wire(expected[i].End), (string?)previous[i]["internal_end_date"]);
            Assert.Equal(expected[i].Trial, (bool)previous[i]["trial"]!);
            Assert.True(Guid.TryParse((string?)previous[i]["uid"], out _));
            Assert.Empty(previous[i]["invoices"]!.AsArray());
            Assert.Empty(previous[i]["closed_invoice"]!.AsArray());
            Assert.Empty(previous[i]["pending_invoice"]!.AsArray());
        }

        Assert.Equal(2, previous.Count(p => (bool)p["trial"]!));
        Assert.Equal(previous.Count, previous.Select(p => (string?)p["uid"]).Distinct().Count());
        Assert.Equal(
            previous.Select(p => (string?)p["uid"]),
            again["previous_billing_periods"]!.AsArray().Select(p => (string?)p!["uid"]));
        Assert.Equal(Wire(third.Start), (string?)subscription["last_billing_period_start_date"]);
        Assert.Equal(Wire(third.End), (string?)subscription["last_billing_period_end_date"]);
        Assert.True((bool)subscription["current"]!);
        client.Dispose();
    }

    [Fact]
    public async Task A_plan_change_shows_the_old_subscription_cancelled_and_current_true_keeps_only_the_new_one()
    {
        using var op = fx.Operator();
        var oldPlan = await NewPlanAsync(op, title: "Starter");
        var newPlan = await NewPlanAsync(op, title: "Team");
        var (tenant, client) = await TenantAsync();
        var start = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, oldPlan);
        fx.Clock.Advance(TimeSpan.FromHours(50));
        var switchedAt = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, newPlan);

        var all = await ListAsync(client);
        var notFiltered = await ListAsync(client, "?current=false");
        var current = await ListAsync(client, "?current=true");

        Assert.Equal([oldPlan, newPlan], all.Select(s => (string)s["plan_object_name"]!));
        Assert.Equal(2, notFiltered.Count);
        var ended = all[0];
        Assert.False((bool)ended["current"]!);
        Assert.True((bool)ended["cancelled"]!);
        Assert.Equal(Wire(switchedAt), (string?)ended["cancellation_date"]);
        Assert.Equal(Wire(start), (string?)ended["start_date"]);
        Assert.Equal(Wire(switchedAt), (string?)ended["last_billing_period_end_date"]);
        var now = Assert.Single(current);
        Assert.Equal(newPlan, (string?)now["plan_object_name"]);
        Assert.Equal("Team", (string?)now["plan_name"]);
        Assert.True((bool)now["current"]!);
        Assert.Equal(Wire(switchedAt), (string?)now["start_date"]);
        client.Dispose();
    }

    [Fact]
    public async Task The_plan_name_follows_accept_language()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, title: "Team");
        var (tenant, client) = await TenantAsync();
        await AssignAsync(op, tenant, plan);
        client.DefaultRequestHeaders.Add("Accept-Language", "ja-JP");

        var response = await client.GetAsync(ListUrl);

        Assert.Equal("Team (ja)", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["subscriptions"]![0]!["plan_name"]);
        Assert.Contains("Accept-Language", response.Headers.Vary);
        client.Dispose();
    }

    [Fact]
    public async Task A_scheduled_subscription_is_listed_as_not_current_without_billing_periods_and_current_true_hides_it()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, title: "Starter");
        var later = await NewPlanAsync(op, title: "Team", trialDays: 7);
        var (tenant, client) = await TenantAsync();
        await AssignAsync(op, tenant, plan);
        var from = fx.Clock.GetUtcNow().AddDays(10);
        await ScheduleAsync(tenant, later, from);

        var all = await ListAsync(client);
        var current = await ListAsync(client, "?current=true");

        Assert.Equal(2, all.Count);
        var scheduled = all[1];
        Assert.Equal(later, (string?)scheduled["plan_object_name"]);
        Assert.False((bool)scheduled["current"]!);
        Assert.False((bool)scheduled["cancelled"]!);
        Assert.Equal(Wire(from), (string?)scheduled["start_date"]);
        Assert.Null(scheduled["last_billing_period_start_date"]);
        Assert.Empty(scheduled["previous_billing_periods"]!.AsArray());
        Assert.True((bool)all[0]["cancelled"]!);
        Assert.True((bool)all[0]["current"]!);
        Assert.Equal(plan, (string?)Assert.Single(current)["plan_object_name"]);
        client.Dispose();
    }

    [Fact]
    public async Task Another_namespace_holds_no_subscriptions_and_an_unknown_or_hidden_one_is_404()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op);
        var (tenant, client) = await TenantAsync("UTC", "default");
        await AssignAsync(op, tenant, plan);
        var (_, defaultOnly) = await fx.CreateTokenAsync(tenant, namespaces: ["default"]);
        using var restricted = fx.Client(defaultOnly);

        Assert.Empty(await ListAsync(client, url: "/api/web/namespaces/default/subscriptions/custom_list"));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/web/namespaces/nowhere/subscriptions/custom_list")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await restricted.GetAsync(ListUrl)).StatusCode);
        client.Dispose();
    }

    [Fact]
    public async Task The_operator_and_tokens_without_billing_get_403_and_another_tenant_sees_only_its_own()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op);
        var (tenant, client) = await TenantAsync();
        await AssignAsync(op, tenant, plan);
        var (other, otherClient) = await TenantAsync();
        var (_, noBilling) = await fx.CreateTokenAsync(tenant, permissions: ["usage"]);
        using var restricted = fx.Client(noBilling);

        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync(ListUrl)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await restricted.GetAsync(ListUrl)).StatusCode);
        Assert.Empty(await ListAsync(otherClient));
        Assert.Single(await ListAsync(client));
        Assert.NotEqual(tenant, other);
        client.Dispose();
        otherClient.Dispose();
    }

    [Theory]
    [InlineData("?current=yes")]
    [InlineData("?current=2")]
    public async Task A_current_that_is_not_a_boolean_is_a_400(string query)
    {
        var (_, client) = await TenantAsync();

        await Catalog.CatalogTestKit.AssertBadRequestAsync(await client.GetAsync(ListUrl + query), "current");
        client.Dispose();
    }

    /// <summary>Schedules a plan change the way plan transitions do: SwitchAsync in a transaction holding the tenant's lock.</summary>
    private async Task ScheduleAsync(string tenant, string plan, DateTimeOffset from)
    {
        var database = fx.Services.GetRequiredService<TallyDatabase>();
        var catalog = fx.Services.GetRequiredService<CatalogService>();
        await using var db = database.CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync();
        Assert.True(await db.LockTenantAsync(tenant, CancellationToken.None));
        await PlanSubscriptions.SwitchAsync(db, tenant, (await catalog.GetPlanAsync(plan, CancellationToken.None))!, from, fx.Clock.GetUtcNow(), CancellationToken.None);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }
}

public sealed class SubscriptionListTestsOnSqlite(SqliteFixture fx) : SubscriptionListTests(fx), IClassFixture<SqliteFixture>;

public sealed class SubscriptionListTestsOnPostgres(PostgresFixture fx) : SubscriptionListTests(fx), IClassFixture<PostgresFixture>;
