using System.Net;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.Catalog;

public abstract class AddOnApiTests(TallyFixture fx)
{
    [Fact]
    public async Task An_F5_add_on_key_is_a_valid_add_on_name_and_its_prices_are_kept()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);

        // The F5 keys are shared by the whole class's catalog: replace (200) is as good as create (201) here.
        var response = await op.PutAsync("/api/admin/addons/f5xc_web_app_scanning_standard", TallyFixture.Json(AddOnJson(metric, "120.00")));
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)response.StatusCode}");
        var addOn = await GetJsonAsync(op, "/api/admin/addons/f5xc_web_app_scanning_standard");

        Assert.Equal("120.00", (string?)addOn["monthly_price"]);
        Assert.Equal("USD", (string?)addOn["currency"]);
        Assert.Equal("WAAP 스탠다드", (string?)addOn["display_names"]!["ko"]);
        Assert.Equal(metric, (string?)addOn["prices"]![0]!["metric"]);
        Assert.Equal("0.5", (string?)addOn["prices"]![0]!["unit_price"]);
    }

    [Fact]
    public async Task Add_ons_are_created_replaced_listed_and_deleted()
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var name = NewName("cdn");

        await PutAsync(op, $"/api/admin/addons/{name}", AddOnJson(metric), HttpStatusCode.Created);
        var replaced = await PutAsync(op, $"/api/admin/addons/{name}", AddOnJson(metric, "250.00"), HttpStatusCode.OK);
        var names = (await GetJsonAsync(op, "/api/admin/addons"))["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();
        var deleted = await op.DeleteAsync($"/api/admin/addons/{name}");

        Assert.Equal("250.00", (string?)replaced["monthly_price"]);
        Assert.Contains(name, names);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/addons/{name}")).StatusCode);
    }

    [Fact]
    public async Task An_add_on_without_prices_or_monthly_price_costs_nothing()
    {
        using var op = fx.Operator();

        var addOn = await PutAsync(op, $"/api/admin/addons/{NewName("free")}", """{"display_name":"Free add-on","currency":"KRW"}""");

        Assert.Equal("0", (string?)addOn["monthly_price"]);
        Assert.Empty(addOn["prices"]!.AsArray());
    }

    [Theory]
    [InlineData("\"currency\":\"USD\"", "\"currency\":\"usd\"", "currency")]
    [InlineData("\"monthly_price\":\"200.00\"", "\"monthly_price\":\"200.001\"", "monthly_price")]
    [InlineData("\"monthly_price\":\"200.00\"", "\"monthly_price\":200", "monthly_price")]
    [InlineData("\"display_name\":\"WAAP Standard\"", "\"display_name\":\"   \"", "display_name")]
    [InlineData("\"ko\":\"WAAP 스탠다드\"", "\"kr\":\"WAAP 스탠다드\"", "display_names.kr")]
    [InlineData("\"model\":\"per_unit\"", "\"model\":\"flat\"", "prices[0].model")]
    [InlineData("\"unit_price\":\"0.5\"", "\"unit_price\":\"abc\"", "prices[0].unit_price")]
    [InlineData("\"prices\":[", "\"prices\":[null,", "prices[0]")]
    public async Task Bad_add_on_input_is_a_400_naming_the_field_and_writes_nothing(string from, string to, string field)
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);
        var name = NewName("bad");
        var body = AddOnJson(metric).Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(AddOnJson(metric), body);

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/addons/{name}", TallyFixture.Json(body)), field);

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/addons/{name}")).StatusCode);
    }

    [Theory]
    [InlineData("F5XC_WAAP")]
    [InlineData("waap_")]
    [InlineData("a.b")]
    public async Task An_add_on_name_of_the_wrong_shape_is_a_400(string name)
    {
        using var op = fx.Operator();
        var metric = await NewMetricAsync(op);

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/addons/{name}", TallyFixture.Json(AddOnJson(metric))), "name");
    }

    [Fact]
    public async Task An_add_on_price_for_an_unknown_metric_is_a_400()
    {
        using var op = fx.Operator();
        var name = NewName("orphan");

        await AssertBadRequestAsync(await op.PutAsync($"/api/admin/addons/{name}", TallyFixture.Json(AddOnJson(NewName("nometric")))), "prices[0].metric");

        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync($"/api/admin/addons/{name}")).StatusCode);
    }
}

public sealed class AddOnApiTestsOnSqlite(SqliteFixture fx) : AddOnApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class AddOnApiTestsOnPostgres(PostgresFixture fx) : AddOnApiTests(fx), IClassFixture<PostgresFixture>;
