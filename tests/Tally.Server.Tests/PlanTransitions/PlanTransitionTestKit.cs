using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Tally.Server.Tests.Infrastructure;
using static Tally.Server.Tests.Catalog.CatalogTestKit;

namespace Tally.Server.Tests.PlanTransitions;

/// <summary>Plans with chosen transition flows, a tenant with an admin token, and the transition calls.</summary>
public static class PlanTransitionTestKit
{
    public const string InitiatePath = "/api/web/namespaces/system/billing/plan_transition";

    public const string StatePath = "/no_auth/namespaces/system/billing/plan_transition";

    public static F5Schema Schema { get; } = new("docs-cloud-f5-com.0181.public.ves.io.schema.billing.plan_transition.ves-swagger.json");

    /// <summary>
    /// Puts a plan with the given flat price, transition flow (required fields as F5 enum names) and add-ons; returns its name.
    /// </summary>
    public static async Task<string> NewPlanAsync(
        HttpClient op, string flat = "99.00", string method = "TRANSITION_METHOD_WIZARD", bool manual = false,
        string[]? required = null, string[]? allowed = null, string[]? included = null, string currency = "USD")
    {
        var name = NewName("p");
        var body = new JsonObject
        {
            ["title"] = "Plan " + name,
            ["currency"] = currency,
            ["flat_price"] = flat,
            ["usage_plan_type"] = "TEAM",
            ["billing_mode"] = "postpaid",
            ["transition_flow"] = new JsonObject
            {
                ["method"] = method,
                ["required_fields"] = new JsonArray([.. (required ?? []).Select(r => (JsonNode)r)]),
                ["requires_manual_approval"] = manual,
            },
            ["included_addon_services"] = new JsonArray([.. (included ?? []).Select(a => (JsonNode)a)]),
            ["allowed_addon_services"] = new JsonArray([.. (allowed ?? []).Select(a => (JsonNode)a)]),
        };
        await PutAsync(op, $"/api/admin/plans/{name}", body.ToJsonString());
        return name;
    }

    public static async Task<string> NewAddOnAsync(HttpClient op, string monthly = "20.00")
    {
        var name = NewName("addon");
        await PutAsync(op, $"/api/admin/addons/{name}", $$"""{"display_name":"Add-on {{name}}","currency":"USD","monthly_price":"{{monthly}}"}""");
        return name;
    }

    /// <summary>A new tenant on <paramref name="plan"/> (or none) and a tenant admin token for it.</summary>
    public static async Task<(string Tenant, HttpClient Admin)> NewTenantAsync(TallyFixture fx, string? plan = null)
    {
        var tenant = await fx.CreateTenantAsync();
        if (plan is not null)
        {
            using var op = fx.Operator();
            await AssignAsync(op, tenant, plan);
        }

        var (_, secret) = await fx.CreateTokenAsync(tenant, "admin");
        return (tenant, fx.Client(secret));
    }

    public static Task<HttpResponseMessage> InitiateAsync(HttpClient client, string newPlan, object? payload = null) =>
        client.PostAsJsonAsync(InitiatePath, new { @namespace = "system", new_plan = newPlan, payload = payload ?? new { } });

    /// <summary>Initiates and asserts 200; returns the response body.</summary>
    public static async Task<JsonObject> InitiateOkAsync(HttpClient client, string newPlan, object? payload = null)
    {
        var response = await InitiateAsync(client, newPlan, payload);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"initiate {newPlan}: {(int)response.StatusCode} {text}");
        await Schema.AssertValidAsync("plan_transitionInitiatePlanTransitionRsp", text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The state through the token-less F5 route (asserting its schema and that it holds nothing else).</summary>
    public static async Task<string> StateAsync(TallyFixture fx, string id)
    {
        using var anonymous = fx.Client(null);
        var response = await anonymous.GetAsync($"{StatePath}?id={id}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"state of {id}: {(int)response.StatusCode} {text}");
        await Schema.AssertValidAsync("plan_transitionGetPlanTransitionRsp", text);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(["state"], body.Select(p => p.Key));
        return (string)body["state"]!;
    }

    /// <summary>The operator's view of one transition.</summary>
    public static async Task<JsonObject> OperatorViewAsync(TallyFixture fx, string tenant, string id)
    {
        using var op = fx.Operator();
        var list = await GetJsonAsync(op, $"/api/admin/plan_transitions?tenant={tenant}");
        return list["items"]!.AsArray().Single(i => (string?)i!["id"] == id)!.AsObject();
    }

    public static async Task<string?> CurrentPlanAsync(TallyFixture fx, string tenant)
    {
        using var op = fx.Operator();
        var response = await op.GetAsync($"/api/admin/tenants/{tenant}/plan");
        return response.StatusCode == HttpStatusCode.NotFound ? null : (string?)(await TallyFixture.ReadObjectAsync(response))["plan"];
    }
}
