using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Server.Features.Invoices;
using Tally.Server.Tests.Infrastructure;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Tests.Invoices;

/// <summary>One line of a seeded invoice; <see cref="SourceKey"/> defaults to a fresh <c>manual:</c> key.</summary>
internal sealed record SeedLine(LineItemKind Kind, string Name, long Minor, decimal Quantity = 1m, string? Metric = null, string? SourceKey = null);

/// <summary>Tenants, invoices seeded through <see cref="InvoiceStore"/> (as the billing engine writes them) and calls of F5's invoice API.</summary>
internal static class F5InvoiceTestKit
{
    public const string ListUrl = "/api/web/namespaces/system/usage/invoices/custom_list";
    public const string PdfUrl = "/api/web/namespaces/system/usage/invoice_pdf";
    public const string TenantDisplayName = "Kyoto Widgets KK";

    public static readonly OperatorParty Seller = new("Tally Cloud GmbH", ["Müllerstraße 12", "80469 München"], "DE123456789");

    public static readonly F5Schema InvoiceSchema = new("docs-cloud-f5-com.0140.public.ves.io.schema.usage.invoice.ves-swagger.json");

    /// <summary>Creates a tenant (namespaces system and default) and a viewer token of it; returns (tenant, token).</summary>
    public static async Task<(string Tenant, string Token)> TenantAsync(
        TallyFixture fx, string currency = "USD", string vatRate = "0", string timeZone = "UTC", string locale = "en")
    {
        var tenant = TallyFixture.NewTenantName();
        using var op = fx.Operator();
        var response = await op.PostAsJsonAsync("/api/admin/tenants", new
        {
            name = tenant,
            display_name = TenantDisplayName,
            currency,
            time_zone = timeZone,
            locale,
            vat_rate = vatRate,
            address = new Dictionary<string, string> { ["line1"] = "1 Karasuma-dori", ["city"] = "Kyoto", ["zip"] = "600-8001", ["country"] = "Japan" },
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        (await op.PostAsJsonAsync($"/api/admin/tenants/{tenant}/namespaces", new { name = "default" })).EnsureSuccessStatusCode();
        var (_, token) = await fx.CreateTokenAsync(tenant, role: "viewer");
        return (tenant, token);
    }

    /// <summary>
    /// Writes an invoice of <paramref name="tenant"/> for <paramref name="period"/> created at <paramref name="at"/> with
    /// <paramref name="lines"/>, then fires <paramref name="events"/> at <paramref name="at"/> (issue freezes the blocks
    /// with <see cref="Seller"/>): one transaction holding the tenant's lock, as the billing engine does.
    /// </summary>
    public static async Task<InvoiceRow> SeedAsync(
        TallyFixture fx, string tenant, BillingPeriod period, DateTimeOffset at, InvoiceEvent[] events, params SeedLine[] lines)
    {
        var ct = CancellationToken.None;
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        Assert.True(await db.LockTenantAsync(tenant, ct));
        var row = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == tenant, ct);
        var invoice = await InvoiceStore.CreateAsync(db, row, period, InvoiceRow.Background, at, ct);
        var currency = Currency.Of(row.Currency);
        foreach (var line in lines)
        {
            var item = new LineItem(
                line.Kind, line.Name, "Billed for the period", line.Quantity, new Money(line.Minor, currency), period.Start, period.End,
                line.SourceKey ?? SourceKeys.Manual(Guid.NewGuid().ToString("N")), line.Metric);
            await InvoiceStore.AddLineAsync(db, invoice, item, null, null, null, at, ct);
        }

        await InvoiceStore.RecomputeTotalsAsync(db, invoice, ct);
        foreach (var @event in events)
        {
            InvoiceStore.Fire(invoice, @event, at, row, Seller, null, lines.Select(l => l.Minor));
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return invoice;
    }

    /// <summary>The events that bring a new invoice to <paramref name="state"/>.</summary>
    public static InvoiceEvent[] To(InvoiceState state) => state switch
    {
        InvoiceState.Open => [],
        InvoiceState.Finalized => [InvoiceEvent.Finalize],
        InvoiceState.Pending => [InvoiceEvent.Issue],
        InvoiceState.Unpaid => [InvoiceEvent.Issue, InvoiceEvent.MarkAsUnpaid],
        InvoiceState.Paid => [InvoiceEvent.Issue, InvoiceEvent.Pay],
        InvoiceState.Failed => [InvoiceEvent.Issue, InvoiceEvent.MarkAsUnpaid, InvoiceEvent.Fail],
        InvoiceState.Cancelled => [InvoiceEvent.Issue, InvoiceEvent.Cancel],
        InvoiceState.Refunded => [InvoiceEvent.Issue, InvoiceEvent.Pay, InvoiceEvent.Refund],
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>GET of the invoice list: asserts 200 and a valid <c>invoiceListInvoicesRsp</c>; returns the invoices.</summary>
    public static async Task<List<JsonObject>> ListAsync(HttpClient client, string query = "", string url = ListUrl)
    {
        var response = await client.GetAsync(url + query);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await InvoiceSchema.AssertValidAsync("invoiceListInvoicesRsp", text);
        return [.. (JsonNode.Parse(text)!["invoices"]?.AsArray() ?? []).Select(i => i!.AsObject())];
    }

    /// <summary>GET of an invoice's PDF: asserts 200 and a valid <c>invoiceDownloadInvoicePdfRsp</c>; returns the decoded bytes.</summary>
    public static async Task<byte[]> PdfAsync(HttpClient client, string name)
    {
        var response = await client.GetAsync($"{PdfUrl}?name={Uri.EscapeDataString(name)}");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        await InvoiceSchema.AssertValidAsync("invoiceDownloadInvoicePdfRsp", text);
        return Convert.FromBase64String((string)JsonNode.Parse(text)!["pdf"]!);
    }

    /// <summary>Asserts a problem+json with <paramref name="status"/>; returns its body.</summary>
    public static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode} {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<int> StoredPdfCountAsync(TallyFixture fx, string tenant, long invoiceId)
    {
        await using var db = fx.Services.GetRequiredService<TallyDatabase>().CreateContext();
        return await db.InvoicePdfs.CountAsync(p => p.TenantId == tenant && p.InvoiceId == invoiceId);
    }
}
