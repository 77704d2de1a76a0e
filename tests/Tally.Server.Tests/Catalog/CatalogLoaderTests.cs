using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain.Catalog;
using Tally.Server.Features.Catalog;
using Tally.Server.Hosting;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

/// <summary><c>tally serve --catalog FILE</c> and <c>--demo</c>: the loader, called directly.</summary>
public abstract class CatalogLoaderTests(TallyFixture fx)
{
    private CatalogLoader Loader => fx.Services.GetRequiredService<CatalogLoader>();

    private CatalogService Catalog => fx.Services.GetRequiredService<CatalogService>();

    /// <summary>A small catalog file with fresh names: one metric, one add-on pricing it, one plan using both.</summary>
    private static (string Json, string Metric, string AddOn, string Plan) File()
    {
        var metric = NewName("m");
        var addOn = NewName("a");
        var plan = NewName("p");
        var json = "{\"description\":\"test catalog\",\n"
            + $"\"metrics\":{{\"{metric}\":{MetricJson()}}},\n"
            + $"\"addons\":{{\"{addOn}\":{AddOnJson(metric)}}},\n"
            + $"\"plans\":{{\"{plan}\":{PlanJson(metric, addOn)}}}}}";
        return (json, metric, addOn, plan);
    }

    private static async Task<string> WriteAsync(string json)
    {
        var path = TestFiles.NewPath("catalog", ".json");
        await System.IO.File.WriteAllTextAsync(path, json);
        return path;
    }

    [Fact]
    public async Task Loading_a_catalog_file_creates_its_entries_and_loading_it_again_changes_nothing()
    {
        var (json, metric, addOn, plan) = File();
        var path = await WriteAsync(json);
        using var op = fx.Operator();

        var first = await Loader.LoadFileAsync(path, CancellationToken.None);
        var stored = await GetJsonAsync(op, $"/api/admin/plans/{plan}");
        fx.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await Loader.LoadFileAsync(path, CancellationToken.None);

        Assert.Equal(new CatalogLoadResult(3, 0, 0), first);
        Assert.Equal(new CatalogLoadResult(0, 0, 3), second);
        Assert.Equal(stored.ToJsonString(), (await GetJsonAsync(op, $"/api/admin/plans/{plan}")).ToJsonString());
        Assert.NotNull(await Catalog.GetMetricAsync(metric, CancellationToken.None));
        Assert.Equal(addOn, (await Catalog.GetAddOnAsync(addOn, CancellationToken.None))!.Name);
        Assert.Equal(addOn, (await Catalog.GetPlanAsync(plan, CancellationToken.None))!.IncludedAddOns.Single());
    }

    [Fact]
    public async Task A_changed_entry_is_updated_and_entries_not_in_the_file_are_left_alone()
    {
        var (json, metric, _, plan) = File();
        await Loader.LoadAsync(json, "test", CancellationToken.None);
        using var op = fx.Operator();
        var other = await NewMetricAsync(op);

        var result = await Loader.LoadAsync(json.Replace("\"99.00\"", "\"89.00\"", StringComparison.Ordinal), "test", CancellationToken.None);

        Assert.Equal(new CatalogLoadResult(0, 1, 2), result);
        Assert.Equal("89.00", (await Catalog.GetPlanAsync(plan, CancellationToken.None))!.FlatPrice.ToUnitsString());
        Assert.NotNull(await Catalog.GetMetricAsync(other, CancellationToken.None));
        Assert.NotNull(await Catalog.GetMetricAsync(metric, CancellationToken.None));
    }

