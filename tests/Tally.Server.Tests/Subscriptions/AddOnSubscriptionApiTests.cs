using System.Net;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Subscriptions.SubscriptionTestKit;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>F5's add-on subscribe/unsubscribe, the rules of allowed and included add-ons, and what a plan switch does to add-ons.</summary>
public abstract class AddOnSubscriptionApiTests(TallyFixture fx)
{
    /// <summary>A tenant on a fresh plan that includes AppStack and allows WAAP and CDN, with an admin token.</summary>
    private async Task<(string Tenant, string Plan, HttpClient Client)> SetUpAsync(params string[] namespaces)
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var plan = await NewPlanAsync(op, included: [AppStack], allowed: [Waap, Cdn]);
        var tenant = await fx.CreateTenantAsync(namespaces);
        await AssignAsync(op, tenant, plan);
        var (_, token) = await fx.CreateTokenAsync(tenant);
        return (tenant, plan, fx.Client(token));
    }

    [Fact]
    public async Task Subscribing_to_an_allowed_add_on_records_its_start_and_repeating_it_changes_nothing()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();
        var at = fx.Clock.GetUtcNow();

        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");

        var row = Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Waap));
        Assert.Equal(at, Instant(row["starts_at"]));
        Assert.Null(row["ends_at"]);
        client.Dispose();
    }

    [Fact]
    public async Task Unsubscribing_records_the_end_and_repeating_it_changes_nothing()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();
        var start = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(client, Cdn), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(30));
        var end = fx.Clock.GetUtcNow();

        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Cdn), "subscriptionUnsubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(1));
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Cdn), "subscriptionUnsubscribeResponse");

        var row = Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Cdn));
        Assert.Equal(start, Instant(row["starts_at"]));
        Assert.Equal(end, Instant(row["ends_at"]));
        client.Dispose();
    }

    [Fact]
    public async Task Subscribing_again_after_unsubscribing_starts_a_second_subscription_and_unsubscribing_without_one_is_a_no_op()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Waap), "subscriptionUnsubscribeResponse");
        Assert.Empty(AddOnRows(await OperatorViewAsync(op, tenant), Waap));

        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(2));
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Waap), "subscriptionUnsubscribeResponse");
        fx.Clock.Advance(TimeSpan.FromHours(2));
        var again = fx.Clock.GetUtcNow();
        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");

        var rows = AddOnRows(await OperatorViewAsync(op, tenant), Waap);
        Assert.Equal(2, rows.Count);
        Assert.NotNull(rows[0]["ends_at"]);
        Assert.Equal(again, Instant(rows[1]["starts_at"]));
        Assert.Null(rows[1]["ends_at"]);
        Assert.NotEqual((string?)rows[0]["id"], (string?)rows[1]["id"]);
        client.Dispose();
    }

    [Fact]
    public async Task Subscribing_and_unsubscribing_at_the_same_instant_leaves_no_row()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();

        await AssertEmptyOkAsync(await SubscribeAsync(client, Waap), "subscriptionSubscribeResponse");
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, Waap), "subscriptionUnsubscribeResponse");

        Assert.Empty(AddOnRows(await OperatorViewAsync(op, tenant), Waap));
        client.Dispose();
    }

    [Fact]
    public async Task Concurrent_subscribe_calls_all_succeed_and_leave_one_subscription()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => SubscribeAsync(client, Waap)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(AddOnRows(await OperatorViewAsync(op, tenant), Waap));
        client.Dispose();
    }

    [Fact]
    public async Task An_add_on_the_plan_does_not_allow_cannot_be_subscribed_and_nothing_is_written()
    {
        var (tenant, plan, client) = await SetUpAsync();
        using var op = fx.Operator();

        await AssertConflictAsync(await SubscribeAsync(client, SecureMesh), SecureMesh);
        await AssertConflictAsync(await SubscribeAsync(client, SecureMesh), plan);
        await AssertEmptyOkAsync(await UnsubscribeAsync(client, SecureMesh), "subscriptionUnsubscribeResponse");

        Assert.Empty((await OperatorViewAsync(op, tenant))["addons"]!.AsArray());
        client.Dispose();
    }

    [Fact]
    public async Task An_included_add_on_is_already_there_so_subscribing_succeeds_without_a_row_and_unsubscribing_is_refused()
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();

        await AssertEmptyOkAsync(await SubscribeAsync(client, AppStack), "subscriptionSubscribeResponse");
        await AssertConflictAsync(await UnsubscribeAsync(client, AppStack), "included");

        Assert.Empty((await OperatorViewAsync(op, tenant))["addons"]!.AsArray());
        client.Dispose();
    }

    [Fact]
    public async Task A_tenant_on_no_plan_gets_409()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var tenant = await fx.CreateTenantAsync();
        var (_, token) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(token);

        await AssertConflictAsync(await SubscribeAsync(client, Waap), "no plan");
        await AssertConflictAsync(await UnsubscribeAsync(client, Waap), "no plan");
    }

    [Fact]
    public async Task An_add_on_missing_from_the_catalog_is_a_400_naming_its_key()
    {
        var (_, _, client) = await SetUpAsync();

        await CatalogTestKitAssert.BadRequestAsync(await SubscribeAsync(client, NotInCatalog), NotInCatalog);
        await CatalogTestKitAssert.BadRequestAsync(await UnsubscribeAsync(client, NotInCatalog), NotInCatalog);
        client.Dispose();
    }

    [Theory]
    [InlineData("subscribe", "{}", "addon_choice")]
    [InlineData("subscribe", """{"f5xc_waap_standard":{},"f5xc_content_delivery_network_standard":{}}""", "addon_choice")]
    [InlineData("subscribe", """{"f5xc_waap_standard":{},"f5xc_waap_standard":{}}""", "addon_choice")]
    [InlineData("subscribe", """{"f5xc_waap_premium":{}}""", "f5xc_waap_premium")]
    [InlineData("subscribe", """{"f5xc_waap_standard":true}""", "f5xc_waap_standard")]
    [InlineData("subscribe", """{"f5xc_waap_standard":null}""", "f5xc_waap_standard")]
    [InlineData("subscribe", """{"f5xc_waap_standard":"{}"}""", "f5xc_waap_standard")]
    [InlineData("subscribe", """{"f5xc_waap_standard":{"enabled":true}}""", "f5xc_waap_standard")]
    [InlineData("unsubscribe", """{"f5xc_waap_standard":[]}""", "f5xc_waap_standard")]
    [InlineData("unsubscribe", "[]", "body")]
    [InlineData("unsubscribe", "null", "body")]
    [InlineData("unsubscribe", "", "body")]
    [InlineData("unsubscribe", "{", "body")]
    [InlineData("unsubscribe", "\"f5xc_waap_standard\"", "body")]
    public async Task A_body_that_does_not_set_exactly_one_known_add_on_key_to_an_empty_object_is_a_400_naming_the_problem(string action, string body, string field)
    {
        var (tenant, _, client) = await SetUpAsync();
        using var op = fx.Operator();

        await CatalogTestKitAssert.BadRequestAsync(await client.PostAsync($"/api/web/namespaces/system/addon/{action}", TallyFixture.Json(body)), field);

        Assert.Empty((await OperatorViewAsync(op, tenant))["addons"]!.AsArray());
        client.Dispose();
    }

    [Theory]
    [InlineData("subscribe")]
    [InlineData("unsubscribe")]
    public async Task Viewers_tokens_without_billing_and_the_operator_get_403_and_a_token_without_system_404(string action)
    {
        var (tenant, _, client) = await SetUpAsync("default");
        client.Dispose();
        var (_, viewer) = await fx.CreateTokenAsync(tenant, role: "viewer");
        var (_, noBilling) = await fx.CreateTokenAsync(tenant, role: "member", permissions: ["usage", "quota"]);
        var (_, otherNamespace) = await fx.CreateTokenAsync(tenant, namespaces: ["default"]);
        var url = $"/api/web/namespaces/system/addon/{action}";
        using var op = fx.Operator();

        foreach (var (token, status) in new[] { (viewer, HttpStatusCode.Forbidden), (noBilling, HttpStatusCode.Forbidden), (otherNamespace, HttpStatusCode.NotFound) })
        {
            using var c = fx.Client(token);
            Assert.Equal(status, (await c.PostAsync(url, Choice(Waap))).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsync(url, Choice(Waap))).StatusCode);
        Assert.Empty((await OperatorViewAsync(op, tenant))["addons"]!.AsArray());
    }

    [Fact]
    public async Task A_member_with_billing_may_subscribe_and_another_tenants_token_only_ever_changes_its_own_tenant()
    {
        var (a, _, adminA) = await SetUpAsync();
        adminA.Dispose();
        var (b, _, adminB) = await SetUpAsync();
        var (_, memberA) = await fx.CreateTokenAsync(a, role: "member", permissions: ["billing"]);
        using var clientA = fx.Client(memberA);
        using var op = fx.Operator();

        await AssertEmptyOkAsync(await SubscribeAsync(clientA, Cdn), "subscriptionSubscribeResponse");
        await AssertEmptyOkAsync(await UnsubscribeAsync(adminB, Cdn), "subscriptionUnsubscribeResponse");
        await AssertEmptyOkAsync(await SubscribeAsync(adminB, Waap), "subscriptionSubscribeResponse");

        var viewA = await OperatorViewAsync(op, a);
        var viewB = await OperatorViewAsync(op, b);
        Assert.Null(Assert.Single(AddOnRows(viewA, Cdn))["ends_at"]);
        Assert.Empty(AddOnRows(viewA, Waap));
        Assert.Empty(AddOnRows(viewB, Cdn));
        Assert.Single(AddOnRows(viewB, Waap));
        adminB.Dispose();
    }

    [Fact]
    public async Task A_plan_switch_ends_the_add_ons_the_new_plan_does_not_allow_or_now_includes_and_keeps_the_others()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var first = await NewPlanAsync(op, allowed: [Waap, Cdn, SecureMesh]);
        var second = await NewPlanAsync(op, included: [Waap], allowed: [Cdn]);
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, first);
        var (_, token) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(token);
        foreach (var addOn in new[] { Waap, Cdn, SecureMesh })
        {
            await AssertEmptyOkAsync(await SubscribeAsync(client, addOn), "subscriptionSubscribeResponse");
        }

        fx.Clock.Advance(TimeSpan.FromDays(3));
        var switchedAt = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, second);

        var view = await OperatorViewAsync(op, tenant);
        Assert.Equal(switchedAt, Instant(Assert.Single(AddOnRows(view, Waap))["ends_at"]));
        Assert.Equal(switchedAt, Instant(Assert.Single(AddOnRows(view, SecureMesh))["ends_at"]));
        Assert.Null(Assert.Single(AddOnRows(view, Cdn))["ends_at"]);
        await AssertConflictAsync(await SubscribeAsync(client, SecureMesh), SecureMesh);
        await AssertConflictAsync(await UnsubscribeAsync(client, Waap), "included");
    }

    [Fact]
    public async Task The_operator_view_lists_plans_with_trial_ends_and_add_ons_and_hides_other_tenants()
    {
        using var op = fx.Operator();
        await EnsureAddOnsAsync(op);
        var plan = await NewPlanAsync(op, allowed: [Waap], trialDays: 14);
        var tenant = await fx.CreateTenantAsync();
        var start = fx.Clock.GetUtcNow();
        await AssignAsync(op, tenant, plan);
        var (_, token) = await fx.CreateTokenAsync(tenant, role: "viewer");
        var (_, noBilling) = await fx.CreateTokenAsync(tenant, permissions: ["usage"]);
        var other = await fx.CreateTenantAsync();
        var (_, otherToken) = await fx.CreateTokenAsync(other);

        using var own = fx.Client(token);
        var view = await OperatorViewAsync(own, tenant);
        var row = Assert.Single(view["plans"]!.AsArray())!;
        Assert.Equal(plan, (string?)row["plan"]);
        Assert.StartsWith("sub-", (string?)row["id"], StringComparison.Ordinal);
        Assert.Equal(start, Instant(row["starts_at"]));
        Assert.Equal(start.AddDays(14), Instant(row["trial_ends_at"]));
        Assert.Null(row["ends_at"]);
        Assert.Empty(view["addons"]!.AsArray());

        using var foreign = fx.Client(otherToken);
        var hidden = await foreign.GetAsync($"/api/admin/tenants/{tenant}/subscriptions");
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.DoesNotContain(plan, await hidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var restricted = fx.Client(noBilling);
        Assert.Equal(HttpStatusCode.Forbidden, (await restricted.GetAsync($"/api/admin/tenants/{tenant}/subscriptions")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/tenants/{TallyFixture.NewTenantName()}/subscriptions")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_gets_a_plans_trial_only_the_first_time_it_is_on_that_plan()
    {
        using var op = fx.Operator();
        var trialPlan = await NewPlanAsync(op, trialDays: 30);
        var otherPlan = await NewPlanAsync(op, trialDays: 7);
        var tenant = await fx.CreateTenantAsync();

        await AssignAsync(op, tenant, trialPlan);
        fx.Clock.Advance(TimeSpan.FromDays(1));
        await AssignAsync(op, tenant, otherPlan);
        fx.Clock.Advance(TimeSpan.FromDays(1));
        await AssignAsync(op, tenant, trialPlan);

        var plans = (await OperatorViewAsync(op, tenant))["plans"]!.AsArray().Select(p => p!.AsObject()).ToList();
        Assert.Equal([trialPlan, otherPlan, trialPlan], plans.Select(p => (string)p["plan"]!));
        Assert.NotNull(plans[0]["trial_ends_at"]);
        Assert.NotNull(plans[1]["trial_ends_at"]);
        Assert.Null(plans[2]["trial_ends_at"]);
        Assert.Equal(Instant(plans[1]["starts_at"]), Instant(plans[0]["ends_at"]));
    }
}

/// <summary>The 400 check of the catalog tests, shared.</summary>
internal static class CatalogTestKitAssert
{
    public static Task BadRequestAsync(HttpResponseMessage response, string field) => Catalog.CatalogTestKit.AssertBadRequestAsync(response, field);
}

public sealed class AddOnSubscriptionApiTestsOnSqlite(SqliteFixture fx) : AddOnSubscriptionApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class AddOnSubscriptionApiTestsOnPostgres(PostgresFixture fx) : AddOnSubscriptionApiTests(fx), IClassFixture<PostgresFixture>;
