using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Server.Features.Billing;
using Tally.Server.Features.PaymentMethods;
using Tally.Server.Hosting;
using Tally.Server.Tests.Infrastructure;
using Tally.Server.Tests.PaymentMethods;

namespace Tally.Server.Tests.Billing;

/// <summary>
/// Billing twice, at once, from a second server on the same database, or again after a crash between the gateway's
/// approval and its record, yields the same invoices and never charges twice.
/// </summary>
public abstract class BillingIdempotencyTests(TallyFixture fx)
{
    private const string BilledAsOf = "2026-11-24T12:00:00Z";

    private readonly BillingTestKit _kit = new(fx);

    /// <summary>A tenant on a usage-priced plan since September with usage in both months and a primary card.</summary>
    private async Task<string> TenantWithUsageAsync()
    {
        var tenant = await _kit.TenantAsync(vat: "20");
        var metric = await _kit.MetricAsync("Calls");
        await _kit.AssignAsync(tenant, await _kit.PlanAsync("12.34", pricesJson: $$"""[{"metric":"{{metric}}","model":"per_unit","unit_price":"0.25"}]"""), "2026-09-10T00:00:00Z");
        await _kit.UsageAsync(tenant, metric, ("2026-09-12T00:00:00Z", 40), ("2026-10-02T00:00:00Z", 3));
        var (_, secret) = await fx.CreateTokenAsync(tenant);
        using var client = fx.Client(secret);
        await PaymentMethodTestKit.CreateAsync(client, "tok_visa", "PRIMARY");
        return tenant;
    }

    private async Task<string> SnapshotAsync(string tenant) => string.Join("\n", (await _kit.InvoicesAsync(tenant)).Select(i =>
        $"{i.Invoice.Id} {i.Invoice.FriendlyId} {i.Invoice.Period} {i.Invoice.State} {i.Invoice.TotalMinor} | "
        + string.Join("; ", i.Lines.Select(l => $"{l.Id} {l.SourceKey} {l.AmountMinor}"))));

    [Fact]
    public async Task Billing_again_adds_nothing()
    {
        var tenant = await TenantWithUsageAsync();
        var first = await _kit.BillAsync(tenant, BilledAsOf);
        var before = await SnapshotAsync(tenant);

        var again = await _kit.BillAsync(tenant, BilledAsOf);

        Assert.Equal(2, first.Invoices.Count);
        Assert.Empty(again.Invoices);
        Assert.Equal(before, await SnapshotAsync(tenant));
    }