    [Theory]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":\"0\"", "metrics.{M}.divisor")]
    [InlineData("\"model\":\"graduated\"", "\"model\":\"tiered\"", "plans.{P}.prices[0].model")]
    [InlineData("\"monthly_price\":\"200.00\"", "\"monthly_price\":\"x\"", "addons.{A}.monthly_price")]
    [InlineData("\"included_addon_services\":[\"{A}\"]", "\"included_addon_services\":[\"f5xc_not_loaded\"]", "plans.{P}.included_addon_services[0]")]
    [InlineData("\"trial_period\":14", "\"trial_period\":\"14\"", "plans.{P}.trial_period")]
    [InlineData("\"description\":\"test catalog\"", "\"descripton\":\"typo\"", "descripton")]
    public async Task A_bad_entry_stops_the_load_naming_the_entry_and_field_and_nothing_is_written(string from, string to, string field)
    {
        var (json, metric, addOn, plan) = File();
        string Names(string text) => text.Replace("{M}", metric, StringComparison.Ordinal).Replace("{A}", addOn, StringComparison.Ordinal).Replace("{P}", plan, StringComparison.Ordinal);
        var bad = json.Replace(Names(from), Names(to), StringComparison.Ordinal);
        Assert.NotEqual(json, bad);

        var e = await Assert.ThrowsAsync<CatalogLoadException>(() => Loader.LoadAsync(bad, "catalog file 'x.json'", CancellationToken.None));

        Assert.Equal(Names(field), e.Field);
        Assert.StartsWith("catalog file 'x.json': ", e.Message, StringComparison.Ordinal);
        Assert.Contains(Names(field), e.Message, StringComparison.Ordinal);
        Assert.Null(await Catalog.GetMetricAsync(metric, CancellationToken.None));
        Assert.Null(await Catalog.GetPlanAsync(plan, CancellationToken.None));
    }

    [Fact]
    public async Task A_plan_in_the_file_may_use_metrics_already_in_the_catalog()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var plan = NewName("p");

        var result = await Loader.LoadAsync($"{{\"plans\":{{\"{plan}\":{PlanJson(metric)}}}}}", "test", CancellationToken.None);

        Assert.Equal(1, result.Created);
        Assert.Equal(metric, (await Catalog.GetPlanAsync(plan, CancellationToken.None))!.Prices.Single().Metric);
    }

    [Fact]
    public async Task A_missing_file_or_a_file_that_is_not_JSON_is_a_clear_error()
    {
        var missing = await Assert.ThrowsAsync<CatalogLoadException>(() => Loader.LoadFileAsync("/nonexistent/catalog.json", CancellationToken.None));
        var notJson = await Assert.ThrowsAsync<CatalogLoadException>(() => Loader.LoadAsync("metrics: []", "test", CancellationToken.None));

        Assert.Contains("/nonexistent/catalog.json", missing.Message, StringComparison.Ordinal);
        Assert.Equal("body", notJson.Field);
    }

    [Fact]
    public async Task The_demo_catalog_loads_twice_without_change_and_puts_the_demo_tenant_on_team()
    {
        var first = await Loader.LoadDemoAsync(CancellationToken.None);
        var second = await Loader.LoadDemoAsync(CancellationToken.None);
        var database = fx.Services.GetRequiredService<Storage.TallyDatabase>();
        await Bootstrap.SeedDemoAsync(database, fx.Clock, CancellationToken.None);
        await Loader.AssignDemoPlanAsync(Bootstrap.DemoTenant, fx.Clock.GetUtcNow(), CancellationToken.None);

        Assert.Equal(0, second.Created + second.Updated);
        Assert.Equal(first.Created + first.Updated + first.Unchanged, second.Unchanged);
        var assigned = await Catalog.GetTenantPlanAsync(Bootstrap.DemoTenant, CancellationToken.None);
        Assert.Equal("team", assigned!.Value.Plan.Name);
        Assert.Equal(25, assigned.Value.Plan.DefaultQuota.ObjectLimits["http_loadbalancer"]);
    }

    [Fact]
    public async Task The_demo_catalog_has_four_localized_F5_like_plans_a_dozen_metrics_and_the_thirteen_F5_add_ons()
    {
        var demo = CatalogLoader.Parse(CatalogLoader.DemoJson());

        Assert.Equal(["free", "individual", "organization", "team"], demo.Plans.Select(p => p.Name));
        Assert.Equal([PlanType.Free, PlanType.Individual, PlanType.Organization, PlanType.Team], demo.Plans.Select(p => p.UsagePlanType));
        Assert.All(demo.Plans, p => Assert.Equal(["de", "ja", "ko", "zh-TW"], p.Titles.Keys.Order(StringComparer.Ordinal)));
        Assert.All(demo.Plans, p => Assert.Equal(4, p.Descriptions.Count));
        Assert.InRange(demo.Metrics.Count, 12, 20);
        Assert.All(demo.Metrics, m => Assert.Equal(4, m.DisplayNames.Count));
        Assert.Equal(1024m, demo.Metrics.Single(m => m.Name == "data-transfer").Divisor);
        Assert.Equal("GB", demo.Metrics.Single(m => m.Name == "data-transfer").BillableUnitName);
        Assert.Equal(AddOnNames.F5Keys, demo.AddOns.Select(a => a.Name));
        Assert.Equal("99.00", demo.Plans.Single(p => p.Name == "team").FlatPrice.ToUnitsString());
    }

    [Fact]
    public void The_demo_catalog_is_the_documented_example_file()
    {
        var docs = Path.Combine(RepoRoot(), "docs", "catalog.example.json");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(System.IO.File.ReadAllText(docs)), JsonNode.Parse(CatalogLoader.DemoJson())));
    }

    [Fact]
    public async Task Usage_plans_of_the_demo_tenant_show_team_as_current_among_four_plans()
    {
        await Loader.LoadDemoAsync(CancellationToken.None);
        var database = fx.Services.GetRequiredService<Storage.TallyDatabase>();
        var secret = await Bootstrap.SeedDemoAsync(database, fx.Clock, CancellationToken.None);
        await Loader.AssignDemoPlanAsync(Bootstrap.DemoTenant, fx.Clock.GetUtcNow(), CancellationToken.None);
        using var client = fx.Client(secret);

        var text = await client.GetStringAsync("/api/web/namespaces/system/usage_plans/current");
        var json = JsonNode.Parse(text)!;

        await UsagePlansApiTests.Schema.AssertValidAsync("planLocalizedPlan", text);
        var demoPlans = json["plans"]!.AsArray().Where(p => (string?)p!["name"] is "free" or "individual" or "team" or "organization").ToList();
        Assert.Equal(["free", "individual", "team", "organization"], demoPlans.Select(p => (string)p!["name"]!));
        Assert.Equal("team", (string?)json["plans"]!.AsArray().Single(p => (bool)p!["current"]!)!["name"]);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/web/namespaces/system/quota/limits")).StatusCode);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !System.IO.File.Exists(Path.Combine(dir.FullName, "Tally.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Tally.slnx not found above the test directory.");
    }
}

public sealed class CatalogLoaderTestsOnSqlite(SqliteFixture fx) : CatalogLoaderTests(fx), IClassFixture<SqliteFixture>;

public sealed class CatalogLoaderTestsOnPostgres(PostgresFixture fx) : CatalogLoaderTests(fx), IClassFixture<PostgresFixture>;
