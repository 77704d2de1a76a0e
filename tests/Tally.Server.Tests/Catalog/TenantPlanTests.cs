using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

public abstract class TenantPlanTests(TallyFixture fx)
{
    private const string ListOp = "ves.io.schema.quota.API.List";

    [Fact]
    public async Task Assigning_a_plan_records_it_with_the_time_it_took_effect()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/tenants/{tenant}/plan")).StatusCode);

        var response = await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan });
        var read = await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/plan");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(plan, (string?)read["plan"]);
        Assert.Equal(tenant, (string?)read["tenant"]);
        Assert.Equal(fx.Clock.GetUtcNow(), DateTimeOffset.Parse((string)read["effective_at"]!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Assigning_the_same_plan_again_keeps_its_effective_time_and_a_new_plan_starts_now()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var first = await NewPlanAsync(op, metric);
        var second = await NewPlanAsync(op, metric);
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, first);
        var assignedAt = (string?)(await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/plan"))["effective_at"];
        fx.Clock.Advance(TimeSpan.FromHours(1));

        await AssignAsync(op, tenant, first);
        var again = await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/plan");
        await AssignAsync(op, tenant, second);
        var moved = await GetJsonAsync(op, $"/api/admin/tenants/{tenant}/plan");

        Assert.Equal(assignedAt, (string?)again["effective_at"]);
        Assert.Equal(second, (string?)moved["plan"]);
        Assert.NotEqual(assignedAt, (string?)moved["effective_at"]);
    }

    [Fact]
    public async Task Assigning_an_unknown_plan_is_a_400_and_an_unknown_tenant_a_404()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();

        await AssertBadRequestAsync(await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan = NewName("nope") }), "plan");
        await AssertBadRequestAsync(await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan = "Not A Plan" }), "plan");
        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/tenants/{tenant}/plan", TallyFixture.Json("{}")), "plan");
        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/tenants/{tenant}/plan", TallyFixture.Json("{\"plan\":7}")), "plan");
        Assert.Equal(HttpStatusCode.NotFound, (await op.PutAsJsonAsync($"/api/admin/tenants/{TallyFixture.NewTenantName()}/plan", new { plan })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/tenants/{tenant}/plan")).StatusCode);
    }

    [Fact]
    public async Task A_plan_in_another_currency_than_the_tenants_is_refused()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op), currency: "EUR");
        var tenant = await fx.CreateTenantAsync();

        await AssertBadRequestAsync(await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan }), "plan");
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/tenants/{tenant}/plan")).StatusCode);
    }

    [Fact]
    public async Task A_tenant_on_a_plan_cannot_change_to_another_currency_than_its_plans()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, plan);

        var refused = await op.PatchAsync($"/api/admin/tenants/{tenant}", TallyFixture.Json("""{"currency":"EUR","display_name":"Renamed"}"""));
        var same = await op.PatchAsync($"/api/admin/tenants/{tenant}", TallyFixture.Json("""{"currency":"USD"}"""));

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains(plan, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        var stored = await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tenants/{tenant}"));
        Assert.Equal("USD", stored["currency"]!.GetValue<string>());
        Assert.NotEqual("Renamed", stored["display_name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Quota_limits_start_from_the_plans_default_quota_and_quota_objects_override_it_key_by_key()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync("default");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        var before = await GetJsonAsync(client, "/api/web/namespaces/system/quota/limits");
        Assert.Empty(before["objects"]!.AsObject());

        await AssignAsync(op, tenant, plan);
        var planOnly = await GetJsonAsync(client, "/api/web/namespaces/default/quota/limits");
        await Quotas.F5QuotaTestKit.CreateAsync(client, "system", "raise", """{"object_limits":{"http_loadbalancer":{"maximum":15}}}""");
        await Quotas.F5QuotaTestKit.CreateAsync(client, "default", "lower", """{"object_limits":{"origin_pool":{"maximum":3}},"resource_limits":{"memory":{"maximum":2}}}""");
        var text = await client.GetStringAsync("/api/web/namespaces/default/quota/limits");
        var overridden = JsonNode.Parse(text)!;

        Assert.Equal("http_loadbalancer=10,origin_pool=20", Maxima(planOnly["objects"]));
        Assert.Equal("cpu=4", Maxima(planOnly["resources"]));
        Assert.Equal(50, (int)planOnly["apis"]![ListOp]!["api_limit"]!["rate"]!);
        Assert.Equal("http_loadbalancer=15,origin_pool=3", Maxima(overridden["objects"]));
        Assert.Equal("cpu=4,memory=2", Maxima(overridden["resources"]));
        Assert.Equal("http_loadbalancer=15,origin_pool=3", Maxima(overridden["quota_usage"]));
        await Infrastructure.F5Schema.Quota.AssertValidAsync("GO.quotaGetQuotaLimitsResponse", text);
    }

    [Fact]
    public async Task Changing_a_plans_default_quota_or_the_tenants_plan_changes_its_limits_at_once()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = await NewPlanAsync(op, metric);
        var bigger = NewName("big");
        await PutAsync(op, $"/api/admin/plans/{bigger}", PlanJson(metric).Replace("\"maximum\":10}", "\"maximum\":100}", StringComparison.Ordinal));
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await AssignAsync(op, tenant, plan);
        Assert.Equal("http_loadbalancer=10,origin_pool=20", Maxima((await GetJsonAsync(client, "/api/web/namespaces/system/quota/limits"))["objects"]));

        await PutAsync(op, $"/api/admin/plans/{plan}", PlanJson(metric).Replace("\"maximum\":10}", "\"maximum\":12}", StringComparison.Ordinal), HttpStatusCode.OK);
        var replaced = await GetJsonAsync(client, "/api/web/namespaces/system/quota/limits");
        await AssignAsync(op, tenant, bigger);
        var moved = await GetJsonAsync(client, "/api/web/namespaces/system/quota/limits");

        Assert.Equal("http_loadbalancer=12,origin_pool=20", Maxima(replaced["objects"]));
        Assert.Equal("http_loadbalancer=100,origin_pool=20", Maxima(moved["objects"]));
    }

    [Fact]
    public async Task Admission_is_bounded_by_the_plans_default_quota()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var tenant = await fx.CreateTenantAsync();
        await AssignAsync(op, tenant, plan);

        var fits = await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", new { @namespace = "system", kind = "objects", key = "http_loadbalancer", amount = 10 });
        var over = await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/quota/admit", new { @namespace = "system", kind = "objects", key = "http_loadbalancer", amount = 1 });

        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, over.StatusCode);
    }

    private static string Maxima(JsonNode? map) =>
        string.Join(",", map!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"{kv.Key}={kv.Value!["limit"]!["maximum"]!.ToJsonString()}"));
}

public sealed class TenantPlanTestsOnSqlite(SqliteFixture fx) : TenantPlanTests(fx), IClassFixture<SqliteFixture>;

public sealed class TenantPlanTestsOnPostgres(PostgresFixture fx) : TenantPlanTests(fx), IClassFixture<PostgresFixture>;
