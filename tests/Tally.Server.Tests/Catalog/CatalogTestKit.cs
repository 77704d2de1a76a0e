using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Catalog;

/// <summary>Names, bodies and calls for the catalog tests. The catalog is operator-wide, so every test uses fresh names.</summary>
internal static class CatalogTestKit
{
    public static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public static string MetricJson(string display = "HTTP requests") => """
        {"display_name":"__DISPLAY__","unit_name":"requests","billable_unit_name":"requests","divisor":"1","aggregation":"sum",
         "service":"f5xc-waap-standard","sku":"F5-XC-WAAP-REQ","display_names":{"ja":"HTTP リクエスト","de":"HTTP-Anfragen"}}
        """.Replace("__DISPLAY__", display, StringComparison.Ordinal);

    public static string AddOnJson(string metric, string monthly = "200.00") => """
        {"display_name":"WAAP Standard","display_names":{"ko":"WAAP 스탠다드"},"currency":"USD","monthly_price":"__MONTHLY__",
         "prices":[{"metric":"__METRIC__","model":"per_unit","included":"10","unit_price":"0.5"}]}
        """.Replace("__MONTHLY__", monthly, StringComparison.Ordinal).Replace("__METRIC__", metric, StringComparison.Ordinal);

    /// <summary>The example plan with its <c>requests</c> metric replaced by <paramref name="metric"/>, plus an add-on list.</summary>
    public static string PlanJson(string metric, string? addOn = null, string currency = "USD", string flat = "99.00") => """
        {"title":"Team","subtitle":"For teams","description":"### Team","titles":{"ja":"チーム","zh-TW":"團隊","de":"Team-Tarif","ko":"팀"},
         "subtitles":{"ja":"チーム向け"},"descriptions":{"de":"### Team (de)"},
         "currency":"__CURRENCY__","flat_price":"__FLAT__","setup_fee":"10.00","usage_plan_type":"TEAM","tenant_type":"ENTERPRISE","billing_mode":"postpaid",
         "trial_period":14,"trial_period_unit":"PERIOD_DAY",
         "transition_flow":{"method":"TRANSITION_METHOD_WIZARD","required_fields":["TRANSITION_REQUIRED_FIELD_PAYMENT_TOKEN"],"requires_manual_approval":true},
         "prices":[{"metric":"__METRIC__","model":"graduated","included":"100","tiers":[{"up_to":"1000000","unit_price":"0.01"},{"up_to":null,"unit_price":"0.005"}]}],
         "default_quota":{"object_limits":{"http_loadbalancer":{"maximum":10},"origin_pool":{"maximum":20}},"resource_limits":{"cpu":{"maximum":4}},
                          "api_limits":{"ves.io.schema.quota.API.List":{"rate":50,"burst":5,"unit":"per-second"}}},
         "included_addon_services":[__ADDON__],"allowed_addon_services":[]}
        """.Replace("__CURRENCY__", currency, StringComparison.Ordinal).Replace("__FLAT__", flat, StringComparison.Ordinal)
        .Replace("__METRIC__", metric, StringComparison.Ordinal).Replace("__ADDON__", addOn is null ? "" : $"\"{addOn}\"", StringComparison.Ordinal);

    public static async Task<JsonObject> PutAsync(HttpClient client, string path, string json, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var response = await client.PutAsync(path, TallyFixture.Json(json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"PUT {path}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<string> NewMetricAsync(HttpClient client)
    {
        var name = NewName("m");
        await PutAsync(client, $"/api/admin/metrics/{name}", MetricJson());
        return name;
    }

    public static async Task<string> NewAddOnAsync(HttpClient client, string metric)
    {
        var name = NewName("addon");
        await PutAsync(client, $"/api/admin/addons/{name}", AddOnJson(metric));
        return name;
    }

    public static async Task<string> NewPlanAsync(HttpClient client, string metric, string? addOn = null, string currency = "USD", string flat = "99.00")
    {
        var name = NewName("p");
        await PutAsync(client, $"/api/admin/plans/{name}", PlanJson(metric, addOn, currency, flat));
        return name;
    }

    public static async Task AssignAsync(HttpClient op, string tenant, string plan)
    {
        var response = await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"assign {plan} to {tenant}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonObject> GetJsonAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Asserts a 400 problem+json naming <paramref name="field"/>.</summary>
    public static async Task AssertBadRequestAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400 naming {field}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(field, (string?)JsonNode.Parse(text)!["field"]);
    }

    public static async Task<string> ProblemDetailAsync(HttpResponseMessage response) =>
        (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"] ?? "";
}
