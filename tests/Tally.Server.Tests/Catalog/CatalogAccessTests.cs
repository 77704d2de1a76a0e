using System.Net;
using System.Net.Http.Json;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

/// <summary>Who may call the operator catalog routes: operator tokens (writes: member or admin with the catalog permission).</summary>
public abstract class CatalogAccessTests(TallyFixture fx)
{
    public static TheoryData<string, string> OperatorRoutes => new()
    {
        { "GET", "/api/admin/metrics" },
        { "GET", "/api/admin/metrics/m" },
        { "PUT", "/api/admin/metrics/m" },
        { "DELETE", "/api/admin/metrics/m" },
        { "GET", "/api/admin/plans" },
        { "GET", "/api/admin/plans/p" },
        { "PUT", "/api/admin/plans/p" },
        { "DELETE", "/api/admin/plans/p" },
        { "GET", "/api/admin/addons" },
        { "GET", "/api/admin/addons/a" },
        { "PUT", "/api/admin/addons/a" },
        { "DELETE", "/api/admin/addons/a" },
    };

    private static HttpRequestMessage Request(string method, string url, string body) =>
        new(new HttpMethod(method), url) { Content = method == "PUT" ? TallyFixture.Json(body) : null };

    private static string BodyFor(string url, string metric) =>
        url.Contains("/metrics/", StringComparison.Ordinal) ? MetricJson()
        : url.Contains("/plans/", StringComparison.Ordinal) ? PlanJson(metric)
        : AddOnJson(metric);

    [Theory]
    [MemberData(nameof(OperatorRoutes))]
    public async Task A_tenant_admin_token_gets_403_and_changes_nothing(string method, string route)
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        var response = await client.SendAsync(Request(method, route, BodyFor(route, metric)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync(route.EndsWith('s') ? route + "/none" : route)).StatusCode);
    }

    [Theory]
    [InlineData("/api/admin/metrics/m")]
    [InlineData("/api/admin/plans/p")]
    [InlineData("/api/admin/addons/a")]
    public async Task A_tenant_token_gets_403_before_its_body_is_read_even_when_the_body_is_malformed(string route)
    {
        var tenant = await fx.CreateTenantAsync();
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);

        var response = await client.PutAsync(route, TallyFixture.Json("{\"display_name\": "));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("operator tokens only", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(OperatorRoutes))]
    public async Task No_token_or_an_unknown_token_gets_401(string method, string route)
    {
        foreach (var token in new[] { null, "tly_unknown_0000000000000000000000000000000000000" })
        {
            using var client = fx.Client(token);
            var response = await client.SendAsync(Request(method, route, MetricJson()));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task An_operator_viewer_reads_the_catalog_but_cannot_write_it()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var (_, secret) = await fx.CreateTokenAsync(null, role: "viewer");
        using var viewer = fx.Client(secret);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/admin/metrics/{metric}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsync($"/api/admin/metrics/{metric}", TallyFixture.Json(MetricJson("Changed")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/admin/metrics/{metric}")).StatusCode);
        Assert.Equal("HTTP requests", (string?)(await GetJsonAsync(op, $"/api/admin/metrics/{metric}"))["display_name"]);
    }

    [Fact]
    public async Task An_operator_token_without_the_catalog_permission_gets_403()
    {
        var (_, secret) = await fx.CreateTokenAsync(null, permissions: ["billing"]);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/admin/plans")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsync($"/api/admin/metrics/{NewName("m")}", TallyFixture.Json(MetricJson()))).StatusCode);
    }

    [Fact]
    public async Task A_tenant_token_reads_its_own_plan_but_cannot_assign_one_or_see_another_tenants()
    {
        using var op = fx.Operator();
        var plan = await NewPlanAsync(op, await NewMetricAsync(op));
        var mine = await fx.CreateTenantAsync();
        var theirs = await fx.CreateTenantAsync();
        await AssignAsync(op, mine, plan);
        await AssignAsync(op, theirs, plan);
        var (_, secret) = await fx.CreateTokenAsync(mine);
        using var client = fx.Client(secret);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/admin/tenants/{mine}/plan")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/admin/tenants/{theirs}/plan")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PutAsJsonAsync($"/api/admin/tenants/{mine}/plan", new { plan })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PutAsJsonAsync($"/api/admin/tenants/{theirs}/plan", new { plan })).StatusCode);
        using var anonymous = fx.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/admin/tenants/{mine}/plan")).StatusCode);
    }
}

public sealed class CatalogAccessTestsOnSqlite(SqliteFixture fx) : CatalogAccessTests(fx), IClassFixture<SqliteFixture>;

public sealed class CatalogAccessTestsOnPostgres(PostgresFixture fx) : CatalogAccessTests(fx), IClassFixture<PostgresFixture>;
