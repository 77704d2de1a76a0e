using Microsoft.EntityFrameworkCore;
using Tally.Domain.Access;
using Tally.Server.Auth;
using Tally.Server.Features.Billing;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.PaymentMethods;
using Tally.Server.Features.Subscriptions;
using Tally.Server.Features.Usage;
using Tally.Storage;

namespace Tally.Server.Hosting;

/// <summary>What the CLI verbs do, apart from parsing.</summary>
public static class Cli
{
    /// <summary>Migrates, bootstraps, optionally seeds the demo, then serves until SIGTERM/SIGINT (in-flight requests drain, up to 30 s).</summary>
    public static async Task<int> ServeAsync(TallyOptions options)
    {
        if (!PaymentGateways.IsKnown(options.PaymentGateway))
        {
            await Console.Error.WriteLineAsync($"Cannot start: {PaymentGateways.UnknownMessage(options.PaymentGateway)}");
            return 2;
        }

        var builder = TallyApp.CreateBuilder(options);
        var app = TallyApp.Configure(builder.Build());
        var database = app.Services.GetRequiredService<TallyDatabase>();
        var clock = app.Services.GetRequiredService<TimeProvider>();
        await database.MigrateAsync();
        string? generated;
        try
        {
            generated = await Bootstrap.EnsureOperatorTokenAsync(database, options.BootstrapToken, clock, CancellationToken.None);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        if (generated is not null)
        {
            Console.WriteLine($"Operator admin token (shown once, store it now): {generated}");
        }

        var catalog = app.Services.GetRequiredService<CatalogLoader>();
        try
        {
            if (options.Demo)
            {
                Report("demo catalog", await catalog.LoadDemoAsync(CancellationToken.None));
            }

            if (options.CatalogFile is { } file)
            {
                Report($"catalog file '{file}'", await catalog.LoadFileAsync(file, CancellationToken.None));
            }
        }
        catch (CatalogLoadException e)
        {
            await Console.Error.WriteLineAsync($"Cannot start: {e.Message}");
            return 2;
        }

        if (options.Demo)
        {
            Console.WriteLine($"Demo tenant '{Bootstrap.DemoTenant}' admin token: {await Bootstrap.SeedDemoAsync(database, clock, CancellationToken.None)}");
            await catalog.AssignDemoPlanAsync(Bootstrap.DemoTenant, clock.GetUtcNow().AddDays(-DemoUsage.Days), CancellationToken.None);
            var seeded = await DemoUsage.SeedAsync(app.Services.GetRequiredService<UsageIngestStore>(), Bootstrap.DemoTenant, clock, CancellationToken.None);
            Console.WriteLine($"Demo usage: {seeded} new events ({DemoUsage.Days} days).");
            if (await DemoSubscriptions.SeedAsync(
                    database, app.Services.GetRequiredService<CatalogService>(), app.Services.GetRequiredService<PaymentMethodService>(),
                    Bootstrap.DemoTenant, clock.GetUtcNow(), CancellationToken.None))
            {
                Console.WriteLine($"Demo billing: a primary test card (tok_visa) and add-on {DemoSubscriptions.DemoAddOn} for the last {DemoSubscriptions.AddOnDays} days.");
            }

            var billed = await app.Services.GetRequiredService<BillingEngine>()
                .BillTenantAsync(Bootstrap.DemoTenant, clock.GetUtcNow(), dryRun: false, CancellationToken.None);
            if (billed.Invoices.Count > 0)
            {
                Console.WriteLine($"Demo invoices: {string.Join(", ", billed.Invoices.Select(i => i.FriendlyId))} (the months before this one).");
            }
        }

        Console.WriteLine($"Tally on {options.Urls} with {database.Describe()}. API reference: /docs");
        await app.RunAsync();
        return 0;
    }

    private static void Report(string source, CatalogLoadResult result) =>
        Console.WriteLine($"Loaded {source}: {result.Created} created, {result.Updated} updated, {result.Unchanged} unchanged.");

    public static async Task<int> CreateTokenAsync(TallyDatabase database, string? tenant, string name, Role role, string[] scopes, CancellationToken ct)
    {
        var unknown = scopes.FirstOrDefault(s => !Scopes.All.Contains(s));
        if (unknown is not null)
        {
            await Console.Error.WriteLineAsync($"Unknown scope '{unknown}'; scopes are {string.Join(", ", Scopes.All)}.");
            return 2;
        }

        await using var db = database.CreateContext();
        if (tenant is not null && !await db.Tenants.AnyAsync(t => t.TenantId == tenant, ct))
        {
            await Console.Error.WriteLineAsync($"Tenant '{tenant}' does not exist.");
            return 2;
        }

        var (row, secret) = TokenIssuer.Issue(tenant, name, role, [], scopes, [], null, TimeProvider.System.GetUtcNow(), "cli");
        db.ApiTokens.Add(row);
        await db.SaveChangesAsync(ct);
        Console.WriteLine(secret);
        return 0;
    }
}
