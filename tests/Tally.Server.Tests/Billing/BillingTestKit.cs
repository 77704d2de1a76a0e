using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Features.Billing;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Billing;

/// <summary>Tenants, catalog entries, usage and billing calls for the billing tests. Names are fresh per call.</summary>
internal sealed class BillingTestKit(TallyFixture fx)
{
    public TallyFixture Fx => fx;

    public static DateTimeOffset At(string rfc3339) => DateTimeOffset.Parse(rfc3339, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

    /// <summary>Creates a tenant with the given billing settings and returns its name.</summary>
    public async Task<string> TenantAsync(string currency = "USD", string zone = "UTC", string vat = "0", string mode = "postpaid", string locale = "en")
    {
        var name = TallyFixture.NewTenantName();
        using var op = fx.Operator();
        var response = await op.PostAsJsonAsync("/api/admin/tenants", new
        {
            name, display_name = "Tenant " + name, currency, time_zone = zone, locale, billing_mode = mode, vat_rate = vat,
            address = new Dictionary<string, string> { ["line1"] = "1 Main St", ["city"] = "Springfield", ["zip"] = "12345", ["country"] = "US" },
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    /// <summary>Puts a sum metric with divisor 1 and returns its name.</summary>
    public async Task<string> MetricAsync(string display = "Requests")
    {
        var name = "m-" + Guid.NewGuid().ToString("N")[..10];
        using var op = fx.Operator();
        var response = await op.PutAsync($"/api/admin/metrics/{name}", TallyFixture.Json(
            $$"""{"display_name":"{{display}}","unit_name":"requests","billable_unit_name":"requests","divisor":"1","aggregation":"sum","service":"svc","sku":"SKU"}"""));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return name;
    }

    /// <summary>Puts a plan and returns its name. <paramref name="pricesJson"/> is the JSON array of metric prices.</summary>
    public async Task<string> PlanAsync(string flat, string currency = "USD", string title = "Team", int trialDays = 0, string setup = "0", string pricesJson = "[]", string[]? allowedAddOns = null)
    {
        var name = "p-" + Guid.NewGuid().ToString("N")[..10];
        var trial = trialDays > 0 ? $"\"trial_period\":{trialDays},\"trial_period_unit\":\"PERIOD_DAY\"," : "";
        var allowed = string.Join(",", (allowedAddOns ?? []).Select(a => $"\"{a}\""));
        using var op = fx.Operator();
        var response = await op.PutAsync($"/api/admin/plans/{name}", TallyFixture.Json($$"""
            {"title":"{{title}}","currency":"{{currency}}","flat_price":"{{flat}}","setup_fee":"{{setup}}","usage_plan_type":"TEAM",{{trial}}
             "prices":{{pricesJson}},"allowed_addon_services":[{{allowed}}]}
            """));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return name;
    }

    /// <summary>Puts the tenant on <paramref name="plan"/> from <paramref name="effectiveAt"/> (asserts 200).</summary>
    public async Task AssignAsync(string tenant, string plan, string effectiveAt)
    {
        using var op = fx.Operator();
        var response = await op.PutAsJsonAsync($"/api/admin/tenants/{tenant}/plan", new { plan, effective_at = effectiveAt });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Ingests events (asserts every one accepted).</summary>
    public async Task UsageAsync(string tenant, string metric, params (string Timestamp, decimal Quantity)[] events)
    {
        using var op = fx.Operator();
        var body = new JsonObject
        {
            ["events"] = new JsonArray([.. events.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = Guid.NewGuid().ToString("N"),
                ["tenant"] = tenant,
                ["namespace"] = "system",
                ["metric"] = metric,
                ["quantity"] = e.Quantity,
                ["timestamp"] = e.Timestamp,
            })]),
        };
        var response = await op.PostAsync("/api/admin/usage/events", TallyFixture.Json(body.ToJsonString()));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal(events.Length, (int)JsonNode.Parse(text)!["accepted"]!);
    }

    public Task<TenantBillingResult> BillAsync(string tenant, string asOf, bool dryRun = false) =>
        fx.Services.GetRequiredService<BillingEngine>().BillTenantAsync(tenant, At(asOf), dryRun, CancellationToken.None);

    public Task<TenantBillingResult> BillNowAsync(string tenant, bool dryRun = false) =>
        fx.Services.GetRequiredService<BillingEngine>().BillTenantAsync(tenant, fx.Clock.GetUtcNow(), dryRun, CancellationToken.None);

    /// <summary>The tenant's invoices by id, each with its lines by id.</summary>
    public async Task<List<(InvoiceRow Invoice, List<InvoiceLineItemRow> Lines)>> InvoicesAsync(string tenant)
    {
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        var invoices = await db.Invoices.AsNoTracking().Where(i => i.TenantId == tenant).OrderBy(i => i.Id).ToListAsync();
        var lines = await db.InvoiceLineItems.AsNoTracking().Where(l => l.TenantId == tenant).OrderBy(l => l.Id).ToListAsync();
        return [.. invoices.Select(i => (i, lines.Where(l => l.InvoiceId == i.Id).ToList()))];
    }

    public async Task<List<PaymentTransactionRow>> TransactionsAsync(string tenant)
    {
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        return await db.PaymentTransactions.AsNoTracking().Where(t => t.TenantId == tenant).OrderBy(t => t.Id).ToListAsync();
    }

    /// <summary>Adds an add-on subscription row directly (the API only subscribes from now on).</summary>
    public async Task AddOnSubscriptionAsync(string tenant, string addOn, string from, string? to)
    {
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        db.AddOnSubscriptions.Add(new AddOnSubscriptionRow
        {
            TenantId = tenant, Id = "sub-" + Guid.NewGuid().ToString("D"), AddOn = addOn, StartsAt = At(from), EndsAt = to is null ? null : At(to), CreatedAt = At(from),
        });
        await db.SaveChangesAsync();
    }

    /// <summary>"(name amount)" of each line, for readable assertions.</summary>
    public static string[] Describe(List<InvoiceLineItemRow> lines) => [.. lines.Select(l => $"{l.Name} {l.AmountMinor}")];
}
