using System.Collections.Immutable;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Catalog;
using Tally.Domain.Invoicing;
using Tally.Domain.Tenants;
using Tally.Server.Features.Catalog;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Invoices;

/// <summary>Issued invoices' PDFs: rendered once from the frozen invoice and stored in <c>invoice_pdfs</c>.</summary>
public sealed class InvoicePdfs(TallyDatabase database, CatalogService catalog, ILogger<InvoicePdf> logger)
{
    /// <summary>Unit printed on fixed-fee lines that bill a month (plan, add-on and refund/adjustment lines).</summary>
    public const string MonthUnit = "month";

    private readonly InvoicePdf _renderer = new(logger);

    /// <summary>
    /// The PDF of issued invoice <paramref name="invoiceId"/> of <paramref name="tenant"/>: the stored one while it is
    /// current, or rendered now (frozen locale, addresses, VAT) and stored. A stored PDF is current when it was rendered
    /// from the invoice's latest version (<c>invoice_pdfs.created_at</c> = <c>invoices.updated_at</c>): everything on it
    /// is frozen at issue except the payment status, so a PDF rendered at issue is rendered again once, after the
    /// invoice is paid (or fails, or is cancelled). Throws <see cref="InvalidOperationException"/> when the invoice does
    /// not exist or is not issued yet (open or finalized).
    /// <para>
    /// Concurrent callers may all render, but only the first write of a version is kept (insert-if-absent, or an update
    /// only of an older version) and every caller returns the stored bytes, so all get the same document.
    /// </para>
    /// </summary>
    public async Task<byte[]> EnsureAsync(string tenant, long invoiceId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        InvoiceDocument document;
        DateTimeOffset version;
        bool stale;
        await using (var db = database.CreateContext())
        {
            var invoice = await db.Invoices.AsNoTracking().SingleOrDefaultAsync(i => i.TenantId == tenant && i.Id == invoiceId, ct)
                ?? throw new InvalidOperationException($"Invoice {invoiceId} of tenant '{tenant}' does not exist.");
            RequireIssued(invoice);
            version = invoice.UpdatedAt;
            var stored = await db.InvoicePdfs.AsNoTracking()
                .Where(p => p.TenantId == tenant && p.InvoiceId == invoiceId).Select(p => new { p.Content, p.CreatedAt }).SingleOrDefaultAsync(ct);
            if (stored is not null && stored.CreatedAt >= version)
            {
                return stored.Content;
            }

            stale = stored is not null;
            var zone = await db.Tenants.AsNoTracking().Where(t => t.TenantId == tenant).Select(t => t.TimeZone).SingleAsync(ct);
            var lines = await InvoiceStore.LinesAsync(db, tenant, invoiceId, ct);
            var metrics = (await catalog.ListMetricsAsync(ct)).ToDictionary(m => m.Name, StringComparer.Ordinal);
            document = BuildDocument(invoice, lines, TimeZones.Require(zone), metrics);
        }

        var bytes = _renderer.Render(document);
        await using (var db = database.CreateContext())
        {
            if (stale)
            {
                if (await db.InvoicePdfs
                        .Where(p => p.TenantId == tenant && p.InvoiceId == invoiceId && p.CreatedAt < version)
                        .ExecuteUpdateAsync(u => u.SetProperty(p => p.Content, bytes).SetProperty(p => p.CreatedAt, version), ct) == 1)
                {
                    return bytes;
                }
            }
            else
            {
                db.InvoicePdfs.Add(new InvoicePdfRow { TenantId = tenant, InvoiceId = invoiceId, Content = bytes, CreatedAt = version });
                try
                {
                    await db.SaveChangesAsync(ct);
                    return bytes;
                }
                catch (DbUpdateException)
                {
                    // Another caller stored the PDF first (primary key tenant_id, invoice_id): return theirs. Anything else rethrows.
                    if (await StoredAsync(tenant, invoiceId, ct) is { } theirs)
                    {
                        return theirs;
                    }

                    throw;
                }
            }
        }

        // Another caller wrote this version first: everyone returns the stored bytes.
        return await StoredAsync(tenant, invoiceId, ct)
            ?? throw new InvalidOperationException($"The PDF of invoice {invoiceId} of tenant '{tenant}' was not stored.");
    }

    /// <summary>True when the invoice has been issued (its party blocks and issue and due instants are frozen).</summary>
    public static bool IsIssued(InvoiceRow invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        return invoice.IssuedAt is not null && invoice.DueAt is not null && invoice.FromAddressJson is not null && invoice.ToAddressJson is not null;
    }

