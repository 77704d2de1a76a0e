using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Usage;

/// <summary>
/// F5's usage APIs over real ingested usage and a real catalog: rated amounts computed by hand, namespace narrowing,
/// the hourly breakdown round trip, usage_summary, access rules and bad input. The fixture clock is 2026-11-24T12:00Z.
/// </summary>
public abstract class F5UsageApiTests(TallyFixture fx)
{
    private static readonly F5Schema Schema = new("docs-cloud-f5-com.0249.public.ves.io.schema.usage.ves-swagger.json");

    /// <summary>usage_summary is published only in the merged file (reference §3.1).</summary>
    private static readonly F5Schema Merged = new("billing-and-usage.merged.json");

    /// <summary>A tenant (namespaces system, default) on a fresh plan "Team" (USD 99.00 a month) pricing two fresh metrics.</summary>
    private sealed record Setup(string Tenant, string Token, string Requests, string Transfer, string Plan);

    private async Task<Setup> SetUpAsync(string timeZone = "UTC")
    {
        var tenant = TallyFixture.NewTenantName();
        var requests = $"{tenant}-req";
        var transfer = $"{tenant}-xfer";
        var plan = $"{tenant}-team";
        using var op = fx.Operator();
        (await op.PostAsJsonAsync("/api/admin/tenants", new { name = tenant, time_zone = timeZone, currency = "USD" })).EnsureSuccessStatusCode();
        (await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "default" })).EnsureSuccessStatusCode();
        (await op.PutAsJsonAsync($"/api/admin/metrics/{requests}", new
        {
            display_name = "HTTP requests", unit_name = "requests", billable_unit_name = "requests", divisor = "1", aggregation = "sum",
            service = "f5xc-waap-standard", sku = "F5-XC-WAAP-REQ", display_names = new Dictionary<string, string> { ["ja"] = "HTTPリクエスト" },
        })).EnsureSuccessStatusCode();
        (await op.PutAsJsonAsync($"/api/admin/metrics/{transfer}", new
        {
            display_name = "Data transfer", unit_name = "MB", billable_unit_name = "GB", divisor = "1024", aggregation = "sum",
            service = "f5xc-cdn", sku = "F5-XC-CDN-GB",
        })).EnsureSuccessStatusCode();
        var put = await op.PutAsJsonAsync($"/api/admin/plans/{plan}", new
        {
            title = "Team", currency = "USD", flat_price = "99.00", usage_plan_type = "TEAM", tenant_type = "ENTERPRISE", billing_mode = "postpaid",
            prices = new object[]
            {
                new { metric = requests, model = "graduated", included = "100", tiers = new object[] { new { up_to = "1000000", unit_price = "0.01" }, new { up_to = (string?)null, unit_price = "0.005" } } },
                new { metric = transfer, model = "per_unit", unit_price = "0.08" },
            },
        });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        (await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan })).EnsureSuccessStatusCode();
        var (_, token) = await fx.CreateTokenAsync(tenant, role: "viewer");
        return new Setup(tenant, token, requests, transfer, plan);
    }

    private async Task IngestAsync(params object[] events)
    {
        using var op = fx.Operator();
        var response = await op.PostAsJsonAsync("/api/admin/usage/events", new { events });
        var body = await TallyFixture.ReadObjectAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToJsonString());
        Assert.Equal(events.Length, body["accepted"]!.GetValue<int>());
    }

    private static object Event(Setup s, string metric, double quantity, string timestamp, string ns = "system", string objectName = "lb-1") =>
        new { id = Guid.NewGuid().ToString("N"), tenant = s.Tenant, @namespace = ns, metric, quantity, timestamp, object_name = objectName };

    private static async Task<JsonObject> PostOkAsync(HttpClient client, string url, object body, string component)
    {
        var response = await client.PostAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        if (component.Length > 0)
        {
            await Schema.AssertValidAsync(component, text);
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task Current_usage_rates_each_metric_and_adds_the_plan_fee_computed_by_hand()
    {
        var s = await SetUpAsync();
        // 1,000,200 requests: 100 included, 1,000,000 at 0.01 = 10,000.00, 100 at 0.005 = 0.50 → 10,000.50.
        // 3,000 MB = 2.93 GB → 2 GB billable at 0.08 = 0.16. Plan fee 99.00. Total 10,099.66 → "1009966" hundredths.
        await IngestAsync(
            Event(s, s.Requests, 1_000_000, "2026-11-02T10:15:00Z"),
            Event(s, s.Requests, 200, "2026-11-20T23:59:59Z", ns: "default"),
            Event(s, s.Transfer, 3000, "2026-11-10T00:00:00Z"));
        using var client = fx.Client(s.Token);

        var body = await PostOkAsync(client, "/api/web/namespaces/system/current_usage", new { @namespace = "system" }, "usageListCurrentUsageResp");

        Assert.Equal("1009966", body["total_cost"]!.GetValue<string>());
        Assert.Equal("0", body["discount"]!.GetValue<string>());
        var items = body["usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        var fee = Assert.Single(items, i => i["fixed"]!.GetValue<bool>());
        Assert.Equal("9900", fee["amount"]!.GetValue<string>());
        Assert.Equal("Team", fee["usage_type"]!.GetValue<string>());
        var requests = Assert.Single(items, i => i["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == s.Requests));
        Assert.Equal(1_000_200d, requests["quantity"]!.GetValue<double>());
        Assert.Equal("1000200", requests["quantity_billable"]!.GetValue<string>());
        Assert.Equal("1000050", requests["amount"]!.GetValue<string>());
        Assert.Equal("USD", requests["currency_code"]!.GetValue<string>());
        Assert.Equal("STATUS_ACTIVE", requests["status"]!.GetValue<string>());
        Assert.Equal("2026-11-01T00:00:00Z", requests["start_timestamp"]!.GetValue<string>());
        Assert.Equal("2026-12-01T00:00:00Z", requests["end_timestamp"]!.GetValue<string>());
        var transfer = Assert.Single(items, i => i["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == s.Transfer));
        Assert.Equal("2", transfer["quantity_billable"]!.GetValue<string>());
        Assert.Equal("GB", transfer["unit_name_billable"]!.GetValue<string>());
        Assert.Equal("MB", transfer["unit_name"]!.GetValue<string>());
        Assert.Equal("16", transfer["amount"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_namespace_narrows_current_usage_to_its_own_events_without_the_plan_fee()
    {
        var s = await SetUpAsync();
        await IngestAsync(
            Event(s, s.Requests, 5000, "2026-11-02T10:15:00Z"),
            Event(s, s.Requests, 300, "2026-11-03T10:15:00Z", ns: "default"));
        using var client = fx.Client(s.Token);

        var body = await PostOkAsync(client, "/api/web/namespaces/default/current_usage", new { }, "usageListCurrentUsageResp");

        var items = body["usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.DoesNotContain(items, i => i["fixed"]!.GetValue<bool>());
        var requests = Assert.Single(items, i => i["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == s.Requests));
        Assert.Equal(300d, requests["quantity"]!.GetValue<double>());
        Assert.Equal("200", requests["amount"]!.GetValue<string>()); // 300 − 100 included = 200 × 0.01 = 2.00
        var transfer = Assert.Single(items, i => i["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == s.Transfer));
        Assert.Equal("STATUS_NO_DATA", transfer["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Current_usage_between_from_and_to_counts_only_the_hours_inside()
    {
        var s = await SetUpAsync();
        await IngestAsync(
            Event(s, s.Transfer, 1024, "2026-11-05T09:59:59Z"),
            Event(s, s.Transfer, 2048, "2026-11-05T10:00:00Z"),
            Event(s, s.Transfer, 4096, "2026-11-05T12:00:00Z"));
        using var client = fx.Client(s.Token);

        var body = await PostOkAsync(
            client, "/api/web/namespaces/system/current_usage", new { from = "2026-11-05T10:00:00Z", to = "2026-11-05T12:00:00Z" }, "usageListCurrentUsageResp");

        var transfer = body["usage_items"]!.AsArray().Single(i => i!["metric_labels"]!.AsArray().Any(l => l!.GetValue<string>() == s.Transfer))!;
        Assert.Equal(2048d, transfer["quantity"]!.GetValue<double>());
        Assert.Equal("2026-11-05T10:00:00Z", transfer["start_timestamp"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"from":"2026-10-31T00:00:00Z"}""", "from")]
    [InlineData("""{"from":"yesterday"}""", "from")]
    [InlineData("""{"from":"2026-11-05T10:00:00"}""", "from")]
    [InlineData("""{"to":"2026-12-02T00:00:00Z"}""", "to")]
    [InlineData("""{"from":"2026-11-05T10:00:00Z","to":"2026-11-05T10:00:00Z"}""", "to")]
    [InlineData("""{"namespace":"default"}""", "namespace")]
    [InlineData("""{"from":5}""", "from")]
    [InlineData("""{"from":""", "")]
    [InlineData("""{"frm":"2026-11-05T10:00:00Z"}""", "frm")]
    public async Task Bad_current_usage_input_gets_400_naming_the_field(string json, string field)
    {
        var s = await SetUpAsync();
        using var client = fx.Client(s.Token);

        var response = await client.PostAsync("/api/web/namespaces/system/current_usage", TallyFixture.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monthly_usage_lists_the_current_month_and_the_twelve_before_with_rated_totals()
    {
        var s = await SetUpAsync(timeZone: "Asia/Tokyo");
        // 2026-10-31T16:00Z is November 1st, 01:00 in Tokyo: November's usage. 2026-10-31T14:00Z is still October there.
        await IngestAsync(
            Event(s, s.Requests, 1100, "2026-10-31T14:00:00Z"),
            Event(s, s.Requests, 600, "2026-10-31T16:00:00Z"));
        using var client = fx.Client(s.Token);

        var body = await PostOkAsync(client, "/api/web/namespaces/system/monthly_usage", new { @namespace = "system" }, "usageListMonthlyUsageResp");

        var items = body["monthly_usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.Equal(13, items.Count);
        Assert.Equal("2025-10-31T15:00:00Z", items[0]["start_timestamp"]!.GetValue<string>());
        var october = items[11];
        var november = items[12];
        Assert.Equal("2026-09-30T15:00:00Z", october["start_timestamp"]!.GetValue<string>());
        Assert.Equal("2026-10-31T15:00:00Z", november["start_timestamp"]!.GetValue<string>());
        Assert.Equal("2026-11-30T15:00:00Z", november["end_timestamp"]!.GetValue<string>());
        // The plan took effect on 2026-11-24 (the fixture clock): October had no plan, so nothing in it is priced.
        Assert.Equal("0", october["amount"]!.GetValue<string>());
        // November: fee 99.00 + (600 − 100) × 0.01 = 5.00 → 104.00 (had the October event counted here: 115.00).
        Assert.Equal("10400", november["amount"]!.GetValue<string>());
        Assert.Equal("0", items[0]["amount"]!.GetValue<string>());
        Assert.All(items, i => Assert.Equal("USD", i["currency_code"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Usage_details_list_each_object_and_its_query_yields_the_hourly_breakdown()
    {
        var s = await SetUpAsync();
        await IngestAsync(
            Event(s, s.Requests, 10, "2026-11-05T10:05:00Z", objectName: "lb-1"),
            Event(s, s.Requests, 15, "2026-11-05T10:55:00Z", objectName: "lb-1"),
            Event(s, s.Requests, 7, "2026-11-05T13:00:00Z", objectName: "lb-1"),
            Event(s, s.Requests, 3, "2026-11-05T10:00:00Z", objectName: "lb-2", ns: "default"));
        using var client = fx.Client(s.Token);

        var details = await PostOkAsync(client, "/api/web/namespaces/system/usage_details", new { }, "usageListUsageDetailsResp");

        var rows = details["usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.Equal(2, rows.Count);
        var lb1 = Assert.Single(rows, r => r["object_name"]!.GetValue<string>() == "lb-1");
        Assert.Equal("system", lb1["namespace"]!.GetValue<string>());
        Assert.Equal(s.Requests, lb1["metric_label"]!.GetValue<string>());
        Assert.Equal("HTTP requests", lb1["usage_type"]!.GetValue<string>());
        Assert.Equal(32d, lb1["quantity"]!.GetValue<double>());

        var hourly = await PostOkAsync(
            client, "/api/web/namespaces/system/hourly_usage_details", new { query = lb1["hourly_breakdown_query"]!.GetValue<string>() }, "usageListHourlyUsageDetailsResp");

        var hours = hourly["hourly_usage_items"]!.AsArray().Select(i => i!.AsObject()).ToList();
        Assert.Equal(2, hours.Count);
        Assert.Equal("2026-11-05T10:00:00Z", hours[0]["start_timestamp"]!.GetValue<string>());
        Assert.Equal("2026-11-05T11:00:00Z", hours[0]["end_timestamp"]!.GetValue<string>());
        Assert.Equal(25d, hours[0]["quantity"]!.GetValue<double>());
        Assert.Equal(7d, hours[1]["quantity"]!.GetValue<double>());
        Assert.Equal("requests", hours[1]["unit_name"]!.GetValue<string>());

        var narrowed = await PostOkAsync(client, "/api/web/namespaces/default/usage_details", new { }, "");
        Assert.Equal("lb-2", Assert.Single(narrowed["usage_items"]!.AsArray())!["object_name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Another_tenants_or_a_forged_hourly_query_gets_400_and_no_data()
    {
        var a = await SetUpAsync();
        var b = await SetUpAsync();
        await IngestAsync(Event(a, a.Requests, 10, "2026-11-05T10:05:00Z"));
        using var clientA = fx.Client(a.Token);
        using var clientB = fx.Client(b.Token);
        var details = await PostOkAsync(clientA, "/api/web/namespaces/system/usage_details", new { }, "");
        var query = details["usage_items"]!.AsArray()[0]!["hourly_breakdown_query"]!.GetValue<string>();

        foreach (var (client, q) in new[] { (clientB, query), (clientA, "not-a-query"), (clientA, query[..^4]), (clientA, "") })
        {
            var response = await client.PostAsJsonAsync("/api/web/namespaces/system/hourly_usage_details", new { query = q });
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("query", text, StringComparison.Ordinal);
            Assert.DoesNotContain(a.Tenant, text, StringComparison.Ordinal);
            Assert.DoesNotContain("lb-1", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Usage_summary_reports_each_sku_in_usage_and_billable_units()
    {
        var s = await SetUpAsync();
        await IngestAsync(
            Event(s, s.Transfer, 512, "2026-11-24T08:30:00Z"),
            Event(s, s.Transfer, 512, "2026-11-24T09:30:00Z"),
            Event(s, s.Requests, 40, "2026-11-20T09:30:00Z"));
        using var client = fx.Client(s.Token);

        // No bounds: the last 6 hours (06:00–12:00), which hold the transfer but not the requests.
        var recentResponse = await client.PostAsJsonAsync("/api/data/namespaces/system/billing/usage_summary", new { });
        var recentText = await recentResponse.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, recentResponse.StatusCode);
        await Merged.AssertValidAsync("billingBillingUsageSummaryResponse", recentText);
        var recent = JsonNode.Parse(recentText)!.AsObject();
        var item = Assert.Single(recent["usage_summary_items"]!.AsArray())!;
        Assert.Equal("Data transfer", item["name"]!.GetValue<string>());
        Assert.Equal("f5xc-cdn", item["service"]!.GetValue<string>());
        Assert.Equal("MB", item["usage_metric_data"]!["unit"]!.GetValue<string>());
        Assert.Equal("1024", item["usage_metric_data"]!["metric_value"]!["value"]!.GetValue<string>());
        Assert.Equal("GB", item["billing_metric_data"]!["unit"]!.GetValue<string>());
        Assert.Equal("1", item["billing_metric_data"]!["value"]!.GetValue<string>());

        var start = new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var wide = await PostOkAsync(client, "/api/data/namespaces/system/billing/usage_summary", new { start_time = start, end_time = "2026-11-24T12:00:00Z" }, "");
        Assert.Equal(2, wide["usage_summary_items"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("""{"start_time":"soon"}""", "start_time")]
    [InlineData("""{"start_time":"2026-11-24T10:00:00Z","end_time":"2026-11-24T09:00:00Z"}""", "end_time")]
    [InlineData("""{"start_time":"1600000000","end_time":"1800000000"}""", "end_time")]
    [InlineData("""{"end_time":true}""", "end_time")]
    public async Task Bad_usage_summary_input_gets_400_naming_the_field(string json, string field)
    {
        var s = await SetUpAsync();
        using var client = fx.Client(s.Token);

        var response = await client.PostAsync("/api/data/namespaces/system/billing/usage_summary", TallyFixture.Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_types_follow_accept_language()
    {
        var s = await SetUpAsync();
        await IngestAsync(Event(s, s.Requests, 1, "2026-11-05T10:05:00Z"));
        using var client = fx.Client(s.Token);
        client.DefaultRequestHeaders.AcceptLanguage.ParseAdd("ja-JP,en;q=0.5");

        var body = await PostOkAsync(client, "/api/web/namespaces/system/usage_details", new { }, "");

        Assert.Equal("HTTPリクエスト", body["usage_items"]!.AsArray()[0]!["usage_type"]!.GetValue<string>());
    }

    public static TheoryData<string> Routes => new()
    {
        "/api/web/namespaces/{ns}/current_usage",
        "/api/web/namespaces/{ns}/monthly_usage",
        "/api/web/namespaces/{ns}/usage_details",
        "/api/web/namespaces/{ns}/hourly_usage_details",
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Another_tenants_namespace_is_404_and_the_operator_is_403_and_no_usage_permission_is_403(string route)
    {
        var a = await SetUpAsync();
        var other = await fx.CreateTenantAsync("elsewhere");
        var (_, otherToken) = await fx.CreateTokenAsync(other);
        var (_, quotaOnly) = await fx.CreateTokenAsync(a.Tenant, permissions: ["quota"]);

        using var foreign = fx.Client(otherToken);
        var response = await foreign.PostAsJsonAsync(route.Replace("{ns}", "default", StringComparison.Ordinal), new { });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(a.Tenant, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var op = fx.Operator();
        Assert.Equal(HttpStatusCode.Forbidden, (await op.PostAsJsonAsync(route.Replace("{ns}", "system", StringComparison.Ordinal), new { })).StatusCode);

        using var restricted = fx.Client(quotaOnly);
        Assert.Equal(HttpStatusCode.Forbidden, (await restricted.PostAsJsonAsync(route.Replace("{ns}", "system", StringComparison.Ordinal), new { })).StatusCode);
    }

    [Fact]
    public async Task One_tenant_never_sees_another_tenants_usage()
    {
        var a = await SetUpAsync();
        var b = await SetUpAsync();
        await IngestAsync(Event(a, a.Requests, 5000, "2026-11-05T10:05:00Z"));
        using var clientB = fx.Client(b.Token);

        var details = await PostOkAsync(clientB, "/api/web/namespaces/system/usage_details", new { }, "");
        var current = await PostOkAsync(clientB, "/api/web/namespaces/system/current_usage", new { }, "");

        Assert.Empty(details["usage_items"]!.AsArray());
        Assert.Equal("9900", current["total_cost"]!.GetValue<string>());
    }
}

public sealed class F5UsageApiTestsOnSqlite(SqliteFixture fx) : F5UsageApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5UsageApiTestsOnPostgres(PostgresFixture fx) : F5UsageApiTests(fx), IClassFixture<PostgresFixture>;
