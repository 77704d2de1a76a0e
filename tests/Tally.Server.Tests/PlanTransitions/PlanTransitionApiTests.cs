using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;
using static Tally.Server.Tests.PlanTransitions.PlanTransitionTestKit;

namespace Tally.Server.Tests.PlanTransitions;

public abstract class PlanTransitionApiTests(TallyFixture fx)
{
    private const string PaymentToken = "TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN";
    private const string DomainField = "TRANSITION_REQUIRED_FIELD_DOMAIN";
    private const string Contacts = "TRANSITION_REQUIRED_FIELD_CONTACTS";

    private static readonly object Address = new { address1 = "1 Main St", city = "Springfield", zip_code = "12345", country = "US", contact_type = "BILLING" };

    [Fact]
    public async Task An_upgrade_without_approval_finishes_at_once_switches_the_plan_and_stores_the_card_as_primary()
    {
        using var op = fx.Operator();
        var free = await NewPlanAsync(op, flat: "0.00");
        var team = await NewPlanAsync(op, required: [PaymentToken, DomainField, Contacts]);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;

        var started = await InitiateOkAsync(admin, team, new { payment_provider_token = "tok_visa", domain = "shop.example.com", billing_address = Address });
        var id = (string)started["id"]!;

        Assert.False((bool)started["requires_manual_approval"]!);
        Assert.True(Guid.TryParseExact(id, "D", out _));
        Assert.Equal("STATE_FINISHED", await StateAsync(fx, id));
        Assert.Equal(team, await CurrentPlanAsync(fx, tenant));
        var methods = await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/payment_methods");
        var card = Assert.Single(methods["items"]!.AsArray())!;
        Assert.Equal("PAYMENT_METHOD_ROLE_PRIMARY", (string?)card["role"]);
        Assert.Equal("4242", (string?)card["last4"]);
        var view = await OperatorViewAsync(fx, tenant, id);
        Assert.Equal(free, (string?)view["from_plan"]);
        Assert.Equal((string?)card["name"], (string?)view["payment_method"]);
        Assert.Null(view["payload"]!["payment_provider_token"]);
        Assert.Equal("shop.example.com", (string?)view["payload"]!["domain"]);
    }