    /// <summary>
    /// What the PDF of issued <paramref name="invoice"/> shows: the frozen party blocks, VAT rate, currency and locale;
    /// issue and due dates as local dates in <paramref name="zone"/>; the billing month (<see cref="InvoiceRow.Period"/>)
    /// from its first to its last day; <paramref name="lines"/> in id order with their quantity and unit
    /// (<see cref="UnitOf"/>); subtotal, VAT and total as stored. Throws <see cref="InvalidOperationException"/> when the
    /// invoice is not issued, <see cref="InvalidDataException"/> for stored values Tally cannot read.
    /// </summary>
    public static InvoiceDocument BuildDocument(
        InvoiceRow invoice, IEnumerable<InvoiceLineItemRow> lines, TimeZoneInfo zone, IReadOnlyDictionary<string, MetricDefinition> metrics)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(metrics);
        RequireIssued(invoice);
        var currency = Currency.Of(invoice.Currency);
        var seller = InvoicePartyBlock.FromJson(invoice.FromAddressJson!);
        var buyer = InvoicePartyBlock.FromJson(invoice.ToAddressJson!);
        var (from, to) = Month(invoice);
        if (!InvoiceLocales.TryParse(invoice.Locale, out var locale))
        {
            throw new InvalidDataException($"Invoice {invoice.Id} has an unknown locale '{invoice.Locale}'.");
        }

        return new InvoiceDocument
        {
            Operator = new InvoiceParty(seller.Name, [.. seller.Lines], seller.VatCode),
            Tenant = new InvoiceParty(buyer.Name, [.. buyer.Lines], buyer.VatCode),
            FriendlyId = invoice.FriendlyId,
            PeriodFrom = from,
            PeriodTo = to,
            IssuedOn = LocalDate(invoice.IssuedAt!.Value, zone),
            DueOn = LocalDate(invoice.DueAt!.Value, zone),
            Currency = currency,
            Lines = [.. lines.OrderBy(l => l.Id).Select(l => new InvoiceDocumentLine(
                l.Name, l.Description, ParseQuantity(l), UnitOf(l, metrics), new Money(l.AmountMinor, currency)))],
            Subtotal = new Money(invoice.SubtotalMinor, currency),
            VatRate = InvoiceStore.VatRate(invoice),
            Vat = new Money(invoice.VatMinor, currency),
            Total = new Money(invoice.TotalMinor, currency),
            Status = InvoiceStore.StateOf(invoice),
            Locale = locale,
        };
    }

    /// <summary>
    /// The unit printed for a line: <see cref="MonthUnit"/> for fixed fees billed per month (source keys <c>plan:</c>,
    /// <c>addon:</c>, <c>refund:</c>); for usage lines the metric's unit (<see cref="MetricDefinition.UnitName"/>: the
    /// line's quantity is the aggregated usage in that unit, not in billable units) when the catalog knows the metric;
    /// otherwise empty (setup fees, manual lines, metrics no longer in the catalog).
    /// </summary>
    public static string UnitOf(InvoiceLineItemRow line, IReadOnlyDictionary<string, MetricDefinition> metrics)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(metrics);
        if (line.Type == LineItemKind.VariableCost.ToWire())
        {
            return line.Metric is not null && metrics.TryGetValue(line.Metric, out var metric) ? metric.UnitName : "";
        }

        return line.SourceKey.StartsWith("plan:", StringComparison.Ordinal)
            || line.SourceKey.StartsWith("addon:", StringComparison.Ordinal)
            || line.SourceKey.StartsWith("refund:", StringComparison.Ordinal)
            ? MonthUnit
            : "";
    }

    private static void RequireIssued(InvoiceRow invoice)
    {
        if (!IsIssued(invoice))
        {
            throw new InvalidOperationException(
                $"Invoice {invoice.FriendlyId} is not issued (state {invoice.State}): its PDF exists once it is issued.");
        }
    }

    private async Task<byte[]?> StoredAsync(string tenant, long invoiceId, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        return await db.InvoicePdfs.AsNoTracking()
            .Where(p => p.TenantId == tenant && p.InvoiceId == invoiceId).Select(p => p.Content).SingleOrDefaultAsync(ct);
    }

    /// <summary>The invoice's billing month (<c>YYYY-MM</c>, the tenant's local month), first and last day.</summary>
    private static (DateOnly From, DateOnly To) Month(InvoiceRow invoice)
    {
        if (!DateOnly.TryParseExact(invoice.Period + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var first))
        {
            throw new InvalidDataException($"Invoice {invoice.Id} has an unreadable period '{invoice.Period}'.");
        }

        return (first, first.AddMonths(1).AddDays(-1));
    }

    /// <summary>
    /// The friendly id. An id in 3scale's short update form <c>YYYY-NNNNNNNN</c> cannot be printed as is (the document's
    /// id has a month) and is refused rather than printed as another number.
    /// </summary>

    private static decimal ParseQuantity(InvoiceLineItemRow line) =>
        decimal.TryParse(line.Quantity, NumberStyles.Number, CultureInfo.InvariantCulture, out var quantity)
            ? quantity
            : throw new InvalidDataException($"Line {line.Id} has an unreadable quantity '{line.Quantity}'.");

    private static DateOnly LocalDate(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
}
