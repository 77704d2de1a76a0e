using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

public abstract class PlanApiTests(TallyFixture fx)
{
    [Fact]
    public async Task Putting_a_plan_stores_every_F5_and_billing_field()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var addOn = await NewAddOnAsync(op, metric);
        var name = NewName("team");

        await PutAsync(op, $"/api/admin/plans/{name}", PlanJson(metric, addOn));
        var plan = await GetJsonAsync(op, $"/api/admin/plans/{name}");

        Assert.Equal("Team", (string?)plan["title"]);
        Assert.Equal("チーム", (string?)plan["titles"]!["ja"]);
        Assert.Equal("99.00", (string?)plan["flat_price"]);
        Assert.Equal("10.00", (string?)plan["setup_fee"]);
        Assert.Equal("USD", (string?)plan["currency"]);
        Assert.Equal("postpaid", (string?)plan["billing_mode"]);
        Assert.Equal("TEAM", (string?)plan["usage_plan_type"]);
        Assert.Equal("ENTERPRISE", (string?)plan["tenant_type"]);
        Assert.Equal("PERIOD_MONTH", (string?)plan["renewal_period_unit"]);
        Assert.Equal(14, (int)plan["trial_period"]!);
        Assert.Equal("PERIOD_DAY", (string?)plan["trial_period_unit"]);
        Assert.Equal("TRANSITION_METHOD_WIZARD", (string?)plan["transition_flow"]!["method"]);
        Assert.True((bool)plan["transition_flow"]!["requires_manual_approval"]!);
        Assert.Equal(10, (int)plan["default_quota"]!["object_limits"]!["http_loadbalancer"]!["maximum"]!);
        Assert.Equal(addOn, (string?)plan["included_addon_services"]![0]);
        Assert.False((bool)plan["billing_disabled"]!);
        Assert.False((bool)plan["hidden"]!);
        var price = plan["prices"]![0]!;
        Assert.Equal(metric, (string?)price["metric"]);
        Assert.Equal("graduated", (string?)price["model"]);
        Assert.Equal("100", (string?)price["included"]);
        Assert.Equal("1000000", (string?)price["tiers"]![0]!["up_to"]);
        Assert.Equal("0.005", (string?)price["tiers"]![1]!["unit_price"]);
        Assert.True(price["tiers"]![1]!.AsObject().ContainsKey("up_to"));
        Assert.Null(price["tiers"]![1]!["up_to"]);
    }

    [Fact]
    public async Task A_minimal_plan_gets_F5s_zero_values_and_tallys_defaults()
    {
        using var op = fx.Operator();
        var name = NewName("mini");

        var plan = await PutAsync(op, $"/api/admin/plans/{name}", """{"title":"Mini","currency":"JPY","usage_plan_type":"INDIVIDUAL","flat_price":"1200"}""");

        Assert.Equal("1200", (string?)plan["flat_price"]);
        Assert.Equal("0", (string?)plan["setup_fee"]);
        Assert.Equal("postpaid", (string?)plan["billing_mode"]);
        Assert.Equal("UNKNOWN", (string?)plan["tenant_type"]);
        Assert.Equal("TRANSITION_METHOD_UNSPECIFIED", (string?)plan["transition_flow"]!["method"]);
        Assert.Equal(0, (int)plan["trial_period"]!);
        Assert.Empty(plan["prices"]!.AsArray());
        Assert.Empty(plan["default_quota"]!["object_limits"]!.AsObject());
    }

    [Fact]
    public async Task Replacing_a_plan_returns_200_and_a_GET_response_can_be_put_back()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var name = await NewPlanAsync(op, metric);

        var replaced = await PutAsync(op, $"/api/admin/plans/{name}", PlanJson(metric, flat: "149.50"), HttpStatusCode.OK);
        var read = await GetJsonAsync(op, $"/api/admin/plans/{name}");
        var again = await PutAsync(op, $"/api/admin/plans/{name}", read.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal("149.50", (string?)replaced["flat_price"]);
        Assert.Equal(read.ToJsonString(), again.ToJsonString());
    }

    [Fact]
    public async Task Listing_plans_includes_new_plans_in_name_order()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var a = await NewPlanAsync(op, metric);
        var b = await NewPlanAsync(op, metric);

        var names = (await GetJsonAsync(op, "/api/admin/plans"))["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();

        Assert.Contains(a, names);
        Assert.Contains(b, names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Deleting_a_plan_no_tenant_is_on_removes_it()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));

        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/plans/{plan}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/plans/{plan}")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_plan_a_tenant_is_on_is_a_409_naming_the_tenant()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, plan);

        var response = await op.DeleteAsync($"/api/admin/plans/{plan}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(tenant, await ProblemDetailAsync(response), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync($"/api/admin/plans/{plan}")).StatusCode);
    }

    [Fact]
    public async Task A_plans_currency_cannot_change_while_tenants_billed_in_another_are_on_it()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = await NewPlanAsync(op, metric);
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, plan);

        var response = await op.PutAsync($"/api/admin/plans/{plan}", TallyFixture.Json(PlanJson(metric, currency: "EUR")));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("USD", (string?)(await GetJsonAsync(op, $"/api/admin/plans/{plan}"))["currency"]);
    }

    [Fact]
    public async Task Deleting_an_add_on_a_plan_lists_is_a_409_naming_the_plan()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var addOn = await NewAddOnAsync(op, metric);
        var plan = await NewPlanAsync(op, metric, addOn);

        var response = await op.DeleteAsync($"/api/admin/addons/{addOn}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains(plan, await ProblemDetailAsync(response), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadPlans => new()
    {
        { "\"title\":\"Team\"", "\"title\":\"\"", "title" },
        { "\"title\":\"Team\"", "\"title\":\"" + new string('t', 257) + "\"", "title" },
        { "\"currency\":\"USD\"", "\"currency\":\"XXX\"", "currency" },
        { "\"flat_price\":\"99.00\"", "\"flat_price\":99", "flat_price" },
        { "\"flat_price\":\"99.00\"", "\"flat_price\":\"99.001\"", "flat_price" },
        { "\"flat_price\":\"99.00\"", "\"flat_price\":\"-1.00\"", "flat_price" },
        { "\"flat_price\":\"99.00\"", "\"flat_price\":\"21474836.48\"", "flat_price" },
        { "\"setup_fee\":\"10.00\"", "\"setup_fee\":\"ten\"", "setup_fee" },
        { "\"billing_mode\":\"postpaid\"", "\"billing_mode\":\"monthly\"", "billing_mode" },
        { "\"usage_plan_type\":\"TEAM\"", "\"usage_plan_type\":\"team\"", "usage_plan_type" },
        { "\"usage_plan_type\":\"TEAM\",", "", "usage_plan_type" },
        { "\"tenant_type\":\"ENTERPRISE\"", "\"tenant_type\":\"CORPORATE\"", "tenant_type" },
        { "\"trial_period\":14", "\"trial_period\":\"14\"", "trial_period" },
        { "\"trial_period\":14", "\"trial_period\":-1", "trial_period" },
        { "\"trial_period_unit\":\"PERIOD_DAY\"", "\"trial_period_unit\":\"PERIOD_UNKNOWN\"", "trial_period_unit" },
        { "\"trial_period\":14", "\"trial_period\":14,\"renewal_period_unit\":\"PERIOD_YEAR\"", "renewal_period_unit" },
        { "\"method\":\"TRANSITION_METHOD_WIZARD\"", "\"method\":\"WIZARD\"", "transition_flow.method" },
        { "\"TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN\"", "\"TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN\",\"CARD\"", "transition_flow.required_fields[1]" },
        { "\"requires_manual_approval\":true", "\"requires_manual_approval\":\"yes\"", "transition_flow.requires_manual_approval" },
        { "\"ja\":\"チーム\"", "\"jp\":\"チーム\"", "titles.jp" },
        { "\"de\":\"### Team (de)\"", "\"de\":\"" + new string('d', 20_001) + "\"", "descriptions.de" },
        { "\"model\":\"graduated\"", "\"model\":\"tiered\"", "prices[0].model" },
        { "\"included\":\"100\"", "\"included\":100", "prices[0].included" },
        { "\"included\":\"100\"", "\"included\":\"-5\"", "prices[0].included" },
        { "\"included\":\"100\"", "\"included\":\"1.5\"", "prices[0].included" },
        { "\"unit_price\":\"0.01\"", "\"unit_price\":\"0.0000001\"", "prices[0].tiers[0].unit_price" },
        { "\"unit_price\":\"0.01\"", "\"unit_price\":\"1,5\"", "prices[0].tiers[0].unit_price" },
        { "\"unit_price\":\"0.01\"", "\"unit_price\":\"-0.01\"", "prices[0].tiers[0].unit_price" },
        { "{\"up_to\":\"1000000\",", "{\"up_to\":null,", "prices[0].tiers[0].up_to" },
        { "{\"up_to\":null,", "{\"up_to\":\"2000000\",", "prices[0].tiers[1].up_to" },
        { "{\"up_to\":\"1000000\",", "{\"up_to\":\"1.5\",", "prices[0].tiers[0].up_to" },
        { "\"tiers\":[{\"up_to\":\"1000000\",\"unit_price\":\"0.01\"},", "\"unit_price\":\"0.01\",\"tiers\":[", "prices[0].unit_price" },
        { "\"model\":\"graduated\"", "\"model\":\"per_unit\"", "prices[0].unit_price" },
        { "\"model\":\"graduated\"", "\"model\":\"package\"", "prices[0].package_size" },
        { "\"tiers\":[{\"up_to\":\"1000000\"", "\"tiers\":[{\"up_to\":\"3000000\"},{\"up_to\":\"1000000\"", "prices[0].tiers[0].unit_price" },
        { "\"graduated\",", "\"graduated\",\"discount\":\"5\",", "prices[0].discount" },
        { "\"maximum\":10}", "\"maximum\":-2}", "default_quota.object_limits.http_loadbalancer.maximum" },
        { "\"maximum\":10}", "\"maximum\":\"ten\"}", "default_quota.object_limits.http_loadbalancer.maximum" },
        { "\"object_limits\":{\"http_loadbalancer\"", "\"object_limits\":{\"1bad\"", "default_quota.object_limits.1bad" },
        { "\"unit\":\"per-second\"", "\"unit\":\"per-fortnight\"", "default_quota.api_limits.ves.io.schema.quota.API.List.unit" },
        { "\"allowed_addon_services\":[]", "\"allowed_addon_services\":[\"Bad Name\"]", "allowed_addon_services[0]" },
        { "\"allowed_addon_services\":[]", "\"allowed_addon_services\":[\"f5xc-no-such-addon\"]", "allowed_addon_services[0]" },
        { "\"allowed_addon_services\":[]", "\"allowed_addon_services\":\"f5xc_waap_standard\"", "allowed_addon_services" },
        { "\"title\":\"Team\",", "\"title\":\"Team\",\"current\":true,", "current" },
        { "\"title\":\"Team\"", "\"title\":null,\"name\":\"renamed\"", "name" },
    };

    [Theory]
    [MemberData(nameof(BadPlans))]
    public async Task Bad_plan_input_is_a_400_naming_the_field_and_writes_nothing(string from, string to, string field)
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var name = NewName("bad");
        var body = PlanJson(metric).Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(PlanJson(metric), body);

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/plans/{name}", TallyFixture.Json(body)), field);

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/plans/{name}")).StatusCode);
    }

    [Fact]
    public async Task A_price_for_a_metric_not_in_the_catalog_is_a_400_naming_the_price()
    {
        using var op = fx.Operator();
        var name = NewName("orphan");

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/plans/{name}", TallyFixture.Json(PlanJson(NewName("nometric")))), "prices[0].metric");

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/plans/{name}")).StatusCode);
    }

    [Fact]
    public async Task A_metric_priced_twice_is_a_400_naming_the_second_price()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = JsonNode.Parse(PlanJson(metric))!.AsObject();
        plan["prices"]!.AsArray().Add(JsonNode.Parse($$"""{"metric":"{{metric}}","model":"per_unit","unit_price":"1"}"""));

        await AssertBadRequestAsync(await op.PutAsJsonAsync($"/api/admin/plans/{NewName("twice")}", plan), "prices[1].metric");
    }

    [Fact]
    public async Task An_oversized_price_list_is_a_400()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = JsonNode.Parse(PlanJson(metric))!.AsObject();
        var prices = plan["prices"]!.AsArray();
        for (var i = 0; i < 200; i++)
        {
            prices.Add(JsonNode.Parse($$"""{"metric":"m{{i}}","model":"per_unit","unit_price":"1"}"""));
        }

        await AssertBadRequestAsync(await op.PutAsJsonAsync($"/api/admin/plans/{NewName("big")}", plan), "prices");
    }
}

public sealed class PlanApiTestsOnSqlite(SqliteFixture fx) : PlanApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class PlanApiTestsOnPostgres(PostgresFixture fx) : PlanApiTests(fx), IClassFixture<PostgresFixture>;