    [Fact]
    public async Task Eight_concurrent_runs_of_one_tenant_make_one_set_of_invoices()
    {
        var tenant = await TenantWithUsageAsync();
        var control = await TenantWithUsageAsync();
        await _kit.BillAsync(control, BilledAsOf);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _kit.BillAsync(tenant, BilledAsOf))));

        Assert.Equal(2, results.Sum(r => r.Invoices.Count));
        var invoices = await _kit.InvoicesAsync(tenant);
        var expected = await _kit.InvoicesAsync(control);
        Assert.Equal(expected.Select(i => (i.Invoice.Period, i.Invoice.TotalMinor)), invoices.Select(i => (i.Invoice.Period, i.Invoice.TotalMinor)));
        Assert.Equal(expected.Select(i => BillingTestKit.Describe(i.Lines)), invoices.Select(i => BillingTestKit.Describe(i.Lines)));
    }

    [Fact]
    public async Task Two_servers_on_one_database_bill_and_charge_a_tenant_once()
    {
        var tenant = await TenantWithUsageAsync();
        var gateway = fx.Services.GetRequiredService<IPaymentGateway>();
        await using var second = await SecondServerAsync(gateway);
        var engines = new[] { fx.Services.GetRequiredService<BillingEngine>(), second.Services.GetRequiredService<BillingEngine>() };

        await Task.WhenAll(engines.Select(e => Task.Run(() => e.BillTenantAsync(tenant, BillingTestKit.At(BilledAsOf), false, CancellationToken.None))));
        fx.Clock.Advance(TimeSpan.FromDays(2));
        var charges = await Task.WhenAll(engines.Concat(engines).Select(e => Task.Run(() => e.ChargeDueAsync(tenant, CancellationToken.None))));

        var invoices = await _kit.InvoicesAsync(tenant);
        Assert.Equal(2, invoices.Count);
        Assert.All(invoices, i => Assert.Equal("paid", i.Invoice.State));
        var transactions = await _kit.TransactionsAsync(tenant);
        Assert.Equal(2, transactions.Count);
        Assert.Equal(2, charges.Sum());
        Assert.Equal(2, transactions.Select(t => t.Reference).Distinct().Count());
    }

    [Fact]
    public async Task A_crash_between_the_gateways_approval_and_its_record_is_resumed_without_a_second_charge()
    {
        var tenant = await TenantWithUsageAsync();
        await _kit.BillAsync(tenant, BilledAsOf);
        fx.Clock.Advance(TimeSpan.FromDays(2));
        var crashing = new CrashAfterApproval(fx.Services.GetRequiredService<IPaymentGateway>());
        await using (var doomed = await SecondServerAsync(crashing))
        {
            await Assert.ThrowsAsync<IOException>(() => doomed.Services.GetRequiredService<BillingEngine>().ChargeDueAsync(tenant, CancellationToken.None));
        }

        Assert.Empty(await _kit.TransactionsAsync(tenant));
        await fx.Services.GetRequiredService<BillingEngine>().ChargeDueAsync(tenant, CancellationToken.None);

        var transactions = await _kit.TransactionsAsync(tenant);
        Assert.Equal(2, transactions.Count);
        Assert.Contains(crashing.Approved!, transactions.Select(t => t.Reference));
        Assert.All(await _kit.InvoicesAsync(tenant), i => Assert.Equal("paid", i.Invoice.State));
    }

    /// <summary>Another Tally server on the fixture's database and clock, with <paramref name="gateway"/>.</summary>
    private async Task<WebApplication> SecondServerAsync(IPaymentGateway gateway)
    {
        // No daily billing run in the second server: it would bill the fixture's tenants through the crashing gateway.
        var builder = TallyApp.CreateBuilder(new TallyOptions
        {
            Database = fx.ConnectionString, LimitCacheFor = TimeSpan.Zero, Billing = new BillingOptions { Schedule = false },
        });
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<TimeProvider>(fx.Clock);
        builder.Services.AddSingleton(gateway);
        var app = TallyApp.Configure(builder.Build());
        await app.StartAsync();
        return app;
    }

    /// <summary>Passes the first approved charge to the real gateway, then dies (as a process would) before Tally records it.</summary>
    private sealed class CrashAfterApproval(IPaymentGateway inner) : IPaymentGateway
    {
        public string? Approved { get; private set; }

        public string Name => inner.Name;

        public Task<GatewayMethodResult> CreatePaymentMethodAsync(string token, CancellationToken ct) => inner.CreatePaymentMethodAsync(token, ct);

        public async Task<GatewayChargeResult> ChargeAsync(string reference, Money amount, string idempotencyKey, CancellationToken ct)
        {
            var result = await inner.ChargeAsync(reference, amount, idempotencyKey, ct);
            Approved ??= result.ChargeReference;
            throw new IOException("The process died after the gateway approved the charge.");
        }

        public Task<GatewayRefundResult> RefundAsync(string chargeReference, Money amount, string idempotencyKey, CancellationToken ct) =>
            inner.RefundAsync(chargeReference, amount, idempotencyKey, ct);
    }
}

public sealed class BillingIdempotencyTestsOnSqlite(SqliteFixture fx) : BillingIdempotencyTests(fx), IClassFixture<SqliteFixture>;

public sealed class BillingIdempotencyTestsOnPostgres(PostgresFixture fx) : BillingIdempotencyTests(fx), IClassFixture<PostgresFixture>;
