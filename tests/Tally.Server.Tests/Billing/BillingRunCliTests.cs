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
        var file = Path.Combine(Path.GetTempPath(), $"tally-billcli-{Guid.NewGuid():N}.db");
        var (a, b, _) = await SeedAsync(file);

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{file}\" --tenant {a} --tenant {b} --date {Today}");

        var run = Assert.Single(await RunsAsync(file));
        Assert.Equal("cli", run.RequestedBy);
        Assert.Equal("finished", run.State);
        Assert.Equal(Today, run.Date);
        Assert.Equal(2, run.TenantsTotal);
        Assert.Equal(2, run.TenantsDone);
        Assert.Contains("billing: 2/2 tenants", output, StringComparison.Ordinal);
        Assert.Contains($"Billing run {run.Id} for {Today} finished: 2/2 tenants", output, StringComparison.Ordinal);
        Assert.Equal(run.Error is null ? 0 : 1, exit);
    }

    [Fact]
    public async Task A_tenant_that_fails_makes_the_exit_code_1_and_is_named_on_stderr()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tally-billfail-{Guid.NewGuid():N}.db");
        var (_, _, broken) = await SeedAsync(file);

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{file}\" --tenant {broken}");

        Assert.Equal(1, exit);
        Assert.Contains($"tenant {broken}:", output, StringComparison.Ordinal);
        Assert.Contains("1 tenants failed", output, StringComparison.Ordinal);
        var run = Assert.Single(await RunsAsync(file));
        Assert.Contains(broken, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_over_every_tenant_on_PostgreSQL_writes_only_the_run()
    {
        var connection = await PostgresServer.CreateDatabaseAsync();
        await SeedAsync(connection);

        var (_, output) = await TallyProcess.RunAsync($"billing run --database \"{connection}\" --dry-run", new Dictionary<string, string> { ["TALLY_BILLING_HOUR"] = "0" });

        var run = Assert.Single(await RunsAsync(connection));
        Assert.True(run.DryRun);
        Assert.Equal(3, run.TenantsTotal);
        Assert.Equal(3, run.TenantsDone);
        Assert.Contains("(dry run) finished: 3/3 tenants", output, StringComparison.Ordinal);
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        Assert.Equal(0, await db.Invoices.CountAsync());
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
        var file = Path.Combine(Path.GetTempPath(), $"tally-billargs-{Guid.NewGuid():N}.db");
        var (a, _, _) = await SeedAsync(file);

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
        var file = Path.Combine(Path.GetTempPath(), $"tally-billserve-{Guid.NewGuid():N}.db");
        var env = environment is null ? null : new Dictionary<string, string> { [environment.Split('=')[0]] = environment.Split('=')[1] };

        var (exit, output) = await TallyProcess.RunAsync($"serve --urls http://127.0.0.1:{PostgresServer.FreePort()} --database \"{file}\" {arguments}", env);

        Assert.Equal(2, exit);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Serve_accepts_the_billing_options_and_with_the_schedule_off_starts_no_run()
    {
        var file = Path.Combine(Path.GetTempPath(), $"tally-billok-{Guid.NewGuid():N}.db");
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
        var file = Path.Combine(Path.GetTempPath(), $"tally-billsched-{Guid.NewGuid():N}.db");
        await SeedAsync(file);
        var (process, _) = await TallyProcess.ServeAsync(file, new Dictionary<string, string> { ["TALLY_BILLING_HOUR"] = "0" });
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
        Assert.Equal(3, run.TenantsDone);
    }

    /// <summary>Migrates and adds three tenants: two ordinary ones and one the engine cannot bill (an unknown time zone).</summary>
    private static async Task<(string A, string B, string Broken)> SeedAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await database.MigrateAsync();
        var now = DateTimeOffset.UtcNow;
        var names = (A: TallyFixture.NewTenantName(), B: TallyFixture.NewTenantName(), Broken: TallyFixture.NewTenantName());
        await using var db = database.CreateContext();
        foreach (var (name, zone) in new[] { (names.A, "UTC"), (names.B, "Europe/Berlin"), (names.Broken, "Nowhere/Atlantis") })
        {
            db.Tenants.Add(new TenantRow
            {
                TenantId = name, DisplayName = name, Currency = "USD", TimeZone = zone, Locale = "en", BillingMode = "postpaid", VatRate = "0",
                CreatedAt = now.AddDays(-60), UpdatedAt = now.AddDays(-60),
            });
        }

        await db.SaveChangesAsync();
        return names;
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
