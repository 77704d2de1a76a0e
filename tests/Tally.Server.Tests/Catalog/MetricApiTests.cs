using System.Net;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

public abstract class MetricApiTests(TallyFixture fx)
{
    [Fact]
    public async Task Putting_a_new_metric_creates_it_and_putting_it_again_replaces_it()
    {
        using var op = fx.Operator();
        var name = NewName("requests");

        var created = await PutAsync(op, $"/api/admin/metrics/{name}", MetricJson(), HttpStatusCode.Created);
        var replaced = await PutAsync(op, $"/api/admin/metrics/{name}", MetricJson("Requests served"), HttpStatusCode.OK);

        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal("HTTP requests", (string?)created["display_name"]);
        Assert.Equal("Requests served", (string?)replaced["display_name"]);
        var read = await GetJsonAsync(op, $"/api/admin/metrics/{name}");
        Assert.Equal("Requests served", (string?)read["display_name"]);
        Assert.Equal("1", (string?)read["divisor"]);
        Assert.Equal("sum", (string?)read["aggregation"]);
        Assert.Equal("F5-XC-WAAP-REQ", (string?)read["sku"]);
        Assert.Equal("HTTP リクエスト", (string?)read["display_names"]!["ja"]);
        Assert.NotNull(read["updated_at"]);
    }

    [Fact]
    public async Task A_metric_billed_in_another_unit_keeps_its_divisor_and_defaults_fill_the_rest()
    {
        using var op = fx.Operator();
        var name = NewName("transfer");

        var metric = await PutAsync(op, $"/api/admin/metrics/{name}", """{"display_name":"Data transfer","unit_name":"MB","billable_unit_name":"GB","divisor":"1024"}""");
        var counted = await PutAsync(op, $"/api/admin/metrics/{name}-n", """{"display_name":"Scans","unit_name":"scans","aggregation":"count"}""");

        Assert.Equal("1024", (string?)metric["divisor"]);
        Assert.Equal("GB", (string?)metric["billable_unit_name"]);
        Assert.Equal("sum", (string?)metric["aggregation"]);
        Assert.Equal("", (string?)metric["service"]);
        Assert.Equal("scans", (string?)counted["billable_unit_name"]);
        Assert.Equal("1", (string?)counted["divisor"]);
        Assert.Equal("count", (string?)counted["aggregation"]);
    }

    [Fact]
    public async Task Putting_identical_content_changes_nothing_not_even_updated_at()
    {
        using var op = fx.Operator();
        var name = NewName("same");
        var first = await PutAsync(op, $"/api/admin/metrics/{name}", MetricJson());
        fx.Clock.Advance(TimeSpan.FromMinutes(1));

        var second = await PutAsync(op, $"/api/admin/metrics/{name}", MetricJson(), HttpStatusCode.OK);

        Assert.Equal((string?)first["updated_at"], (string?)second["updated_at"]);
    }

    [Fact]
    public async Task A_GET_response_can_be_put_back_unchanged()
    {
        using var op = fx.Operator();
        var name = await NewMetricAsync(op);
        var read = await GetJsonAsync(op, $"/api/admin/metrics/{name}");

        var again = await PutAsync(op, $"/api/admin/metrics/{name}", read.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal(read.ToJsonString(), again.ToJsonString());
    }

    [Fact]
    public async Task Listing_metrics_returns_them_sorted_by_name()
    {
        using var op = fx.Operator();
        var b = "zz-" + NewName("b");
        var a = "zz-" + NewName("a");
        await PutAsync(op, $"/api/admin/metrics/{b}", MetricJson());
        await PutAsync(op, $"/api/admin/metrics/{a}", MetricJson());

        var names = (await GetJsonAsync(op, "/api/admin/metrics"))["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();

        Assert.Contains(a, names);
        Assert.True(names.IndexOf(a) < names.IndexOf(b));
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Deleting_a_metric_removes_it_and_a_second_delete_is_404()
    {
        using var op = fx.Operator();
        var name = await NewMetricAsync(op);

        Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/metrics/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/metrics/{name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.DeleteAsync($"/api/admin/metrics/{name}")).StatusCode);
    }

    [Fact]
    public async Task Deleting_a_metric_a_plan_or_add_on_prices_is_a_409_naming_them()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var addOn = await NewAddOnAsync(op, metric);
        var plan = await NewPlanAsync(op, metric);

        var response = await op.DeleteAsync($"/api/admin/metrics/{metric}");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var detail = await ProblemDetailAsync(response);
        Assert.Contains(plan, detail, StringComparison.Ordinal);
        Assert.Contains(addOn, detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await op.GetAsync($"/api/admin/metrics/{metric}")).StatusCode);
    }

    [Theory]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":1", "divisor")]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":\"0\"", "divisor")]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":\"-2\"", "divisor")]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":\"1e3\"", "divisor")]
    [InlineData("\"divisor\":\"1\"", "\"divisor\":\"0.0000001\"", "divisor")]
    [InlineData("\"aggregation\":\"sum\"", "\"aggregation\":\"avg\"", "aggregation")]
    [InlineData("\"aggregation\":\"sum\"", "\"aggregation\":\"SUM\"", "aggregation")]
    [InlineData("\"display_name\":\"HTTP requests\"", "\"display_name\":\"\"", "display_name")]
    [InlineData("\"display_name\":\"HTTP requests\"", "\"display_name\":17", "display_name")]
    [InlineData("\"unit_name\":\"requests\"", "\"unit_name\":\"a-unit-name-that-is-far-too-long-to-be-one\"", "unit_name")]
    [InlineData("\"unit_name\":\"requests\",", "", "unit_name")]
    [InlineData("\"sku\":\"F5-XC-WAAP-REQ\"", "\"sku\":[\"x\"]", "sku")]
    [InlineData("\"ja\":\"HTTP リクエスト\"", "\"fr\":\"Requêtes\"", "display_names.fr")]
    [InlineData("\"ja\":\"HTTP リクエスト\"", "\"ja\":\"\"", "display_names.ja")]
    [InlineData("\"display_names\":{", "\"name\":\"other\",\"display_names\":{", "name")]
    [InlineData("\"sum\",", "\"sum\",\"surprise\":true,", "surprise")]
    [InlineData("{", "{{", "body")]
    public async Task Bad_metric_input_is_a_400_naming_the_field_and_writes_nothing(string from, string to, string field)
    {
        using var op = fx.Operator();
        var name = NewName("bad");
        var body = MetricJson().Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(MetricJson(), body);

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/metrics/{name}", TallyFixture.Json(body)), field);

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/metrics/{name}")).StatusCode);
    }

    [Fact]
    public async Task A_bad_replacement_leaves_the_metric_as_it_was()
    {
        using var op = fx.Operator();
        var name = await NewMetricAsync(op);

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/metrics/{name}", TallyFixture.Json(MetricJson("Other").Replace("\"1\"", "\"0\"", StringComparison.Ordinal))), "divisor");

        Assert.Equal("HTTP requests", (string?)(await GetJsonAsync(op, $"/api/admin/metrics/{name}"))["display_name"]);
    }

    [Theory]
    [InlineData("Requests")]
    [InlineData("1requests")]
    [InlineData("requests_total")]
    public async Task A_metric_name_that_is_not_a_DNS_1035_label_is_a_400(string name)
    {
        using var op = fx.Operator();

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/metrics/{name}", TallyFixture.Json(MetricJson())), "name");
    }
}

public sealed class MetricApiTestsOnSqlite(SqliteFixture fx) : MetricApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class MetricApiTestsOnPostgres(PostgresFixture fx) : MetricApiTests(fx), IClassFixture<PostgresFixture>;
