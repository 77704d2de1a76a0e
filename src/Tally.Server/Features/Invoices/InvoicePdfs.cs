namespace Tally.Server.Features.Invoices;

/// <summary>Issued invoices' PDFs: rendered once from the frozen invoice and stored in <c>invoice_pdfs</c>.</summary>
public sealed class InvoicePdfs
{
    /// <summary>
    /// The PDF of issued invoice <paramref name="invoiceId"/> of <paramref name="tenant"/>: the stored one, or rendered
    /// now (tenant's frozen locale) and stored. Throws <see cref="InvalidOperationException"/> when the invoice does not
    /// exist or is not issued yet (open or finalized).
    /// </summary>
    public Task<byte[]> EnsureAsync(string tenant, long invoiceId, CancellationToken ct) =>
        throw new NotImplementedException($"{tenant}{invoiceId}{ct}");
}
