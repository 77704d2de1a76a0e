using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Subscriptions;

/// <summary>
/// Catalog entries and calls for the subscription tests. Add-on names are F5's fixed keys, so the kit gives each key one
/// fixed definition (writing it again changes nothing); plans are fresh per test.
/// </summary>
internal static class SubscriptionTestKit
{
    public const string Waap = "f5xc_waap_standard";
    public const string Cdn = "f5xc_content_delivery_network_standard";
    public const string AppStack = "f5xc_appstack_standard";
    public const string SecureMesh = "f5xc_securemesh_standard";

    /// <summary>An F5 key no test puts in the catalog.</summary>
    public const string NotInCatalog = "f5xc_web_app_scanning_standard";

    /// <summary>Monthly prices of the kit's add-ons, in USD cents.</summary>
    public static readonly IReadOnlyDictionary<string, long> MonthlyCents = new Dictionary<string, long>
    {
        [Waap] = 30000,
        [Cdn] = 4500,
        [AppStack] = 1999,
        [SecureMesh] = 12345,
    };

    public static readonly F5Schema UsageSubscription = new("docs-cloud-f5-com.0224.public.ves.io.schema.usage.subscription.ves-swagger.json");

    public static readonly F5Schema Subscription = new("docs-cloud-f5-com.0225.public.ves.io.schema.subscription.ves-swagger.json");

    public static readonly F5Schema UsageSchema = new("docs-cloud-f5-com.0249.public.ves.io.schema.usage.ves-swagger.json");

    public static async Task EnsureAddOnsAsync(HttpClient op)
    {
        foreach (var (name, cents) in MonthlyCents)
        {
            var price = (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);
            var response = await op.PutAsync($"/api/admin/addons/{name}", TallyFixture.Json(
                $$"""{"display_name":"{{DisplayName(name)}}","currency":"USD","monthly_price":"{{price}}"}"""));
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        }
    }

    public static string DisplayName(string addOn) => addOn switch
    {
        Waap => "WAAP Standard",
        Cdn => "CDN Standard",
        AppStack => "AppStack Standard",
        _ => "SecureMesh Standard",
    };

    /// <summary>Puts a fresh USD plan (no metric prices) and returns its name.</summary>
    public static async Task<string> NewPlanAsync(
        HttpClient op, string[]? included = null, string[]? allowed = null, int trialDays = 0, string flat = "50.00", string title = "Team")
    {
        var name = "p-" + Guid.NewGuid().ToString("N")[..10];
        var trial = trialDays > 0 ? $"\"trial_period\":{trialDays},\"trial_period_unit\":\"PERIOD_DAY\"," : "";
        var json = $$"""
            {"title":"{{title}}","titles":{"ja":"{{title}} (ja)"},"currency":"USD","flat_price":"{{flat}}","usage_plan_type":"TEAM",{{trial}}
             "included_addon_services":[{{List(included)}}],"allowed_addon_services":[{{List(allowed)}}]}
            """;
        var response = await op.PutAsync($"/api/admin/plans/{name}", TallyFixture.Json(json));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    private static string List(string[]? names) => string.Join(",", (names ?? []).Select(n => $"\"{n}\""));

    public static async Task AssignAsync(HttpClient op, string tenant, string plan)
    {
        var response = await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    public static StringContent Choice(string addOn) => TallyFixture.Json("{\"" + addOn + "\":{}}");

    public static Task<HttpResponseMessage> SubscribeAsync(HttpClient client, string addOn) =>
        client.PostAsync("/api/web/namespaces/system/addon/subscribe", Choice(addOn));

    public static Task<HttpResponseMessage> UnsubscribeAsync(HttpClient client, string addOn) =>
        client.PostAsync("/api/web/namespaces/system/addon/unsubscribe", Choice(addOn));

    /// <summary>Asserts 200 with <c>{}</c>, valid against F5's response schema.</summary>
    public static async Task AssertEmptyOkAsync(HttpResponseMessage response, string component)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        Assert.Equal("{}", text);
        await Subscription.AssertValidAsync(component, text);
    }

    /// <summary>Asserts a 409 problem whose detail contains <paramref name="text"/>.</summary>
    public static async Task AssertConflictAsync(HttpResponseMessage response, string text)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"expected 409, got {(int)response.StatusCode} {body}");
        Assert.Contains(text, (string?)JsonNode.Parse(body)!["detail"] ?? "", StringComparison.Ordinal);
    }

    /// <summary>The operator view of the tenant's subscriptions.</summary>
    public static async Task<JsonObject> OperatorViewAsync(HttpClient op, string tenant)
    {
        var response = await op.GetAsync($"/api/admin/tenants/{tenant}/subscriptions");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static List<JsonObject> AddOnRows(JsonObject view, string addOn) =>
        [.. view["addons"]!.AsArray().Select(a => a!.AsObject()).Where(a => (string?)a["addon"] == addOn)];

    public static DateTimeOffset Instant(JsonNode? node) =>
        DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    /// <summary>F5's wire form of an instant (RFC 3339, UTC, whole seconds without a fraction).</summary>
    public static string Wire(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString(instant.Millisecond == 0 && instant.Microsecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
