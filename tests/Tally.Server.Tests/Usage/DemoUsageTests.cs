using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Features.Catalog;
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
}

public sealed class DemoUsageTestsOnSqlite(SqliteFixture fx) : DemoUsageTests(fx), IClassFixture<SqliteFixture>;

public sealed class DemoUsageTestsOnPostgres(PostgresFixture fx) : DemoUsageTests(fx), IClassFixture<PostgresFixture>;
