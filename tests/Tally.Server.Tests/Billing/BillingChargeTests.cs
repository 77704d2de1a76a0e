using Microsoft.Extensions.DependencyInjection;
using Tally.Server.Features.Billing;
using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.PaymentMethods;

namespace Tally.Server.Tests.Billing;

/// <summary>
/// Charging issued invoices: primary then secondary payment method, the retry schedule (3 tries, 3 days apart) and one
/// payment transaction per attempt. These tests move the fixture's clock by days, so they have a fixture of their own.
/// </summary>
public abstract class BillingChargeTests(TallyFixture fx)
{
    /// <summary>Every test bills as of this instant (the fixture's start), so only October is invoiced whatever the clock says.</summary>
    private const string BilledAsOf = "2026-11-24T12:00:00Z";

    private readonly BillingTestKit _kit = new(fx);

    /// <summary>A tenant on a 99.00 plan since October with cards made from <paramref name="cards"/> (token, role), billed now: one pending invoice.</summary>
    private async Task<string> BilledTenantAsync(params (string Token, string Role)[] cards)
    {
        var tenant = await _kit.TenantAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("99.00"), "2026-10-01T00:00:00Z");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        foreach (var (token, role) in cards)
        {
            await PaymentMethodTestKit.CreateAsync(client, token, role);
        }

