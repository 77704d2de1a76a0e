using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Domain.Tenants;
using Tally.Server.Features.Invoices;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// Everything one invoice's 3scale representation needs: the row, its lines, its payment-transaction count, the
/// provider and buyer blocks (frozen after issue, live before) and the tenant's zone (dates are local calendar dates).
/// </summary>
public sealed record InvoiceView(
    InvoiceRow Invoice, IReadOnlyList<InvoiceLineItemRow> Lines, int TransactionCount, InvoicePartyBlock Provider, InvoicePartyBlock Buyer, TimeZoneInfo Zone);

/// <summary>Loads <see cref="InvoiceView"/>s and formats 3scale's scalar values (money, dates, times).</summary>
public static class ThreeScaleViews
{
    /// <summary>The views of <paramref name="invoices"/>, in the same order: lines, counts and tenants read in a few queries.</summary>
    public static async Task<List<InvoiceView>> LoadAsync(TallyDbContext db, IReadOnlyList<InvoiceRow> invoices, OperatorParty seller, CancellationToken ct)
    {
        var ids = invoices.Select(i => i.Id).ToList();
        var tenantIds = invoices.Select(i => i.TenantId).Distinct().ToList();
        var tenants = await db.Tenants.AsNoTracking().Where(t => tenantIds.Contains(t.TenantId)).ToDictionaryAsync(t => t.TenantId, ct);
        var lines = (await db.InvoiceLineItems.AsNoTracking().Where(l => ids.Contains(l.InvoiceId)).OrderBy(l => l.Id).ToListAsync(ct))
            .ToLookup(l => l.InvoiceId);
        var counts = (await db.PaymentTransactions.AsNoTracking().Where(t => ids.Contains(t.InvoiceId))
                .GroupBy(t => t.InvoiceId).Select(g => new { Id = g.Key, Count = g.Count() }).ToListAsync(ct))
            .ToDictionary(c => c.Id, c => c.Count);
        return invoices.Select(i =>
        {
            var tenant = tenants[i.TenantId];
            var provider = i.FromAddressJson is null ? InvoicePartyBlock.ForOperator(seller) : InvoicePartyBlock.FromJson(i.FromAddressJson);
            var buyer = i.ToAddressJson is null ? InvoicePartyBlock.ForTenant(tenant) : InvoicePartyBlock.FromJson(i.ToAddressJson);
            return new InvoiceView(i, [.. lines[i.Id]], counts.GetValueOrDefault(i.Id), provider, buyer, TimeZones.Require(tenant.TimeZone));
        }).ToList();
    }

    /// <summary>One invoice's view.</summary>
    public static async Task<InvoiceView> LoadAsync(TallyDbContext db, InvoiceRow invoice, OperatorParty seller, CancellationToken ct) =>
        (await LoadAsync(db, [invoice], seller, ct))[0];

    /// <summary>Minor units as 3scale prints a BigDecimal: currency units with at least one fractional digit ("20.0", "171.43", "1200.0").</summary>
    public static string Money(long minor, string currency) => Units(minor, currency).ToString("0.0###########", CultureInfo.InvariantCulture);

    /// <summary>Minor units as a decimal in currency units.</summary>
    public static decimal Units(long minor, string currency) => new Tally.Domain.Money(minor, Currency.Of(currency)).ToUnits();

    /// <summary>A decimal string printed like <see cref="Money(long, string)"/> ("10" → "10.0").</summary>
    public static string Number(decimal value) => value.ToString("0.0###########", CultureInfo.InvariantCulture);

    /// <summary>The calendar date <paramref name="instant"/> falls on in <paramref name="zone"/> ("2026-11-24"), or null.</summary>
    public static string? Date(DateTimeOffset? instant, TimeZoneInfo zone) =>
        instant is { } at ? TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null;

    /// <summary>The last calendar date of a half-open range ending at <paramref name="end"/> in <paramref name="zone"/>.</summary>
    public static string LastDate(DateTimeOffset end, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(end.AddTicks(-1), zone).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>3scale's <c>paid_at</c>: "2026-11-24 12:00:00 UTC", or null.</summary>
    public static string? UtcTime(DateTimeOffset? instant) =>
        instant is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : null;

    /// <summary>Rails' <c>xmlschema</c> of a UTC time: "2026-11-24T12:00:00Z".</summary>
    public static string XmlSchema(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A stored invariant decimal string (quantity) as a decimal; 0 when unreadable.</summary>
    public static decimal Quantity(string stored) =>
        decimal.TryParse(stored, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : 0m;

    /// <summary>The invoice's VAT rate in percent.</summary>
    public static decimal VatRate(InvoiceRow invoice) => InvoiceStore.VatRate(invoice);

    /// <summary>The raw gateway response, as string pairs (non-string values as their JSON text).</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> GatewayResponse(PaymentTransactionRow transaction)
    {
        using var document = JsonDocument.Parse(string.IsNullOrEmpty(transaction.GatewayResponseJson) ? "{}" : transaction.GatewayResponseJson);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return document.RootElement.EnumerateObject()
            .Select(p => new KeyValuePair<string, string?>(p.Name, p.Value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => p.Value.GetString(),
                _ => p.Value.GetRawText(),
            }))
            .ToList();
    }
}
