using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.PaymentMethods;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Features.Usage;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;

namespace Tally.Server.Tests.Usage;

/// <summary>What <c>tally serve --demo</c> seeds: a tenant on the demo team plan whose usage endpoints show data at once.</summary>
public abstract class DemoUsageTests(TallyFixture fx)
{
    [Fact]
    public async Task Demo_usage_fills_the_current_and_previous_months_and_seeding_again_adds_nothing()
    {
        await fx.Services.GetRequiredService<CatalogLoader>().LoadDemoAsync(CancellationToken.None);
        var tenant = await fx.CreateTenantAsync("default");
        await fx.Services.GetRequiredService<CatalogLoader>().AssignDemoPlanAsync(tenant, fx.Clock.GetUtcNow().AddDays(-DemoUsage.Days), CancellationToken.None);
        var store = fx.Services.GetRequiredService<UsageIngestStore>();

        var first = await DemoUsage.SeedAsync(store, tenant, fx.Clock, CancellationToken.None);
        var again = await DemoUsage.SeedAsync(store, tenant, fx.Clock, CancellationToken.None);

        Assert.True(first > DemoUsage.Days * 24 * 2 * 9, $"{first} events");
        Assert.Equal(0, again);
        var (_, token) = await fx.CreateTokenAsync(tenant, role: "viewer");
        using var client = fx.Client(token);
        var current = await TallyFixture.ReadObjectAsync(await client.PostAsJsonAsync("/api/web/namespaces/system/current_usage", new { }));
        var items = current["usage_items"]!.AsArray();
        Assert.Contains(items, i => !i!["fixed"]!.GetValue<bool>() && i["status"]!.GetValue<string>() == "STATUS_ACTIVE" && long.Parse(i["amount"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        var monthly = await client.PostAsJsonAsync("/api/web/namespaces/system/monthly_usage", new { });
        Assert.Equal(HttpStatusCode.OK, monthly.StatusCode);
        var months = (await TallyFixture.ReadObjectAsync(monthly))["monthly_usage_items"]!.AsArray();
        Assert.NotEqual("0", months[^2]!["amount"]!.GetValue<string>());
        Assert.Equal("0", months[^4]!["amount"]!.GetValue<string>());
    }

    [Fact]
    public async Task Demo_billing_gives_the_tenant_a_primary_test_card_and_an_add_on_once()
    {
        await fx.Services.GetRequiredService<CatalogLoader>().LoadDemoAsync(CancellationToken.None);
        var tenant = await fx.CreateTenantAsync();
        await fx.Services.GetRequiredService<CatalogLoader>().AssignDemoPlanAsync(tenant, fx.Clock.GetUtcNow().AddDays(-DemoUsage.Days), CancellationToken.None);
        var services = (fx.Services.GetRequiredService<TallyDatabase>(), fx.Services.GetRequiredService<CatalogService>(), fx.Services.GetRequiredService<PaymentMethodService>());

        var first = await DemoSubscriptions.SeedAsync(services.Item1, services.Item2, services.Item3, tenant, fx.Clock.GetUtcNow(), CancellationToken.None);
        var again = await DemoSubscriptions.SeedAsync(services.Item1, services.Item2, services.Item3, tenant, fx.Clock.GetUtcNow(), CancellationToken.None);

        Assert.True(first);
        Assert.False(again);
        using var op = fx.Operator();
        var card = Assert.Single((await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tenants/{tenant}/payment_methods")))["items"]!.AsArray())!;
        Assert.Equal("PAYMENT_METHOD_ROLE_PRIMARY", (string?)card["role"]);
        Assert.Equal("4242", (string?)card["last4"]);
        var addOn = Assert.Single((await TallyFixture.ReadObjectAsync(await op.GetAsync($"/api/admin/tenants/{tenant}/subscriptions")))["addons"]!.AsArray())!;
        Assert.Equal(DemoSubscriptions.DemoAddOn, (string?)addOn["addon"]);
        Assert.Equal(fx.Clock.GetUtcNow().AddDays(-DemoSubscriptions.AddOnDays), DateTimeOffset.Parse((string)addOn["starts_at"]!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(addOn["ends_at"]);
    }
}

public sealed class DemoUsageTestsOnSqlite(SqliteFixture fx) : DemoUsageTests(fx), IClassFixture<SqliteFixture>;

public sealed class DemoUsageTestsOnPostgres(PostgresFixture fx) : DemoUsageTests(fx), IClassFixture<PostgresFixture>;
