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

    /// <summary>
    /// <c>tally billing run</c>: migrates, then runs one billing run in the foreground with a progress bar on stderr (plain
    /// lines when stderr is not a terminal) and a summary on stdout. Exit codes: 0 all tenants billed, 1 a tenant failed
    /// or the run could not proceed, 2 bad arguments (date, tenants, gateway).
    /// </summary>
    public static async Task<int> BillingRunAsync(TallyOptions options, string? date, string[] tenants, bool dryRun, CancellationToken ct)
    {
        if (!PaymentGateways.IsKnown(options.PaymentGateway))
        {
            await Console.Error.WriteLineAsync(PaymentGateways.UnknownMessage(options.PaymentGateway));
            return 2;
        }

        DateOnly day;
        try
        {
            day = BillingRunEndpoints.ParseDate(date, TimeProvider.System.GetUtcNow());
        }
        catch (Errors.RequestValidationException e)
        {
            await Console.Error.WriteLineAsync($"--date: {e.Message}");
            return 2;
        }

        if (tenants.Length > BillingRuns.MaxTenants)
        {
            await Console.Error.WriteLineAsync($"--tenant: at most {BillingRuns.MaxTenants} tenants; omit it to bill every tenant.");
            return 2;
        }

        if (tenants.GroupBy(t => t, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            await Console.Error.WriteLineAsync($"--tenant: '{twice.Key}' is named twice.");
            return 2;
        }

        var builder = TallyApp.CreateBuilder(options);
        builder.Logging.SetMinimumLevel(LogLevel.Error);
        await using var app = builder.Build();
        var database = app.Services.GetRequiredService<TallyDatabase>();
        await database.MigrateAsync(ct);
        var runs = app.Services.GetRequiredService<BillingRuns>();
        if (await runs.UnknownTenantsAsync(tenants, ct) is [var unknown, ..])
        {
            await Console.Error.WriteLineAsync($"--tenant: tenant '{tenants[unknown]}' does not exist.");
            return 2;
        }

        var run = await runs.TryCreateAsync(BillingRuns.NewId(), day, tenants, dryRun, "cli", ct)
            ?? throw new InvalidOperationException("A new billing run id already exists.");
        var bar = new ProgressBar(Console.Error, !Console.IsErrorRedirected, TimeProvider.System);
        var end = await app.Services.GetRequiredService<BillingRunner>().ExecuteAsync(run.Id, bar.Show, ct)
            ?? throw new InvalidOperationException($"Billing run {run.Id} was claimed by another process.");
        bar.Finish();

        var errors = BillingRuns.ErrorsOf(end);
        foreach (var error in errors)
        {
            var subject = error.Tenant is null ? "run" : error.Invoice is null ? $"tenant {error.Tenant}" : $"tenant {error.Tenant}, invoice {error.Invoice}";
            await Console.Error.WriteLineAsync($"  {subject}: {error.Error}");
        }

        var failed = errors.Count(e => e.IsTenantFailure);
        var pdfs = errors.Count(e => e.Invoice is not null);
        Console.WriteLine(
            $"Billing run {end.Id} for {end.Date}{(end.DryRun ? " (dry run)" : "")} {end.State}: {end.TenantsDone}/{end.TenantsTotal} tenants, " +
            $"{end.InvoicesIssued} invoices {(end.DryRun ? "would be issued" : "issued")}, {end.ChargesMade} charges made, {failed} tenants failed" +
            (pdfs > 0 ? $", {pdfs} PDFs failed." : "."));
        return end.State == BillingRuns.Finished && failed == 0 ? 0 : 1;
    }

    /// <summary>Progress of a foreground run on stderr: one rewritten bar on a terminal, else a line at most every second.</summary>
    private sealed class ProgressBar(TextWriter writer, bool terminal, TimeProvider clock)
    {
        private const int Width = 30;
        private readonly Lock _gate = new();
        private BillingRunProgress _last = BillingRunProgress.Empty;
        private DateTimeOffset _written = DateTimeOffset.MinValue;
        private string? _lastLine;

        public void Show(BillingRunProgress progress)
        {
            lock (_gate)
            {
                if (progress.TenantsDone < _last.TenantsDone)
                {
                    return;
                }

                _last = progress;
                var now = clock.GetUtcNow();
                if (now - _written < TimeSpan.FromSeconds(terminal ? 0.1 : 1) && progress.TenantsDone < progress.TenantsTotal)
                {
                    return;
                }

                _written = now;
                Write(progress);
            }
        }

        public void Finish()
        {
            lock (_gate)
            {
                Write(_last);
                if (terminal)
                {
                    writer.WriteLine();
                }
            }
        }

        private void Write(BillingRunProgress p)
        {
            var text = $"{p.TenantsDone}/{p.TenantsTotal} tenants, {p.InvoicesIssued} invoices, {p.ChargesMade} charges, {p.TenantsFailed} failed";
            if (terminal)
            {
                var filled = p.TenantsTotal == 0 ? Width : (int)((long)Width * p.TenantsDone / p.TenantsTotal);
                writer.Write($"\r[{new string('#', filled)}{new string('-', Width - filled)}] {text}   ");
            }
            else if (text != _lastLine)
            {
                writer.WriteLine($"billing: {text}");
            }

            _lastLine = text;
            writer.Flush();
        }
    }

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
