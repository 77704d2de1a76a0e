using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Invoicing;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Catalog;
using Tally.Server.Features.Quotas;
using Tally.Server.Features.Usage;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Invoices;

/// <summary>
/// F5's invoice API (ves.io.schema.usage.invoice) for tenant tokens with the <c>billing</c> permission (viewers may read):
/// the tenant's invoices newest first, and an issued invoice's PDF by name (its friendly id). Invoices are tenant-wide
/// objects of namespace <c>system</c>: another namespace of the tenant lists none and finds none. Operator tokens 403; a
/// namespace the tenant lacks (or off the token's allow-list) 404.
/// </summary>
public static class F5InvoiceEndpoints
{
    public const string ListOperation = "ves.io.schema.usage.invoice.CustomAPI.ListInvoices";
    public const string PdfOperation = "ves.io.schema.usage.invoice.CustomAPI.DownloadInvoicePdf";

    public static IEndpointRouteBuilder MapF5Invoices(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/web/namespaces/{namespace}/usage").WithTags("F5 invoices");
        group.MapGet("/invoices/custom_list", ListAsync).WithF5Operation(ListOperation)
            .WithSummary("The tenant's invoices, newest first (by issue date; invoices not issued yet by creation), at most limit of them.");
        group.MapGet("/invoice_pdf", PdfAsync).WithF5Operation(PdfOperation)
            .WithSummary("The PDF of the issued invoice named name (its friendly id), base64 in JSON; 409 while the invoice is not issued.");
        return routes;
    }

    public static async Task<Results<Ok<F5ListInvoicesRsp>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "namespace")] string ns, [FromQuery(Name = "limit")] string? limit, Caller caller,
        TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        await using var db = database.CreateContext();
        var (tenantId, denied) = await TenantScope.RequireF5CallerAsync(db, caller.Grant, ns, Permissions.Billing, ct);
        if (denied is not null)
        {
            return denied;
        }

        var max = ParseLimit(limit);
        if (ns != NamespaceRow.System)
        {
            return TypedResults.Ok(new F5ListInvoicesRsp([]));
        }

        var now = clock.GetUtcNow();
        var rows = await F5Invoices.OfTenantAsync(db, tenantId!, ct);
        var invoices = rows
            .OrderByDescending(F5Invoices.SortInstant).ThenByDescending(i => i.Id)
            .Take(max ?? int.MaxValue)
            .Select(i => F5Invoices.ToF5(i, now))
            .ToList();
        return TypedResults.Ok(new F5ListInvoicesRsp(invoices));
    }

    public static async Task<Results<Ok<F5DownloadInvoicePdfRsp>, ProblemHttpResult>> PdfAsync(
        [FromRoute(Name = "namespace")] string ns, [FromQuery(Name = "name")] string? name, Caller caller,
        TallyDatabase database, InvoicePdfs pdfs, CancellationToken ct)
    {
        InvoiceRow? invoice;
        await using (var db = database.CreateContext())
        {
            var (tenantId, denied) = await TenantScope.RequireF5CallerAsync(db, caller.Grant, ns, Permissions.Billing, ct);
            if (denied is not null)
            {
                return denied;
            }

            if (string.IsNullOrEmpty(name))
            {
                throw new RequestValidationException("name", "name is required: the name of an invoice as invoices/custom_list returns it (YYYY-MM-NNNNNNNN).");
            }

            if (!FriendlyId.IsAcceptedUpdateForm(name))
            {
                throw new RequestValidationException("name", $"name '{Names.Truncate(name)}' is not an invoice name: invoice names have the form YYYY-MM-NNNNNNNN.");
            }

            invoice = ns == NamespaceRow.System ? await InvoiceStore.FindByFriendlyIdAsync(db, tenantId!, name, ct) : null;
            if (invoice is null)
            {
                return Problems.NotFound($"Invoice '{name}' does not exist.");
            }
        }

        if (!InvoicePdfs.IsIssued(invoice))
        {
            return Problems.Conflict($"Invoice '{name}' is not issued yet (it is still being prepared): its PDF can be downloaded once it is issued.");
        }

        return TypedResults.Ok(new F5DownloadInvoicePdfRsp(await pdfs.EnsureAsync(invoice.TenantId, invoice.Id, ct)));
    }

    /// <summary>grpc-gateway's int32 query value: absent, empty or 0 = no limit (proto3's default); negative or not an int32 = 400 <c>limit</c>.</summary>
    private static int? ParseLimit(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var limit) || limit < 0)
        {
            throw new RequestValidationException("limit", $"limit must be a whole number from 0 (no limit) to {int.MaxValue}, not '{Names.Truncate(text)}'.");
        }

        return limit == 0 ? null : limit;
    }
}

/// <summary>The F5 view of a tenant's invoices, shared by the invoice list, the subscription list and <c>monthly_usage</c>.</summary>
public static class F5Invoices
{
    /// <summary>The states of an issued invoice that still counts: pending, unpaid, paid, failed, refunded (not open, finalized or cancelled).</summary>
    public static IReadOnlySet<InvoiceState> Billed { get; } = new HashSet<InvoiceState>
    {
        InvoiceState.Pending, InvoiceState.Unpaid, InvoiceState.Paid, InvoiceState.Failed, InvoiceState.Refunded,
    };

    /// <summary>Every invoice of <paramref name="tenantId"/>, untracked, by id.</summary>
    public static Task<List<InvoiceRow>> OfTenantAsync(TallyDbContext db, string tenantId, CancellationToken ct) =>
        db.Invoices.AsNoTracking().Where(i => i.TenantId == tenantId).OrderBy(i => i.Id).ToListAsync(ct);

    /// <summary>The instant the list sorts by: the issue instant, or the creation instant of an invoice not issued.</summary>
    public static DateTimeOffset SortInstant(InvoiceRow invoice)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        return invoice.IssuedAt ?? invoice.CreatedAt;
    }

    /// <summary>Open and finalized invoices can still change (F5 <c>active</c>, <c>STATUS_PENDING</c>).</summary>
    public static bool IsActive(InvoiceRow invoice) => InvoiceStore.StateOf(invoice).IsEditable();

    /// <summary>
    /// F5's status: <see cref="InvoiceStates.ToF5Status"/>, except that a pending (issued, unpaid) invoice whose due instant
    /// has passed is <c>OVERDUE</c> ("set when current date is past due date, clears when the invoice gets paid").
    /// </summary>
    public static string Status(InvoiceRow invoice, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var state = InvoiceStore.StateOf(invoice);
        return state == InvoiceState.Pending && invoice.DueAt is { } due && now > due ? "OVERDUE" : state.ToF5Status();
    }

    public static F5InvoiceType ToF5(InvoiceRow invoice, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var total = new Money(invoice.TotalMinor, Currency.Of(invoice.Currency));
        return new F5InvoiceType(
            invoice.FriendlyId,
            F5UsageFormat.Whole(total.ToHundredths()),
            total.Currency.Code,
            F5UsageFormat.Instant(invoice.PeriodStart),
            F5UsageFormat.Instant(invoice.PeriodEnd),
            IsActive(invoice),
            Status(invoice, now));
    }
}
