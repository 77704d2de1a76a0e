using System.Net;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Host;

/// <summary>Every authenticated route refuses a missing, unknown, revoked or expired token with 401 and reveals nothing.</summary>
public abstract class EveryRouteAuthTests(TallyFixture fx)
{
    public static TheoryData<string, string> Routes => new()
    {
        { "POST", "/api/admin/tenants" },
        { "GET", "/api/admin/tenants" },
        { "GET", "/api/admin/tenants/{tenant}" },
        { "PATCH", "/api/admin/tenants/{tenant}" },
        { "POST", "/api/admin/tenants/{tenant}/namespaces" },
        { "GET", "/api/admin/tenants/{tenant}/namespaces" },
        { "DELETE", "/api/admin/tenants/{tenant}/namespaces/default" },
        { "POST", "/api/admin/tokens" },
        { "GET", "/api/admin/tokens" },
        { "DELETE", "/api/admin/tokens/abc" },
        { "POST", "/api/admin/tenants/{tenant}/quota/admit" },
        { "POST", "/api/admin/tenants/{tenant}/quota/release" },
        { "PUT", "/api/admin/tenants/{tenant}/quota/counts" },
        { "POST", "/api/web/namespaces/system/quotas" },
        { "PUT", "/api/web/namespaces/system/quotas/q" },
        { "GET", "/api/web/namespaces/system/quotas" },
        { "GET", "/api/web/namespaces/system/quotas/q" },
        { "DELETE", "/api/web/namespaces/system/quotas/q" },
        { "GET", "/api/web/namespaces/system/quota/limits" },
        { "GET", "/api/web/namespaces/system/quota/usage" },
        { "PUT", "/api/admin/metrics/m" },
        { "GET", "/api/admin/metrics/m" },
        { "DELETE", "/api/admin/metrics/m" },
        { "GET", "/api/admin/metrics" },
        { "PUT", "/api/admin/plans/p" },
        { "GET", "/api/admin/plans/p" },
        { "DELETE", "/api/admin/plans/p" },
        { "GET", "/api/admin/plans" },
        { "PUT", "/api/admin/addons/a" },
        { "GET", "/api/admin/addons/a" },
        { "DELETE", "/api/admin/addons/a" },
        { "GET", "/api/admin/addons" },
        { "PUT", "/api/admin/tenants/{tenant}/plan" },
        { "GET", "/api/admin/tenants/{tenant}/plan" },
        { "GET", "/api/web/namespaces/system/usage_plans/current" },
        { "GET", "/api/web/namespaces/system/usage_plans/custom_list" },
        { "POST", "/api/admin/usage/events" },
        { "POST", "/api/web/namespaces/system/current_usage" },
        { "POST", "/api/web/namespaces/system/monthly_usage" },
        { "POST", "/api/web/namespaces/system/usage_details" },
        { "POST", "/api/web/namespaces/system/hourly_usage_details" },
        { "POST", "/api/data/namespaces/system/billing/usage_summary" },
        { "POST", "/api/web/namespaces/system/billing/plan_transition" },
        { "GET", "/api/admin/plan_transitions" },
        { "POST", "/api/admin/plan_transitions/00000000-0000-0000-0000-000000000000/approve" },
        { "POST", "/api/admin/plan_transitions/00000000-0000-0000-0000-000000000000/reject" },
        { "POST", "/api/web/namespaces/system/billing/payment_methods" },
        { "DELETE", "/api/web/namespaces/system/billing/payment_methods/pm" },
        { "POST", "/api/web/namespaces/system/billing/payment_method/pm/primary" },
        { "POST", "/api/web/namespaces/system/billing/payment_method/pm/secondary" },
        { "POST", "/api/web/namespaces/system/billing/payment_method/pm/swap-primary" },
        { "GET", "/api/admin/tenants/{tenant}/payment_methods" },
        { "GET", "/api/web/namespaces/system/subscriptions/custom_list" },
        { "POST", "/api/web/namespaces/system/addon/subscribe" },
        { "POST", "/api/web/namespaces/system/addon/unsubscribe" },
        { "GET", "/api/admin/tenants/{tenant}/subscriptions" },
        { "POST", "/api/admin/billing/runs" },
        { "GET", "/api/admin/billing/runs" },
        { "GET", "/api/admin/billing/runs/run-00000000-0000-0000-0000-000000000000" },
        { "GET", "/api/web/namespaces/system/usage/invoices/custom_list" },
        { "GET", "/api/web/namespaces/system/usage/invoice_pdf" },
    };

    [Fact]
    public void The_route_list_names_every_route_that_needs_a_token()
    {
        var routes = Routes.Select(r => ((string)r[0], (string)r[1])).ToList();
        var missing = fx.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.TrimStart('/').StartsWith("api/", StringComparison.Ordinal))
            // 3scale Billing API routes answer 3scale's 403 "Access denied" instead of 401 (ThreeScaleAuthTests).
            .Where(e => e.Metadata.GetMetadata<Tally.Server.Features.ThreeScale.ThreeScaleRoute>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => (Method: m, Pattern: e.RoutePattern.RawText!)))
            .Where(e => !routes.Any(r => r.Item1 == e.Method && Matches(e.Pattern, r.Item2)))
            .Select(e => $"{e.Method} {e.Pattern}")
            .ToList();

        Assert.True(missing.Count == 0, "Add to Routes: " + string.Join(", ", missing));
    }

    private static bool Matches(string pattern, string path) =>
        new TemplateMatcher(TemplateParser.Parse(pattern.TrimStart('/')), []).TryMatch(path, []);

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task A_missing_unknown_revoked_or_expired_token_gets_401(string method, string route)
    {
        var tenant = await fx.CreateTenantAsync("default");
        var (revokedId, revoked) = await fx.CreateTokenAsync(tenant, scopes: ["quota:admit"]);
        var (_, expiring) = await fx.CreateTokenAsync(tenant, scopes: ["quota:admit"], expiresAt: fx.Clock.GetUtcNow().AddSeconds(30));
        using (var op = fx.Operator())
        {
            Assert.Equal(HttpStatusCode.NoContent, (await op.DeleteAsync($"/api/admin/tokens/{revokedId}")).StatusCode);
        }

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        var url = route.Replace("{tenant}", tenant, StringComparison.Ordinal);

        foreach (var token in new[] { null, "tly_unknown_0000000000000000000000000000000000000", revoked, expiring })
        {
            using var client = fx.Client(token);
            using var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = method is "GET" or "DELETE" ? null : TallyFixture.Json("{}") };
            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain(tenant, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }
}

public sealed class EveryRouteAuthTestsOnSqlite(SqliteFixture fx) : EveryRouteAuthTests(fx), IClassFixture<SqliteFixture>;

public sealed class EveryRouteAuthTestsOnPostgres(PostgresFixture fx) : EveryRouteAuthTests(fx), IClassFixture<PostgresFixture>;
