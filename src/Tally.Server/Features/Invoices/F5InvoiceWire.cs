namespace Tally.Server.Features.Invoices;

// Wire types of F5's ves.io.schema.usage.invoice API (specs/f5xc/official/*usage.invoice*); instants are RFC 3339 strings
// in UTC, int64 values JSON strings.

/// <summary>
/// F5 <c>invoiceInvoiceType</c>: <see cref="Name"/> is the friendly id, <see cref="Amount"/> the total (VAT included) in
/// hundredths of <see cref="Currency"/>, the period half-open, <see cref="Status"/> an <c>invoiceInvoiceStatus</c> value.
/// </summary>
public sealed record F5InvoiceType(string Name, string Amount, string Currency, string PeriodStart, string PeriodEnd, bool Active, string Status);

/// <summary>F5 <c>invoiceListInvoicesRsp</c>.</summary>
public sealed record F5ListInvoicesRsp(IReadOnlyList<F5InvoiceType> Invoices);

/// <summary>F5 <c>invoiceDownloadInvoicePdfRsp</c>: the PDF, written as base64 (proto3 <c>bytes</c>).</summary>
public sealed record F5DownloadInvoicePdfRsp(byte[] Pdf);
