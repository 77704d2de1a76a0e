using Microsoft.EntityFrameworkCore;
using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.Processes;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Billing;

/// <summary><c>tally billing run</c> and the billing options of <c>tally serve</c>, through the real executable.</summary>
public sealed class BillingRunCliTests
{
    private static string Today => DateOnly.FromDateTime(DateTime.UtcNow).ToString("yyyy-MM-dd");

    [Fact]
    public async Task Billing_run_bills_the_named_tenants_in_the_foreground_records_the_run_and_reports_progress()
    {
        var seed = await SeedAsync(new SqliteFixture());

        var (exit, output) = await TallyProcess.RunAsync(
            $"billing run --database \"{seed.Connection}\" --tenant {seed.Billed} --tenant {seed.NoPlan} --date {Today} --operator-address \"1 Harbour Rd; Port Town\"",
            new Dictionary<string, string> { ["TALLY_OPERATOR_NAME"] = "Example Ops GmbH" });

        Assert.True(exit == 0, output);
        var run = Assert.Single(await RunsAsync(seed.Connection));
        Assert.Equal("cli", run.RequestedBy);
        Assert.Equal("finished", run.State);
        Assert.Equal(Today, run.Date);
        Assert.Equal(2, run.TenantsTotal);
        Assert.Equal(2, run.TenantsDone);
        Assert.True(run.InvoicesIssued >= 2, $"{run.InvoicesIssued} invoices"); // September and October at least
        Assert.Equal(run.InvoicesIssued, await InvoiceCountAsync(seed.Connection));
        Assert.Null(run.Error);
        Assert.Equal(run.InvoicesIssued, await PdfCountAsync(seed.Connection));
        Assert.Contains("billing: 2/2 tenants", output, StringComparison.Ordinal);
        Assert.Contains($"Billing run {run.Id} for {Today} finished: 2/2 tenants, {run.InvoicesIssued} invoices issued", output, StringComparison.Ordinal);
        Assert.Contains("0 tenants failed", output, StringComparison.Ordinal);
        var seller = await SellerBlockAsync(seed.Connection);
        Assert.Contains("Example Ops GmbH", seller, StringComparison.Ordinal);
        Assert.Contains("[\"1 Harbour Rd\",\"Port Town\"]", seller, StringComparison.Ordinal);

        var (again, againOutput) = await TallyProcess.RunAsync($"billing run --database \"{seed.Connection}\" --tenant {seed.Billed}");
        Assert.Equal(0, again);
        Assert.Contains("finished: 1/1 tenants, 0 invoices issued", againOutput, StringComparison.Ordinal);
        Assert.Equal(run.InvoicesIssued, await InvoiceCountAsync(seed.Connection));
    }

    [Fact]
    public async Task A_tenant_that_fails_makes_the_exit_code_1_and_is_named_on_stderr_while_the_others_are_billed()
    {
        var seed = await SeedAsync(new SqliteFixture());

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{seed.Connection}\" --tenant {seed.Broken} --tenant {seed.Billed} --no-invoice-pdfs");

        Assert.Equal(1, exit);
        Assert.Contains($"tenant {seed.Broken}: Plan '{BillingRunApiTests.MissingPlan}'", output, StringComparison.Ordinal);
        Assert.Contains("2/2 tenants", output, StringComparison.Ordinal);
        Assert.Contains("1 tenants failed", output, StringComparison.Ordinal);
        var run = Assert.Single(await RunsAsync(seed.Connection));
        Assert.Contains(seed.Broken, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(seed.Billed, run.Error, StringComparison.Ordinal);
        Assert.True(run.InvoicesIssued >= 2);
        Assert.Equal(0, await PdfCountAsync(seed.Connection)); // --no-invoice-pdfs
    }

    [Fact]
    public async Task A_dry_run_over_every_tenant_on_PostgreSQL_writes_only_the_run()
    {
        var seed = await SeedAsync(new PostgresFixture());

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{seed.Connection}\" --dry-run", new Dictionary<string, string> { ["TALLY_BILLING_HOUR"] = "0" });