        var result = await _kit.BillAsync(tenant, BilledAsOf);
        Assert.Equal(0, result.ChargesMade); // due two days after issue
        Assert.Equal("pending", Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice.State);
        return tenant;
    }

    private Task<int> ChargeDueAsync(string tenant) => fx.Services.GetRequiredService<BillingEngine>().ChargeDueAsync(tenant, CancellationToken.None);

    private async Task<string> StateAsync(string tenant) => Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice.State;

    [Fact]
    public async Task A_due_invoice_is_charged_to_the_primary_card_and_paid()
    {
        var tenant = await BilledTenantAsync(("tok_visa", "PRIMARY"));
        fx.Clock.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await ChargeDueAsync(tenant));
        Assert.Equal(0, await ChargeDueAsync(tenant));

        Assert.Equal("paid", await StateAsync(tenant));
        var transaction = Assert.Single(await _kit.TransactionsAsync(tenant));
        Assert.True(transaction.Success);
        Assert.Equal((9900L, "USD", "Approved"), (transaction.AmountMinor, transaction.Currency, transaction.Message));
        Assert.StartsWith("ch_test_", transaction.Reference, StringComparison.Ordinal);
        Assert.EndsWith(":attempt:1", transaction.IdempotencyKey, StringComparison.Ordinal);
        Assert.NotNull(Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice.PaidAt);
    }

    [Fact]
    public async Task The_stored_PDF_is_rendered_again_once_the_invoice_is_paid_and_shows_it()
    {
        var tenant = await BilledTenantAsync(("tok_visa", "PRIMARY"));
        var pdfs = fx.Services.GetRequiredService<Tally.Server.Features.Invoices.InvoicePdfs>();
        var id = Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice.Id;
        var issued = await pdfs.EnsureAsync(tenant, id, CancellationToken.None);
        Assert.Equal(issued, await pdfs.EnsureAsync(tenant, id, CancellationToken.None));
        Assert.DoesNotContain("Paid", Invoices.InvoicePdfTestKit.Text(issued), StringComparison.Ordinal);

        fx.Clock.Advance(TimeSpan.FromDays(2));
        await ChargeDueAsync(tenant);
        var paid = await pdfs.EnsureAsync(tenant, id, CancellationToken.None);

        var text = Invoices.InvoicePdfTestKit.Text(paid);
        Assert.Contains("Paid", text, StringComparison.Ordinal);
        Assert.NotEqual(issued, paid);
        Assert.Equal(paid, await pdfs.EnsureAsync(tenant, id, CancellationToken.None));
    }

    [Fact]
    public async Task A_declined_charge_makes_the_invoice_unpaid_and_the_retry_three_days_later_pays_it()
    {
        var tenant = await BilledTenantAsync(("tok_chargeCustomerFail", "PRIMARY"));
        fx.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await ChargeDueAsync(tenant));
        Assert.Equal("unpaid", await StateAsync(tenant));

        // The tenant replaces its card; nothing is tried before three days have passed.
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using (var client = fx.Client(secret))
        {
            await PaymentMethodTestKit.CreateAsync(client, "tok_visa", "PRIMARY");
        }

        fx.Clock.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, await ChargeDueAsync(tenant));
        fx.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, await ChargeDueAsync(tenant));

        Assert.Equal("paid", await StateAsync(tenant));
        var transactions = await _kit.TransactionsAsync(tenant);
        Assert.Equal([false, true], transactions.Select(t => t.Success));
        Assert.Equal("card_declined", transactions[0].Message);
        Assert.EndsWith(":attempt:2", transactions[1].IdempotencyKey, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invoice_fails_after_three_declined_tries_three_days_apart()
    {
        var tenant = await BilledTenantAsync(("tok_chargeCustomerFail", "PRIMARY"));
        var states = new List<string>();
        fx.Clock.Advance(TimeSpan.FromDays(2));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(1, await ChargeDueAsync(tenant));
            states.Add(await StateAsync(tenant));
            fx.Clock.Advance(TimeSpan.FromDays(3));
        }

        Assert.Equal(0, await ChargeDueAsync(tenant));
        Assert.Equal(["unpaid", "unpaid", "failed"], states);
        var transactions = await _kit.TransactionsAsync(tenant);
        Assert.Equal(3, transactions.Count);
        Assert.All(transactions, t => Assert.False(t.Success));
        Assert.Equal(3, Assert.Single(await _kit.InvoicesAsync(tenant)).Invoice.ChargeAttempts);
    }

    [Fact]
    public async Task When_the_primary_card_is_declined_the_secondary_card_pays()
    {
        var tenant = await BilledTenantAsync(("tok_chargeCustomerFail", "PRIMARY"), ("tok_mastercard", "SECONDARY"));
        fx.Clock.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await ChargeDueAsync(tenant));

        Assert.Equal("paid", await StateAsync(tenant));
        var transactions = await _kit.TransactionsAsync(tenant);
        Assert.Equal([false, true], transactions.Select(t => t.Success));
        Assert.EndsWith(":attempt:1:secondary", transactions[1].IdempotencyKey, StringComparison.Ordinal);
        Assert.NotEqual(transactions[0].PaymentMethod, transactions[1].PaymentMethod);
    }

    [Fact]
    public async Task Without_any_payment_method_the_attempt_is_recorded_as_declined()
    {
        var tenant = await BilledTenantAsync();
        fx.Clock.Advance(TimeSpan.FromDays(2));

        Assert.Equal(1, await ChargeDueAsync(tenant));

        Assert.Equal("unpaid", await StateAsync(tenant));
        var transaction = Assert.Single(await _kit.TransactionsAsync(tenant));
        Assert.Equal(("no_payment_method", (string?)null), (transaction.Message, transaction.PaymentMethod));
    }

    [Fact]
    public async Task A_zero_cost_invoice_is_issued_and_paid_without_a_charge()
    {
        var tenant = await _kit.TenantAsync();
        var metric = await _kit.MetricAsync();
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("10.00"), "2026-10-01T00:00:00Z");
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using (var client = fx.Client(secret))
        {
            await PaymentMethodTestKit.CreateAsync(client, "tok_visa", "PRIMARY");
        }

        // A manual invoice whose lines cancel out: issued as paid once its period has ended.
        await using (var db = fx.Services.GetRequiredService<Tally.Storage.TallyDatabase>().CreateContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            await Tally.Storage.TenantLock.LockTenantAsync(db, tenant, CancellationToken.None);
            var row = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(db.Tenants, t => t.TenantId == tenant);
            var period = Tally.Domain.BillingPeriod.Of(2026, 9, TimeZoneInfo.Utc);
            var invoice = await Tally.Server.Features.Invoices.InvoiceStore.CreateAsync(db, row, period, "manual", fx.Clock.GetUtcNow(), CancellationToken.None);
            var usd = Tally.Domain.Currency.Of("USD");
            foreach (var (key, minor) in new[] { ("manual:a", 500L), ("manual:b", -500L) })
            {
                await Tally.Server.Features.Invoices.InvoiceStore.AddLineAsync(db, invoice, new Tally.Domain.Invoicing.LineItem(
                    Tally.Domain.Invoicing.LineItemKind.PlanCost, key, null, 1, new Tally.Domain.Money(minor, usd), period.Start, period.End, key + metric),
                    null, null, null, fx.Clock.GetUtcNow(), CancellationToken.None);
            }

            await db.SaveChangesAsync();
            await tx.CommitAsync();
        }

        await _kit.BillAsync(tenant, BilledAsOf);
        fx.Clock.Advance(TimeSpan.FromDays(3));
        await ChargeDueAsync(tenant);

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(("paid", 0L), (invoices[0].Invoice.State, invoices[0].Invoice.TotalMinor));
        Assert.Equal("manual", invoices[0].Invoice.CreationType);
        Assert.Equal("paid", invoices[1].Invoice.State);
        var charge = Assert.Single(await _kit.TransactionsAsync(tenant)); // the October invoice only
        Assert.Equal(invoices[1].Invoice.Id, charge.InvoiceId);
    }
}

public sealed class BillingChargeTestsOnSqlite(SqliteFixture fx) : BillingChargeTests(fx), IClassFixture<SqliteFixture>;

public sealed class BillingChargeTestsOnPostgres(PostgresFixture fx) : BillingChargeTests(fx), IClassFixture<PostgresFixture>;