    [Fact]
    public async Task A_first_plan_can_be_chosen_by_a_tenant_on_no_plan()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op);
        var (tenant, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;

        var id = (string)(await InitiateOkAsync(admin, team))["id"]!;

        Assert.Equal("STATE_FINISHED", await StateAsync(fx, id));
        Assert.Equal(team, await CurrentPlanAsync(fx, tenant));
        Assert.Null((await OperatorViewAsync(fx, tenant, id))["from_plan"]);
    }

    [Fact]
    public async Task A_transition_needing_approval_waits_and_runs_when_the_operator_approves_it()
    {
        using var op = fx.Operator();
        var free = await NewPlanAsync(op, flat: "0.00");
        var org = await NewPlanAsync(op, flat: "499.00", manual: true, required: [PaymentToken]);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;

        var started = await InitiateOkAsync(admin, org, new { payment_provider_token = "tok_mastercard" });
        var id = (string)started["id"]!;
        Assert.True((bool)started["requires_manual_approval"]!);
        Assert.Equal("STATE_WAITING_FOR_APPROVAL", await StateAsync(fx, id));
        Assert.Equal(free, await CurrentPlanAsync(fx, tenant));
        var waiting = await GetJsonAsync(op, "/api/admin/plan_transitions?state=STATE_WAITING_FOR_APPROVAL&limit=1000");
        Assert.Contains(waiting["items"]!.AsArray(), i => (string?)i!["id"] == id);
        Assert.All(waiting["items"]!.AsArray(), i => Assert.Equal("STATE_WAITING_FOR_APPROVAL", (string?)i!["state"]));

        var approved = await op.PostAsync($"/api/admin/plan_transitions/{id}/approve", null);
        var body = await TallyFixture.ReadObjectAsync(approved);

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("STATE_FINISHED", (string?)body["state"]);
        Assert.NotNull((string?)body["decided_by"]);
        Assert.Equal("STATE_FINISHED", await StateAsync(fx, id));
        Assert.Equal(org, await CurrentPlanAsync(fx, tenant));
        Assert.Equal(HttpStatusCode.Conflict, (await op.PostAsync($"/api/admin/plan_transitions/{id}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await op.PostAsync($"/api/admin/plan_transitions/{id}/reject", null)).StatusCode);
    }

    [Fact]
    public async Task A_support_transition_waits_for_approval_even_when_the_flow_does_not_say_so()
    {
        using var op = fx.Operator();
        var support = await NewPlanAsync(op, method: "TRANSITION_METHOD_SUPPORT");
        var (_, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;

        var started = await InitiateOkAsync(admin, support, new { create_support_ticket = true, support_ticket_info = "please" });

        Assert.True((bool)started["requires_manual_approval"]!);
        Assert.Equal("STATE_WAITING_FOR_APPROVAL", await StateAsync(fx, (string)started["id"]!));
    }

    [Fact]
    public async Task A_rejected_transition_fails_with_the_reason_and_leaves_the_plan_alone()
    {
        using var op = fx.Operator();
        var free = await NewPlanAsync(op, flat: "0.00");
        var org = await NewPlanAsync(op, flat: "499.00", manual: true);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;
        var id = (string)(await InitiateOkAsync(admin, org))["id"]!;

        var rejected = await op.PostAsJsonAsync($"/api/admin/plan_transitions/{id}/reject", new { reason = "no credit check" });

        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);
        Assert.Equal("STATE_FAILED", await StateAsync(fx, id));
        Assert.Contains("no credit check", (string?)(await OperatorViewAsync(fx, tenant, id))["reason"]);
        Assert.Equal(free, await CurrentPlanAsync(fx, tenant));
        Assert.Equal(HttpStatusCode.Conflict, (await op.PostAsync($"/api/admin/plan_transitions/{id}/approve", null)).StatusCode);
    }

    [Fact]
    public async Task A_declined_payment_token_fails_the_transition_with_the_reason_and_stores_no_card()
    {
        using var op = fx.Operator();
        var free = await NewPlanAsync(op, flat: "0.00");
        var team = await NewPlanAsync(op, required: [PaymentToken]);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;

        foreach (var (token, reason) in new[] { ("tok_chargeDeclined", "card_declined"), ("tok_chargeDeclinedInsufficientFunds", "insufficient_funds"), ("tok_chargeDeclinedExpiredCard", "expired_card") })
        {
            var id = (string)(await InitiateOkAsync(admin, team, new { payment_provider_token = token }))["id"]!;

            Assert.Equal("STATE_FAILED", await StateAsync(fx, id));
            Assert.Contains(reason, (string?)(await OperatorViewAsync(fx, tenant, id))["reason"]);
        }

        Assert.Equal(free, await CurrentPlanAsync(fx, tenant));
        Assert.Empty((await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/payment_methods"))["items"]!.AsArray());
    }

    [Fact]
    public async Task A_downgrade_finishes_now_but_takes_effect_at_the_end_of_the_billing_period()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op, flat: "99.00");
        var free = await NewPlanAsync(op, flat: "0.00");
        var (tenant, admin) = await NewTenantAsync(fx, team);
        using var disposeAdmin = admin;

        var id = (string)(await InitiateOkAsync(admin, free))["id"]!;

        Assert.Equal("STATE_FINISHED", await StateAsync(fx, id));
        Assert.Equal(team, await CurrentPlanAsync(fx, tenant));
        var now = fx.Clock.GetUtcNow();
        var nextMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        fx.Clock.Advance(nextMonth - now);
        Assert.Equal(free, await CurrentPlanAsync(fx, tenant));
    }

    [Fact]
    public async Task The_payload_add_on_lists_apply_with_the_plan()
    {
        using var op = fx.Operator();
        var extra = await NewAddOnAsync(op);
        const string old = "f5xc_waap_standard"; // the F5 add-on routes take only F5's keys
        var put = await op.PutAsync($"/api/admin/addons/{old}", TallyFixture.Json("""{"display_name":"WAAP Standard","currency":"USD","monthly_price":"20.00"}"""));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var free = await NewPlanAsync(op, flat: "0.00", allowed: [old]);
        var team = await NewPlanAsync(op, allowed: [extra, old]);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/web/namespaces/system/addon/subscribe", TallyFixture.Json("{\"" + old + "\":{}}"))).StatusCode);
        fx.Clock.Advance(TimeSpan.FromHours(1)); // a subscription ended at the instant it started would leave no row

        var id = (string)(await InitiateOkAsync(admin, team, new { subscribe_addon_services = new[] { extra }, unsubscribe_addon_services = new[] { old } }))["id"]!;

        Assert.Equal("STATE_FINISHED", await StateAsync(fx, id));
        var subscriptions = await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/subscriptions");
        var addOns = subscriptions["addons"]!.AsArray();
        Assert.Contains(addOns, a => (string?)a!["addon"] == extra && a["ends_at"] is null);
        Assert.Contains(addOns, a => (string?)a!["addon"] == old && a["ends_at"] is not null);
    }

    [Fact]
    public async Task A_second_request_while_one_waits_for_approval_is_a_409_and_so_is_asking_for_the_current_plan()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op);
        var org = await NewPlanAsync(op, flat: "499.00", manual: true);
        var (_, admin) = await NewTenantAsync(fx, team);
        using var disposeAdmin = admin;
        await InitiateOkAsync(admin, org);

        Assert.Equal(HttpStatusCode.Conflict, (await InitiateAsync(admin, org)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await InitiateAsync(admin, team)).StatusCode);
    }

    [Fact]
    public async Task Missing_or_invalid_required_fields_are_400s_naming_the_field_and_record_nothing()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op, required: [PaymentToken, DomainField, Contacts]);
        var (tenant, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;

        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { domain = "shop.example.com", billing_address = Address }), "payload.payment_provider_token");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { payment_provider_token = "tok_visa", billing_address = Address }), "payload.domain");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { payment_provider_token = "tok_visa", domain = "not a host", billing_address = Address }), "payload.domain");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { payment_provider_token = "tok_visa", domain = "shop.example.com" }), "payload.billing_address.address1");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { payment_provider_token = "tok_visa", domain = "shop.example.com", billing_address = new { address1 = "x", city = "y", country = "US" } }), "payload.billing_address.zip_code");

        Assert.Empty((await GetJsonAsync(op, $"/api/admin/plan_transitions?tenant={tenant}"))["items"]!.AsArray());
        Assert.Null(await CurrentPlanAsync(fx, tenant));
    }

    [Fact]
    public async Task Bad_requests_are_400s_naming_the_field()
    {
        using var op = fx.Operator();
        var offered = await NewAddOnAsync(op);
        var team = await NewPlanAsync(op, allowed: [offered]);
        var other = await NewAddOnAsync(op);
        var (_, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;

        await AssertBadRequestAsync(await admin.PostAsJsonAsync("/api/web/namespaces/default/billing/plan_transition", new { new_plan = team }), "namespace");
        await AssertBadRequestAsync(await admin.PostAsJsonAsync(InitiatePath, new { @namespace = "shared", new_plan = team }), "namespace");
        await AssertBadRequestAsync(await admin.PostAsJsonAsync(InitiatePath, new { @namespace = "system" }), "new_plan");
        await AssertBadRequestAsync(await InitiateAsync(admin, "Not_A_Plan"), "new_plan");
        await AssertBadRequestAsync(await InitiateAsync(admin, NewName("missing")), "new_plan");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { subscribe_addon_services = new[] { other } }), "payload.subscribe_addon_services[0]");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { subscribe_addon_services = new[] { offered, offered } }), "payload.subscribe_addon_services[1]");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { subscribe_addon_services = new[] { offered }, unsubscribe_addon_services = new[] { offered } }), "payload.subscribe_addon_services[0]");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { deletion_reason = "REASON_BORED" }), "payload.deletion_reason");
        await AssertBadRequestAsync(await InitiateAsync(admin, team, new { billing_address = new { contact_type = "HOME" } }), "payload.billing_address.contact_type");
        var unknownField = await admin.PostAsync(InitiatePath, TallyFixture.Json("{\"namespace\":\"system\",\"new_plan\":\"" + team + "\",\"payload\":{\"coupon\":\"x\"}}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync(InitiatePath, TallyFixture.Json("{"))).StatusCode);
        await AssertBadRequestAsync(await admin.PostAsync(InitiatePath, TallyFixture.Json("")), "body");
    }

    [Fact]
    public async Task A_card_number_as_payment_token_is_refused_and_never_stored()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op, required: [PaymentToken]);
        var (tenant, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;

        var response = await InitiateAsync(admin, team, new { payment_provider_token = "4242 4242 4242 4242" });

        await AssertBadRequestAsync(response, "payload.payment_provider_token");
        Assert.DoesNotContain("4242", await response.Content.ReadAsStringAsync());
        Assert.Empty((await GetJsonAsync(op, $"/api/admin/plan_transitions?tenant={tenant}"))["items"]!.AsArray());
    }

    [Fact]
    public async Task Only_a_tenant_admin_token_with_the_billing_permission_may_change_the_plan()
    {
        using var op = fx.Operator();
        var team = await NewPlanAsync(op);
        var tenant = await fx.CreateTenantAsync();
        var (_, viewer) = await fx.CreateTokenAsync(tenant, "viewer");
        var (_, member) = await fx.CreateTokenAsync(tenant, "member");
        var (_, noBilling) = await fx.CreateTokenAsync(tenant, "admin", permissions: ["quota", "usage"]);

        foreach (var secret in new[] { viewer, member, noBilling })
        {
            using var client = fx.Client(secret);
            Assert.Equal(HttpStatusCode.Forbidden, (await InitiateAsync(client, team)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await InitiateAsync(op, team)).StatusCode);
        Assert.Null(await CurrentPlanAsync(fx, tenant));
    }

    [Fact]
    public async Task Another_tenant_can_neither_change_nor_decide_a_tenants_transition()
    {
        using var op = fx.Operator();
        var free = await NewPlanAsync(op, flat: "0.00");
        var org = await NewPlanAsync(op, flat: "499.00", manual: true);
        var (tenant, admin) = await NewTenantAsync(fx, free);
        var (_, stranger) = await NewTenantAsync(fx, free);
        using var disposeAdmin = admin;
        using var disposeStranger = stranger;
        var id = (string)(await InitiateOkAsync(admin, org))["id"]!;

        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.PostAsync($"/api/admin/plan_transitions/{id}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.PostAsync($"/api/admin/plan_transitions/{id}/reject", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync("/api/admin/plan_transitions")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync("/api/admin/plan_transitions")).StatusCode);
        Assert.Equal("STATE_WAITING_FOR_APPROVAL", await StateAsync(fx, id));
        Assert.Equal(free, await CurrentPlanAsync(fx, tenant));
    }

    [Fact]
    public async Task The_state_lookup_needs_no_token_but_a_known_id_and_reveals_only_the_state()
    {
        using var anonymous = fx.Client(null);

        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{StatePath}?id={Guid.NewGuid()}")).StatusCode);
        await AssertBadRequestAsync(await anonymous.GetAsync($"{StatePath}?id=not-a-uuid"), "id");
        await AssertBadRequestAsync(await anonymous.GetAsync(StatePath), "id");
        var notFound = await anonymous.GetAsync($"{StatePath}?id={Guid.NewGuid()}");
        Assert.DoesNotContain("tenant", await notFound.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Operator_list_filters_are_validated()
    {
        using var op = fx.Operator();

        await AssertBadRequestAsync(await op.GetAsync("/api/admin/plan_transitions?state=WAITING"), "state");
        await AssertBadRequestAsync(await op.GetAsync("/api/admin/plan_transitions?limit=0"), "limit");
        await AssertBadRequestAsync(await op.GetAsync("/api/admin/plan_transitions?tenant=Bad_Name"), "tenant");
        await AssertBadRequestAsync(await op.PostAsync("/api/admin/plan_transitions/not-a-uuid/approve", null), "id");
        Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsync($"/api/admin/plan_transitions/{Guid.NewGuid()}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.PostAsync($"/api/admin/plan_transitions/{Guid.NewGuid()}/reject", null)).StatusCode);
    }

    [Fact]
    public async Task A_viewer_operator_token_cannot_approve()
    {
        using var op = fx.Operator();
        var org = await NewPlanAsync(op, flat: "499.00", manual: true);
        var (_, admin) = await NewTenantAsync(fx);
        using var disposeAdmin = admin;
        var id = (string)(await InitiateOkAsync(admin, org))["id"]!;
        var (_, viewerSecret) = await fx.CreateTokenAsync(null, "viewer");
        using var viewer = fx.Client(viewerSecret);

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/admin/plan_transitions/{id}/approve", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/admin/plan_transitions")).StatusCode);
        Assert.Equal("STATE_WAITING_FOR_APPROVAL", await StateAsync(fx, id));
    }
}

public sealed class PlanTransitionApiTestsOnSqlite(SqliteFixture fx) : PlanTransitionApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class PlanTransitionApiTestsOnPostgres(PostgresFixture fx) : PlanTransitionApiTests(fx), IClassFixture<PostgresFixture>;

/// <summary>In its own class (own server and clock) because it uses up the per-address budget of the token-less lookup.</summary>
public abstract class PlanTransitionRateLimitTests(TallyFixture fx)
{
    [Fact]
    public async Task The_state_lookup_is_rate_limited_per_client_address_and_recovers_with_time()
    {
        using var anonymous = fx.Client(null);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 61; i++)
        {
            var response = await anonymous.GetAsync($"{StatePath}?id={Guid.NewGuid()}");
            statuses.Add(response.StatusCode);
            limited = response.StatusCode == HttpStatusCode.TooManyRequests ? response : limited;
        }

        Assert.Equal(60, statuses.Count(s => s == HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.True(int.Parse(limited!.Headers.RetryAfter!.ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{StatePath}?id={Guid.NewGuid()}")).StatusCode);
    }
}

public sealed class PlanTransitionRateLimitTestsOnSqlite(SqliteFixture fx) : PlanTransitionRateLimitTests(fx), IClassFixture<SqliteFixture>;