        Assert.Equal(1, exit); // the broken tenant fails in a dry run too
        var run = Assert.Single(await RunsAsync(seed.Connection));
        Assert.True(run.DryRun);
        Assert.Equal(3, run.TenantsTotal);
        Assert.Equal(3, run.TenantsDone);
        Assert.True(run.InvoicesIssued >= 2, $"{run.InvoicesIssued} invoices");
        Assert.Contains($"(dry run) finished: 3/3 tenants, {run.InvoicesIssued} invoices would be issued", output, StringComparison.Ordinal);
        Assert.Equal(0, await InvoiceCountAsync(seed.Connection));
    }

    [Theory]
    [InlineData("--date 2026-02-30", "--date")]
    [InlineData("--date 30.11.2026", "--date")]
    [InlineData("--date 2999-01-01", "future")]
    [InlineData("--tenant nobody", "tenant 'nobody' does not exist")]
    [InlineData("--tenant {a} --tenant {a}", "named twice")]
    [InlineData("--billing-hour 24", "--billing-hour must be a UTC hour from 0 to 23")]
    [InlineData("--billing-hour eight", "--billing-hour must be a UTC hour")]
    [InlineData("--operator-address \" ; \"", "--operator-address")]
    [InlineData("--payment-gateway stripe", "Unknown payment gateway 'stripe'")]
    public async Task Bad_arguments_exit_2_with_a_message_and_start_no_run(string arguments, string message)
    {
        var file = TestFiles.NewPath("billargs", ".db");
        var a = await SeedPlainAsync(file);

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{file}\" {arguments.Replace("{a}", a, StringComparison.Ordinal)}");

        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.Empty(await RunsAsync(file));
    }

    [Theory]
    [InlineData("--billing-hour -1", null, "--billing-hour must be a UTC hour")]
    [InlineData("", "TALLY_BILLING_HOUR=25", "TALLY_BILLING_HOUR must be a UTC hour from 0 to 23, not '25'")]
    [InlineData("", "TALLY_BILLING_SCHEDULE=maybe", "TALLY_BILLING_SCHEDULE must be true or false")]
    [InlineData("--operator-name \" \"", null, "--operator-name must be 1 to 200 characters")]
    public async Task Serve_refuses_bad_billing_options_with_exit_code_2(string arguments, string? environment, string message)
    {
        var file = TestFiles.NewPath("billserve", ".db");
        var env = environment is null ? null : new Dictionary<string, string> { [environment.Split('=')[0]] = environment.Split('=')[1] };

        var (exit, output) = await TallyProcess.RunAsync($"serve --urls http://127.0.0.1:{PostgresServer.FreePort()} --database \"{file}\" {arguments}", env);

        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Serve_accepts_the_billing_options_and_with_the_schedule_off_starts_no_run()
    {
        var file = TestFiles.NewPath("billok", ".db");
        var (process, _) = await TallyProcess.ServeAsync(
            file, new Dictionary<string, string> { ["TALLY_OPERATOR_NAME"] = "Example Operator" },
            "--billing-hour 0 --no-billing-schedule --operator-address \"1 Main St;Springfield\" --no-invoice-pdfs");
        await using (process)
        {
            await Task.Delay(1000);
        }

        Assert.Empty(await RunsAsync(file));
    }

    [Fact]
    public async Task Serve_past_the_billing_hour_starts_todays_scheduled_run_at_start_up()
    {
        var file = TestFiles.NewPath("billsched", ".db");
        await SeedPlainAsync(file);
        var (process, _) = await TallyProcess.ServeAsync(file, new Dictionary<string, string> { ["TALLY_BILLING_HOUR"] = "0", ["TALLY_BILLING_SCHEDULE"] = "true" });
        await using (process)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !(await RunsAsync(file)).Any(r => r.State is "finished" or "failed"))
            {
                await Task.Delay(200);
            }
        }

        var run = Assert.Single(await RunsAsync(file));
        Assert.Equal($"run-daily-{Today}", run.Id);
        Assert.Equal("finished", run.State);
        Assert.Equal(1, run.TenantsDone);
    }

    /// <summary>
    /// Through an in-process server on a fresh database (then stopped): a tenant on a 99.00 plan since 16 September, one
    /// on no plan, and one the engine cannot bill (its plan is missing from the catalog).
    /// </summary>
    private static async Task<(string Connection, string Billed, string NoPlan, string Broken)> SeedAsync(TallyFixture fx)
    {
        await fx.InitializeAsync();
        try
        {
            var kit = new BillingTestKit(fx);
            var billed = await kit.TenantAsync();
            await kit.AssignAsync(billed, await kit.PlanAsync("99.00"), "2026-09-16T00:00:00Z");
            return (fx.ConnectionString, billed, await kit.TenantAsync(), await BillingRunApiTests.BrokenTenantAsync(fx));
        }
        finally
        {
            await fx.DisposeAsync();
        }
    }

    /// <summary>Migrates and adds one tenant (no plan) directly; returns its name.</summary>
    private static async Task<string> SeedPlainAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await database.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        var name = TallyFixture.NewTenantName();
        await using var db = database.CreateContext();
        db.Tenants.Add(new TenantRow
        {
            TenantId = name, DisplayName = name, Currency = "USD", TimeZone = "UTC", Locale = "en", BillingMode = "postpaid", VatRate = "0",
            CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync();
        return name;
    }

    private static async Task<string> SellerBlockAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return (await db.Invoices.AsNoTracking().OrderBy(i => i.Id).FirstAsync()).FromAddressJson ?? "";
    }

    private static async Task<int> PdfCountAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return await db.InvoicePdfs.CountAsync();
    }

    private static async Task<int> InvoiceCountAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return await db.Invoices.CountAsync();
    }

    private static async Task<List<BillingRunRow>> RunsAsync(string connection)
    {
        if (!connection.Contains('=', StringComparison.Ordinal) && !File.Exists(connection))
        {
            return [];
        }

        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return await db.BillingRuns.AsNoTracking().ToListAsync();
    }
}
