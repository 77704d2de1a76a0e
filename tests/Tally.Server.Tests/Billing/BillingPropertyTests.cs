using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Rating;
using Tally.Server.Features.Catalog;
using Tally.Server.Tests.Infrastructure;

namespace Tally.Server.Tests.Billing;

/// <summary>
/// Random usage (some of it late) and random plan changes, billed by several runs: across all of a tenant's invoices the
/// variable-cost lines of each metric and month sum to exactly that month's usage rated once, and every invoice's total
/// is its lines plus VAT. The test moves the clock into December, so it has a fixture of its own.
/// </summary>
public abstract class BillingPropertyTests(TallyFixture fx)
{
    private readonly BillingTestKit _kit = new(fx);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Variable_lines_sum_to_the_rated_usage_of_every_event_and_totals_are_lines_plus_VAT(int seed)
    {
        var random = new Random(seed);
        var tenant = await _kit.TenantAsync(vat: random.Next(0, 3) switch { 0 => "0", 1 => "19", _ => "7.25" });
        var metric = await _kit.MetricAsync("Calls");
        var graduated = await _kit.PlanAsync("10.00", title: "Graduated", pricesJson: $$"""
            [{"metric":"{{metric}}","model":"graduated","included":"50","tiers":[{"up_to":"400","unit_price":"0.013"},{"up_to":null,"unit_price":"0.0071"}]}]
            """);
        var perUnit = await _kit.PlanAsync("25.00", title: "PerUnit", pricesJson: $$"""[{"metric":"{{metric}}","model":"per_unit","unit_price":"0.0333"}]""");
        var start = BillingTestKit.At("2026-09-10T00:00:00Z");
        await _kit.AssignAsync(tenant, graduated, "2026-09-10T00:00:00Z");
        var change = start.AddHours(random.Next(1, 24 * 45));
        await _kit.AssignAsync(tenant, perUnit, change.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        if (random.Next(2) == 0)
        {
            await _kit.AssignAsync(tenant, graduated, change.AddHours(random.Next(1, 24 * 5)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        // Events between 10 Sep and 31 Oct, in three batches: before the first run, between the runs (late for
        // September), and before the last run (late for both months).
        var runs = new[] { "2026-10-01T08:00:00Z", "2026-11-01T08:00:00Z", "2026-12-01T08:00:00Z" };
        var events = Enumerable.Range(0, 40)
            .Select(_ => start.AddMinutes(random.Next(0, 51 * 24 * 60)))
            .Select(at => (At: at, Quantity: (decimal)random.Next(0, 300), Batch: Math.Max(random.Next(3), Array.FindIndex(runs, r => BillingTestKit.At(r) > at))))
            .ToList();
        if (fx.Clock.GetUtcNow() < BillingTestKit.At("2026-12-02T00:00:00Z"))
        {
            fx.Clock.SetUtcNow(BillingTestKit.At("2026-12-02T00:00:00Z"));
        }

        for (var batch = 0; batch < 3; batch++)
        {
            var due = events.Where(e => e.Batch == batch).ToList();
            if (due.Count > 0)
            {
                await _kit.UsageAsync(tenant, metric, [.. due.Select(e => (e.At.ToString("O", CultureInfo.InvariantCulture), e.Quantity))]);
            }

            await _kit.BillAsync(tenant, runs[batch]);
            await _kit.BillAsync(tenant, runs[batch]);
        }

        await _kit.BillNowAsync(tenant); // December is not closed: nothing new
        var invoices = await _kit.InvoicesAsync(tenant);

        var catalog = fx.Services.GetRequiredService<CatalogService>();
        var definitions = new Dictionary<string, PlanDefinition>
        {
            [graduated] = (await catalog.GetPlanAsync(graduated, CancellationToken.None))!,
            [perUnit] = (await catalog.GetPlanAsync(perUnit, CancellationToken.None))!,
        };
        var usd = Currency.Of("USD");
        await using var db = fx.Services.GetRequiredService<Tally.Storage.TallyDatabase>().CreateContext();
        var subscriptions = db.PlanSubscriptions.Where(s => s.TenantId == tenant).AsEnumerable().OrderBy(s => s.StartsAt).ToList();
        foreach (var (year, month) in new[] { (2026, 9), (2026, 10) })
        {
            var period = BillingPeriod.Of(year, month, TimeZoneInfo.Utc);
            var quantity = events.Where(e => period.Contains(e.At)).Sum(e => e.Quantity);
            var plan = definitions[subscriptions.Last(s => s.StartsAt < period.End && (s.EndsAt is null || s.EndsAt > period.Start)).Plan];
            var expected = Rater.Rate(plan.Prices.Single(), quantity, 1m, usd).Amount.Minor;
            var key = $"{year:D4}-{month:D2}";
            var billed = invoices.SelectMany(i => i.Lines)
                .Where(l => l.SourceKey == $"usage:{metric}:{key}" || l.SourceKey.StartsWith($"late:{metric}:{key}:", StringComparison.Ordinal))
                .Sum(l => l.AmountMinor);
            Assert.True(expected == billed, $"seed {seed}, {key}: {quantity} units rate to {expected}, the invoices bill {billed}: "
                + string.Join(" / ", invoices.Select(i => i.Invoice.Period + ": " + string.Join(", ", i.Lines.Select(l => $"{l.SourceKey} {l.Quantity} {l.AmountMinor}"))))
                + " / events " + string.Join(", ", events.Select(e => $"{e.At:MM-dd HH:mm} {e.Quantity} b{e.Batch}")));
        }

        Assert.NotEmpty(invoices);
        foreach (var (invoice, lines) in invoices)
        {
            Assert.Equal(lines.Sum(l => l.AmountMinor), invoice.SubtotalMinor);
            var vat = Money.Round(invoice.SubtotalMinor / 100m * decimal.Parse(invoice.VatRate, CultureInfo.InvariantCulture) / 100m, usd).Minor;
            Assert.Equal((vat, invoice.SubtotalMinor + vat), (invoice.VatMinor, invoice.TotalMinor));
        }
    }
}

public sealed class BillingPropertyTestsOnSqlite(SqliteFixture fx) : BillingPropertyTests(fx), IClassFixture<SqliteFixture>;

public sealed class BillingPropertyTestsOnPostgres(PostgresFixture fx) : BillingPropertyTests(fx), IClassFixture<PostgresFixture>;
