using Microsoft.EntityFrameworkCore;
using Tally.Domain.Invoicing;
using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.Processes;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Billing;

/// <summary>
/// <c>tally billing run</c> killed with SIGKILL in the middle of a run, then run again: every tenant ends with exactly
/// the invoices one clean run makes, and the friendly ids of each month are gap-free.
/// </summary>
public sealed class BillingRunKillTests
{
    private const int Tenants = 300;

    [Fact]
    public async Task A_run_killed_mid_way_and_run_again_leaves_exactly_one_clean_runs_invoices()
    {
        var fx = new SqliteFixture();
        string plan;
        await fx.InitializeAsync();
        try
        {
            plan = await new BillingTestKit(fx).PlanAsync("30.00");
        }
        finally
        {
            await fx.DisposeAsync();
        }

        var names = await SeedTenantsAsync(fx.ConnectionString, plan);
        await using (var doomed = TallyProcess.Start($"billing run --database \"{fx.ConnectionString}\""))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && await CountAsync(fx.ConnectionString) < 20)
            {
                await Task.Delay(20);
            }

            await doomed.KillAsync();
        }

        // The executable bills with the real clock: every month from September 2026 to last month.
        var months = new List<string>();
        var today = DateTime.UtcNow;
        for (var month = new DateTime(2026, 9, 1); month < new DateTime(today.Year, today.Month, 1); month = month.AddMonths(1))
        {
            months.Add(month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture));
        }

        var killedAt = await CountAsync(fx.ConnectionString);
        Assert.InRange(killedAt, 20, (months.Count * Tenants) - 1); // killed mid-way: some tenants billed, not all

        var (exit, output) = await TallyProcess.RunAsync($"billing run --database \"{fx.ConnectionString}\" --no-invoice-pdfs");

        Assert.True(exit == 0, output);
        await using var database = new TallyDatabase(fx.ConnectionString);
        await using var db = database.CreateContext();
        var invoices = await db.Invoices.AsNoTracking().ToListAsync();
        var lines = await db.InvoiceLineItems.AsNoTracking().ToListAsync();
        Assert.Equal(months.Count * Tenants, invoices.Count);
        foreach (var name in names)
        {
            var mine = invoices.Where(i => i.TenantId == name).OrderBy(i => i.Period).ToList();
            Assert.Equal(months, mine.Select(i => i.Period));
            // From 16 September: 30.00 × 15/30, then 30.00 a month.
            Assert.Equal(months.Select((_, i) => i == 0 ? 1500L : 3000L), mine.Select(i => i.TotalMinor));
        }

        Assert.Equal(months.Count * Tenants, lines.Count);
        foreach (var month in months)
        {
            var sequences = invoices.Where(i => i.Period == month).Select(i => FriendlyId.Parse(i.FriendlyId).Sequence).Order().ToList();
            Assert.Equal(Enumerable.Range(1, Tenants), sequences);
        }
    }

    /// <summary>Adds <see cref="Tenants"/> tenants on <paramref name="plan"/> since 16 September 2026 directly; returns their names.</summary>
    private static async Task<List<string>> SeedTenantsAsync(string connection, string plan)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        var now = DateTimeOffset.UtcNow;
        var names = new List<string>();
        for (var i = 0; i < Tenants; i++)
        {
            var name = TallyFixture.NewTenantName();
            names.Add(name);
            db.Tenants.Add(new TenantRow
            {
                TenantId = name, DisplayName = name, Currency = "USD", TimeZone = "UTC", Locale = "en", BillingMode = "postpaid", VatRate = "0",
                CreatedAt = now, UpdatedAt = now,
            });
            db.Namespaces.Add(new NamespaceRow { TenantId = name, Name = NamespaceRow.System, CreatedAt = now });
            db.PlanSubscriptions.Add(new PlanSubscriptionRow
            {
                TenantId = name, Id = "sub-" + Guid.NewGuid().ToString("D"), Plan = plan,
                StartsAt = new DateTimeOffset(2026, 9, 16, 0, 0, 0, TimeSpan.Zero), CreatedAt = now,
            });
        }

        await db.SaveChangesAsync();
        return names;
    }

    private static async Task<int> CountAsync(string connection)
    {
        await using var database = new TallyDatabase(connection);
        await using var db = database.CreateContext();
        return await db.Invoices.CountAsync();
    }
}
