using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Domain.Tenants;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Invoices;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;
using static Tally.Server.Tests.Invoices.F5InvoiceTestKit;

namespace Tally.Server.Tests.Invoices;

/// <summary>
/// F5's invoice API (<c>usage/invoices/custom_list</c>, <c>usage/invoice_pdf</c>) through the HTTP pipeline, with
/// invoices written by <see cref="InvoiceStore"/>; every response is validated against F5's schema.
/// </summary>
public abstract class F5InvoiceApiTests(TallyFixture fx)
{
    private static SeedLine Fee(long minor) => new(LineItemKind.PlanCost, "Fixed fee ('Team')", minor);

    private static string Wire(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_list_is_newest_first_maps_every_state_to_F5s_status_and_writes_totals_with_VAT_in_cents()
    {
        var (tenant, token) = await TenantAsync(fx, vatRate: "10");
        var now = fx.Clock.GetUtcNow();
        var period = BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous();
        // (state, hours before now, subtotal in cents); the last one is pending but issued 10 days ago: past its due date.
        var cases = new (InvoiceState State, int HoursAgo, long Subtotal, string Status, bool Active)[]
        {
            (InvoiceState.Open, 1, 12345, "STATUS_PENDING", true),
            (InvoiceState.Paid, 2, 20000, "STATUS_PAID", false),
            (InvoiceState.Pending, 3, 30000, "STATUS_ISSUED", false),
            (InvoiceState.Unpaid, 4, 40000, "OVERDUE", false),
            (InvoiceState.Failed, 5, 50000, "OVERDUE", false),
            (InvoiceState.Cancelled, 6, 60000, "STATUS_CANCELLED", false),
            (InvoiceState.Refunded, 7, 70000, "STATUS_REFUNDED", false),
            (InvoiceState.Finalized, 8, 80000, "STATUS_PENDING", true),
            (InvoiceState.Pending, 240, 90000, "OVERDUE", false),
        };
        // Seeded newest first: ids (and friendly ids) grow from the newest to the oldest, so only the instants give the order.
        var names = new List<string>();
        foreach (var c in cases)
        {
            names.Add((await SeedAsync(fx, tenant, period, now.AddHours(-c.HoursAgo), To(c.State), Fee(c.Subtotal))).FriendlyId);
        }

        using var client = fx.Client(token);
        var invoices = await ListAsync(client);

        Assert.Equal(names, invoices.Select(i => (string)i["name"]!));
        for (var i = 0; i < cases.Length; i++)
        {
            var vat = (long)Math.Round(cases[i].Subtotal / 10m, MidpointRounding.AwayFromZero);
            Assert.Equal((cases[i].Subtotal + vat).ToString(CultureInfo.InvariantCulture), (string)invoices[i]["amount"]!);
            Assert.Equal("USD", (string)invoices[i]["currency"]!);
            Assert.Equal(cases[i].Status, (string)invoices[i]["status"]!);
            Assert.Equal(cases[i].Active, (bool)invoices[i]["active"]!);
            Assert.Equal(Wire(period.Start), (string)invoices[i]["period_start"]!);
            Assert.Equal(Wire(period.End), (string)invoices[i]["period_end"]!);
        }

        Assert.Equal("13580", (string)invoices[0]["amount"]!); // 123.45 + VAT 12.35 (12.345 rounded half away from zero)
    }

    [Fact]
    public async Task JPY_amounts_are_hundredths_of_a_yen_and_limit_keeps_the_newest()
    {
        var (tenant, token) = await TenantAsync(fx, currency: "JPY", timeZone: "Asia/Tokyo", locale: "ja");
        var now = fx.Clock.GetUtcNow();
        var zone = TimeZones.Require("Asia/Tokyo");
        var older = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, zone).Previous().Previous(), now.AddDays(-30), To(InvoiceState.Paid), Fee(1234));
        var newer = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, zone).Previous(), now.AddDays(-1), To(InvoiceState.Pending), Fee(5678));
        using var client = fx.Client(token);

        var all = await ListAsync(client);
        var one = await ListAsync(client, "?limit=1");
        var zero = await ListAsync(client, "?limit=0");

        Assert.Equal([newer.FriendlyId, older.FriendlyId], all.Select(i => (string)i["name"]!));
        Assert.Equal(["567800", "123400"], all.Select(i => (string)i["amount"]!));
        Assert.All(all, i => Assert.Equal("JPY", (string)i["currency"]!));
        Assert.Equal(Wire(BillingPeriod.Containing(now, zone).Previous().Start), (string)all[0]["period_start"]!);
        Assert.Equal([newer.FriendlyId], one.Select(i => (string)i["name"]!));
        Assert.Equal(2, zero.Count);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("ten")]
    [InlineData("2147483648")]
    public async Task A_limit_that_is_not_a_non_negative_int32_is_400_naming_limit(string limit)
    {
        var (_, token) = await TenantAsync(fx);
        using var client = fx.Client(token);

        var problem = await ProblemAsync(await client.GetAsync($"{ListUrl}?limit={limit}"), HttpStatusCode.BadRequest);

        Assert.Equal("limit", (string?)problem["field"]);
    }

    [Fact]
    public async Task The_pdf_of_an_issued_invoice_is_base64_of_a_PDF_naming_the_invoice_and_the_tenant_and_is_stored_once()
    {
        var (tenant, token) = await TenantAsync(fx, vatRate: "19");
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(
            fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now.AddHours(-1), To(InvoiceState.Pending),
            Fee(9900), new SeedLine(LineItemKind.VariableCost, "HTTP requests", 1234, 123400m));
        using var client = fx.Client(token);

        var pdf = await PdfAsync(client, invoice.FriendlyId);
        var again = await PdfAsync(client, invoice.FriendlyId);

        Assert.Equal("%PDF-"u8.ToArray(), pdf[..5]);
        var text = InvoicePdfTestKit.Text(pdf);
        Assert.Contains(invoice.FriendlyId, text, StringComparison.Ordinal);
        Assert.Contains(TenantDisplayName, text, StringComparison.Ordinal);
        Assert.Contains("Tally Cloud GmbH", text, StringComparison.Ordinal);
        Assert.Contains("USD 132.49", text, StringComparison.Ordinal); // 99.00 + 12.34 = 111.34, VAT 19 % 21.15 (21.1546)
        Assert.Equal(pdf, again);
        Assert.Equal(1, await StoredPdfCountAsync(fx, tenant, invoice.Id));
    }

    [Theory]
    [InlineData("open")]
    [InlineData("finalized")]
    [InlineData("cancelled before issue")]
    public async Task An_invoice_not_issued_has_no_pdf_yet_409_says_so(string state)
    {
        InvoiceEvent[] events = state switch
        {
            "open" => [],
            "finalized" => [InvoiceEvent.Finalize],
            _ => [InvoiceEvent.Cancel],
        };
        var (tenant, token) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc), now, events, Fee(100));
        using var client = fx.Client(token);

        var problem = await ProblemAsync(await client.GetAsync($"{PdfUrl}?name={invoice.FriendlyId}"), HttpStatusCode.Conflict);

        Assert.Contains("not issued", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains(invoice.FriendlyId, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal(0, await StoredPdfCountAsync(fx, tenant, invoice.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?name=")]
    [InlineData("?name=invoice-1")]
    [InlineData("?name=2026-11-0000001")]
    [InlineData("?name=2026-11-00000001%0A")]
    public async Task A_missing_or_malformed_name_is_400_naming_name(string query)
    {
        var (_, token) = await TenantAsync(fx);
        using var client = fx.Client(token);

        var problem = await ProblemAsync(await client.GetAsync(PdfUrl + query), HttpStatusCode.BadRequest);

        Assert.Equal("name", (string?)problem["field"]);
    }

    [Fact]
    public async Task Another_tenants_invoice_is_404_and_its_data_never_shows()
    {
        var (owner, _) = await TenantAsync(fx);
        var (_, otherToken) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, owner, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now, To(InvoiceState.Paid), Fee(4242));
        using var other = fx.Client(otherToken);

        var pdf = await other.GetAsync($"{PdfUrl}?name={invoice.FriendlyId}");
        var list = await ListAsync(other);
        var unknown = await other.GetAsync($"{PdfUrl}?name=9999-12-99999999");

        var body = await pdf.Content.ReadAsStringAsync();
        await ProblemAsync(pdf, HttpStatusCode.NotFound);
        Assert.DoesNotContain(owner, body, StringComparison.Ordinal);
        Assert.DoesNotContain("4242", body, StringComparison.Ordinal);
        Assert.Empty(list);
        await ProblemAsync(unknown, HttpStatusCode.NotFound);
        Assert.Equal(0, await StoredPdfCountAsync(fx, owner, invoice.Id));
    }

    [Fact]
    public async Task Operator_tokens_403_without_billing_403_other_namespaces_hold_no_invoices_and_unknown_ones_404()
    {
        var (tenant, token) = await TenantAsync(fx);
        var (_, usageOnly) = await fx.CreateTokenAsync(tenant, permissions: ["usage"]);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now, To(InvoiceState.Paid), Fee(100));
        using var op = fx.Operator();
        using var restricted = fx.Client(usageOnly);
        using var client = fx.Client(token);

        foreach (var url in new[] { ListUrl, $"{PdfUrl}?name={invoice.FriendlyId}" })
        {
            var refused = await ProblemAsync(await op.GetAsync(url), HttpStatusCode.Forbidden);
            Assert.Contains("tenant token", (string?)refused["detail"], StringComparison.Ordinal);
            await ProblemAsync(await restricted.GetAsync(url), HttpStatusCode.Forbidden);
            await ProblemAsync(await client.GetAsync(url.Replace("/system/", "/nowhere/", StringComparison.Ordinal)), HttpStatusCode.NotFound);
        }

        Assert.Empty(await ListAsync(client, url: ListUrl.Replace("/system/", "/default/", StringComparison.Ordinal)));
        await ProblemAsync(await client.GetAsync($"/api/web/namespaces/default/usage/invoice_pdf?name={invoice.FriendlyId}"), HttpStatusCode.NotFound);
        Assert.Single(await ListAsync(client));
    }

    [Fact]
    public async Task Concurrent_EnsureAsync_callers_get_identical_bytes_and_one_stored_row()
    {
        var (tenant, _) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now, To(InvoiceState.Pending), Fee(100));
        var pdfs = fx.Services.GetRequiredService<InvoicePdfs>();

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => pdfs.EnsureAsync(tenant, invoice.Id, CancellationToken.None))));

        Assert.All(results, r => Assert.Equal(results[0], r));
        Assert.Equal(1, await StoredPdfCountAsync(fx, tenant, invoice.Id));
        Assert.Equal(results[0], await pdfs.EnsureAsync(tenant, invoice.Id, CancellationToken.None));
    }

    [Fact]
    public async Task A_stored_pdf_is_returned_as_stored_and_not_rendered_again()
    {
        var (tenant, token) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now, To(InvoiceState.Paid), Fee(100));
        var stored = "%PDF-1.4 stored earlier"u8.ToArray();
        await using (var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext())
        {
            db.InvoicePdfs.Add(new InvoicePdfRow { TenantId = tenant, InvoiceId = invoice.Id, Content = stored, CreatedAt = now });
            await db.SaveChangesAsync();
        }

        using var client = fx.Client(token);

        Assert.Equal(stored, await fx.Services.GetRequiredService<InvoicePdfs>().EnsureAsync(tenant, invoice.Id, CancellationToken.None));
        Assert.Equal(stored, await PdfAsync(client, invoice.FriendlyId));
        Assert.Equal(1, await StoredPdfCountAsync(fx, tenant, invoice.Id));
    }

    [Fact]
    public async Task An_invoice_renumbered_without_a_month_has_a_PDF_printing_that_number()
    {
        var (tenant, token) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var invoice = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc).Previous(), now, To(InvoiceState.Paid), Fee(100));
        var shortForm = $"9{Random.Shared.Next(100, 999)}-{Random.Shared.Next(1, 99_999_999):D8}";
        await using (var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext())
        {
            var row = (await InvoiceStore.FindAsync(db, invoice.Id, tenant, CancellationToken.None))!;
            row.FriendlyId = shortForm;
            await db.SaveChangesAsync();
        }

        using var client = fx.Client(token);

        var listed = Assert.Single(await ListAsync(client));
        var pdf = await PdfAsync(client, shortForm);
        Assert.Equal(shortForm, (string)listed["name"]!);
        Assert.Contains(shortForm, InvoicePdfTestKit.Text(pdf), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnsureAsync_refuses_an_open_invoice_and_a_missing_one()
    {
        var (tenant, _) = await TenantAsync(fx);
        var now = fx.Clock.GetUtcNow();
        var open = await SeedAsync(fx, tenant, BillingPeriod.Containing(now, TimeZoneInfo.Utc), now, [], Fee(100));
        var pdfs = fx.Services.GetRequiredService<InvoicePdfs>();

        var notIssued = await Assert.ThrowsAsync<InvalidOperationException>(() => pdfs.EnsureAsync(tenant, open.Id, CancellationToken.None));
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => pdfs.EnsureAsync(tenant, long.MaxValue, CancellationToken.None));
        var otherTenant = await Assert.ThrowsAsync<InvalidOperationException>(() => pdfs.EnsureAsync("nobody", open.Id, CancellationToken.None));

        Assert.Contains("not issued", notIssued.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", otherTenant.Message, StringComparison.Ordinal);
        Assert.Equal(0, await StoredPdfCountAsync(fx, tenant, open.Id));
    }

    [Fact]
    public async Task The_document_has_the_frozen_blocks_local_dates_the_inclusive_period_units_and_stored_totals()
    {
        var metric = $"m{Guid.NewGuid():N}"[..16];
        using (var op = fx.Operator())
        {
            (await op.PutAsJsonAsync($"/api/admin/metrics/{metric}", new
            {
                display_name = "Data transfer", unit_name = "MB", billable_unit_name = "GB", divisor = "1024", aggregation = "sum",
            })).EnsureSuccessStatusCode();
        }

        var (tenant, _) = await TenantAsync(fx, currency: "EUR", vatRate: "19", timeZone: "Asia/Tokyo", locale: "de");
        var zone = TimeZones.Require("Asia/Tokyo");
        var period = BillingPeriod.Containing(fx.Clock.GetUtcNow(), zone).Previous();
        var issuedAt = period.End.AddHours(-1); // 23:00 Tokyo on the last day of the period
        var invoice = await SeedAsync(
            fx, tenant, period, issuedAt, To(InvoiceState.Paid),
            new SeedLine(LineItemKind.PlanCost, "Fixed fee ('Team')", 5000, 1m, SourceKey: SourceKeys.Plan("sub-1", period)),
            new SeedLine(LineItemKind.PlanCost, "Setup fee ('Team')", 1000, 1m, SourceKey: SourceKeys.Setup("sub-1")),
            new SeedLine(LineItemKind.VariableCost, "Data transfer", 777, 2048.5m, metric, SourceKeys.Usage(metric, period)),
            new SeedLine(LineItemKind.VariableCost, "Gone metric", 1, 3m, "no-such-metric", SourceKeys.Usage("no-such-metric", period)));
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        var row = (await InvoiceStore.FindAsync(db, invoice.Id, tenant, CancellationToken.None))!;
        var lines = await InvoiceStore.LinesAsync(db, tenant, invoice.Id, CancellationToken.None);
        var metrics = (await fx.Services.GetRequiredService<CatalogService>().ListMetricsAsync(CancellationToken.None))
            .ToDictionary(m => m.Name, StringComparer.Ordinal);

        var document = InvoicePdfs.BuildDocument(row, lines, zone, metrics);

        Assert.Equal(invoice.FriendlyId, document.FriendlyId);
        Assert.Equal(new DateOnly(period.Year, period.Month, 1), document.PeriodFrom);
        Assert.Equal(new DateOnly(period.Year, period.Month, 1).AddMonths(1).AddDays(-1), document.PeriodTo);
        Assert.Equal(document.PeriodTo, document.IssuedOn); // 23:00 in Tokyo, 14:00 UTC
        Assert.Equal(document.PeriodTo.AddDays(2), document.DueOn);
        Assert.Equal(InvoiceLocale.De, document.Locale);
        Assert.Equal("EUR", document.Currency.Code);
        Assert.Equal(19m, document.VatRate);
        Assert.Equal(InvoiceState.Paid, document.Status);
        Assert.Equal(TenantDisplayName, document.Tenant.Name);
        Assert.Contains("1 Karasuma-dori", document.Tenant.AddressLines);
        Assert.Equal("Tally Cloud GmbH", document.Operator.Name);
        Assert.Equal("DE123456789", document.Operator.VatCode);
        Assert.Equal(["Fixed fee ('Team')", "Setup fee ('Team')", "Data transfer", "Gone metric"], document.Lines.Select(l => l.Name));
        Assert.Equal([InvoicePdfs.MonthUnit, "", "MB", ""], document.Lines.Select(l => l.Unit));
        Assert.Equal([1m, 1m, 2048.5m, 3m], document.Lines.Select(l => l.Quantity));
        Assert.Equal([5000L, 1000L, 777L, 1L], document.Lines.Select(l => l.Amount.Minor));
        Assert.Equal(row.SubtotalMinor, document.Subtotal.Minor);
        Assert.Equal(6778, document.Subtotal.Minor);
        Assert.Equal(row.VatMinor, document.Vat.Minor);
        Assert.Equal(row.TotalMinor, document.Total.Minor);
    }
}

public sealed class F5InvoiceApiTestsOnSqlite(SqliteFixture fx) : F5InvoiceApiTests(fx), IClassFixture<SqliteFixture>;

public sealed class F5InvoiceApiTestsOnPostgres(PostgresFixture fx) : F5InvoiceApiTests(fx), IClassFixture<PostgresFixture>;
