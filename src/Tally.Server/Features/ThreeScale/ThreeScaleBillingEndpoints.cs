using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Domain.Tenants;
using Tally.Server.Features.Billing;
using Tally.Server.Features.Invoices;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.ThreeScale;

/// <summary>
/// The 3scale Billing API (reference <c>3scale-billing-api.md</c> §1): twelve operations, each as <c>.xml</c> and
/// <c>.json</c> (plus <c>GET /api/invoices/{id}.pdf</c>). <c>account_id</c> is the tenant's name and <c>id</c> the invoice's
/// 3scale id. Callers are operator tokens with the <c>billing</c> scope (<see cref="ThreeScaleAuth"/>, applied by the
/// authentication middleware before any handler runs). Every write is one transaction that takes the tenant's lock first.
/// Bad ids, unknown tenants, metrics, plans and contracts are 404; bad values 422 naming the field; see
/// <see cref="ThreeScaleErrors"/> for the bodies.
/// </summary>
public static partial class ThreeScaleBillingEndpoints
{
    /// <summary>Largest <c>per_page</c> (3scale's <c>per_page_range = 1..500</c>).</summary>
    public const int MaxPerPage = 500;

    public const int DefaultPerPage = 20;

    /// <summary>Largest line cost accepted, in currency units (keeps sums far inside 64-bit minor units).</summary>
    private const decimal MaxCost = 1_000_000_000_000m;

    public static IEndpointRouteBuilder MapThreeScaleBilling(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api").WithTags("3scale Billing API").WithMetadata(ThreeScaleRoute.Default);

        // 1-2. Invoice lists.
        api.MapGet("/invoices.{format}", ListInvoicesAsync).WithSummary("Invoice List (filters state, month, page, per_page).");
        api.MapGet("/accounts/{account_id}/invoices.{format}", ListAccountInvoicesAsync).WithSummary("Invoice List by Account.");
        // 3-4. One invoice (and its PDF).
        api.MapGet("/invoices/{id}.{format}", GetInvoiceAsync).WithMetadata(new ThreeScaleRoute(AllowPdf: true))
            .WithSummary("Invoice Read; .pdf answers the stored PDF of an issued invoice.");
        api.MapGet("/accounts/{account_id}/invoices/{id}.{format}", GetAccountInvoiceAsync).WithSummary("Invoice by Account Read.");
        // 5-8. Invoice writes.
        api.MapPost("/invoices.{format}", CreateInvoiceAsync).WithSummary("Invoice Create (manual, open).");
        api.MapPut("/invoices/{id}.{format}", UpdateInvoiceAsync).WithSummary("Invoice Update (period, friendly_id).");
        api.MapPut("/invoices/{id}/state.{format}", ChangeStateAsync).WithSummary("Invoice State Update.");
        api.MapPost("/invoices/{id}/charge.{format}", ChargeAsync).WithSummary("Invoice Charge.");
        // 9-11. Line items.
        api.MapGet("/invoices/{invoice_id}/line_items.{format}", ListLineItemsAsync).WithSummary("Invoice Line Items List.");
        api.MapPost("/invoices/{invoice_id}/line_items.{format}", CreateLineItemAsync).WithSummary("Invoice Line Item Create.");
        api.MapDelete("/invoices/{invoice_id}/line_items/{id}.{format}", DeleteLineItemAsync).WithSummary("Invoice Line Item Delete.");
        // 12. Payment transactions.
        api.MapGet("/invoices/{invoice_id}/payment_transactions.{format}", ListPaymentTransactionsAsync).WithSummary("Invoice Payment Transactions List.");
        return routes;
    }

    // ---- 1. GET /api/invoices ----

    public static Task<IResult> ListInvoicesAsync(
        string format, HttpRequest request, TallyDatabase database, BillingOptions options, CancellationToken ct) =>
        ListAsync(format, null, request, database, options, ct);

    // ---- 2. GET /api/accounts/{account_id}/invoices ----

    public static Task<IResult> ListAccountInvoicesAsync(
        [FromRoute(Name = "account_id")] string accountId, string format, HttpRequest request, TallyDatabase database, BillingOptions options, CancellationToken ct) =>
        ListAsync(format, accountId, request, database, options, ct);

    // ---- 3. GET /api/invoices/{id} (and .pdf) ----

    public static Task<IResult> GetInvoiceAsync(
        string id, string format, TallyDatabase database, BillingOptions options, InvoicePdfs pdfs, HttpRequest request, CancellationToken ct) =>
        ReadAsync(id, null, format, database, options, pdfs, request, ct);

    // ---- 4. GET /api/accounts/{account_id}/invoices/{id} ----

    public static Task<IResult> GetAccountInvoiceAsync(
        [FromRoute(Name = "account_id")] string accountId, string id, string format, TallyDatabase database, BillingOptions options,
        InvoicePdfs pdfs, HttpRequest request, CancellationToken ct) =>
        ReadAsync(id, accountId, format, database, options, pdfs, request, ct);

    // ---- 5. POST /api/invoices ----

    public static async Task<IResult> CreateInvoiceAsync(
        string format, HttpRequest request, TallyDatabase database, BillingOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        var p = await ThreeScaleParams.ReadAsync(request, ct);
        var account = p["account_id"];
        if (string.IsNullOrWhiteSpace(account))
        {
            return ThreeScaleErrors.MissingParameter("account_id");
        }

        var now = clock.GetUtcNow();
        await using var db = database.CreateContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (!await db.LockTenantAsync(account, ct))
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == account, ct);
        var (period, problem) = ResolvePeriod(f, p["period"], tenant, now);
        if (problem is not null)
        {
            return problem;
        }

        var invoice = await InvoiceStore.CreateAsync(db, tenant, period!, InvoiceRow.Manual, now, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return await RespondAsync(db, invoice, f, options, request, StatusCodes.Status201Created, ct);
    }

    // ---- 6. PUT /api/invoices/{id} ----

    public static async Task<IResult> UpdateInvoiceAsync(
        string id, string format, HttpRequest request, TallyDatabase database, BillingOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        var p = await ThreeScaleParams.ReadAsync(request, ct);
        var now = clock.GetUtcNow();
        await using var locked = await LockedInvoice.OpenAsync(database, ParseId(id), ct);
        if (locked.Invoice is not { } invoice)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var db = locked.Db;

        // Tally keeps issued invoices immutable (their PDF carries the period and number).
        if (!InvoiceStore.StateOf(invoice).IsEditable())
        {
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.InvalidInvoiceState);
        }

        var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == invoice.TenantId, ct);
        if (p["period"] is { } periodText)
        {
            // On update a blank period is malformed, not "the current month".
            var (period, problem) = string.IsNullOrWhiteSpace(periodText)
                ? (null, ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.PeriodFormat, "period"))
                : ResolvePeriod(f, periodText, tenant, now);
            if (problem is not null)
            {
                return problem;
            }

            invoice.Period = SourceKeys.Month(period!);
            invoice.PeriodStart = period!.Start;
            invoice.PeriodEnd = period.End;
        }

        if (p["friendly_id"] is { } friendly)
        {
            if (!FriendlyId.IsAcceptedUpdateForm(friendly))
            {
                return ThreeScaleErrors.Unprocessable(f, "format should be YYYY-MM-XXXXXXXX or YYYY-XXXXXXXX", "friendly_id");
            }

            if (friendly != invoice.FriendlyId)
            {
                if (await db.Invoices.AnyAsync(i => i.FriendlyId == friendly && i.Id != invoice.Id, ct))
                {
                    return FriendlyIdTaken(f);
                }

                invoice.FriendlyId = friendly;
                if (FriendlyId.TryParse(friendly, out var parsed))
                {
                    await InvoiceStore.RaiseCounterAsync(db, parsed, ct);
                }
            }
        }

        invoice.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another tenant's writer took the same friendly id between the check and the save (unique index).
            return FriendlyIdTaken(f);
        }

        await locked.CommitAsync(ct);
        return await RespondAsync(db, invoice, f, options, request, StatusCodes.Status200OK, ct);
    }

    // ---- 7. PUT /api/invoices/{id}/state ----

    public static async Task<IResult> ChangeStateAsync(
        string id, string format, HttpRequest request, TallyDatabase database, BillingOptions options, TimeProvider clock, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        var p = await ThreeScaleParams.ReadAsync(request, ct);
        var now = clock.GetUtcNow();
        await using var locked = await LockedInvoice.OpenAsync(database, ParseId(id), ct);
        if (locked.Invoice is not { } invoice)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var db = locked.Db;

        InvoiceStateChange change;
        try
        {
            change = InvoiceStates.ResolveApiTarget(InvoiceStore.StateOf(invoice), p["state"]);
        }
        catch (DomainValidationException e)
        {
            return ThreeScaleErrors.Unprocessable(f, e.Message);
        }

        if (change.Event == InvoiceEvent.Issue)
        {
            var tenant = await db.Tenants.AsNoTracking().SingleAsync(t => t.TenantId == invoice.TenantId, ct);
            var amounts = (await InvoiceStore.LinesAsync(db, invoice.TenantId, invoice.Id, ct)).Select(l => l.AmountMinor).ToList();
            InvoiceStore.Fire(invoice, InvoiceEvent.Issue, now, tenant, options.Operator, options.ChargePolicy, amounts);
        }
        else
        {
            InvoiceStore.Fire(invoice, change.Event, now);
        }

        await db.SaveChangesAsync(ct);
        await locked.CommitAsync(ct);
        return await RespondAsync(db, invoice, f, options, request, StatusCodes.Status200OK, ct);
    }

    // ---- 8. POST /api/invoices/{id}/charge ----

    public static async Task<IResult> ChargeAsync(
        string id, string format, HttpRequest request, TallyDatabase database, BillingOptions options, InvoiceCharger charger, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        await using var db = database.CreateContext();
        var invoice = ParseId(id) is { } invoiceId ? await InvoiceStore.FindAsync(db, invoiceId, null, ct) : null;
        if (invoice is null)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        ChargeResult result;
        try
        {
            // The charger takes the tenant's lock itself, around recording the outcome (the gateway is called outside it).
            result = await charger.ChargeNowAsync(invoice.TenantId, invoice.Id, ct);
        }
        catch (InvalidOperationException)
        {
            // Not chargeable (state, amount): 3scale answers the same message as for a decline.
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.ChargeFailed);
        }

        if (!result.Approved)
        {
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.ChargeFailed);
        }

        await using var read = database.CreateContext();
        var paid = await read.Invoices.AsNoTracking().SingleAsync(i => i.TenantId == invoice.TenantId && i.Id == invoice.Id, ct);
        return await RespondAsync(read, paid, f, options, request, StatusCodes.Status200OK, ct);
    }

    // ---- 9. GET /api/invoices/{invoice_id}/line_items ----

    public static async Task<IResult> ListLineItemsAsync(
        [FromRoute(Name = "invoice_id")] string invoiceId, string format, HttpRequest request, TallyDatabase database, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        await using var db = database.CreateContext();
        var invoice = await FindAsync(db, invoiceId, null, ct);
        if (invoice is null)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var lines = await InvoiceStore.LinesAsync(db, invoice.TenantId, invoice.Id, ct);
        return ThreeScaleErrors.Body(f, ThreeScaleXml.LineItems(lines, invoice.Currency), ThreeScaleJson.LineItems(lines, invoice.Currency, BaseUrl(request)));
    }

    // ---- 10. POST /api/invoices/{invoice_id}/line_items ----

    public static async Task<IResult> CreateLineItemAsync(
        [FromRoute(Name = "invoice_id")] string invoiceId, string format, HttpRequest request, TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        var p = await ThreeScaleParams.ReadAsync(request, ct);
        var now = clock.GetUtcNow();
        await using var locked = await LockedInvoice.OpenAsync(database, ParseId(invoiceId), ct);
        if (locked.Invoice is not { } invoice)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var db = locked.Db;

        if (!InvoiceStore.StateOf(invoice).IsEditable())
        {
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.InvalidInvoiceState);
        }

        var kind = LineItemKind.PlanCost;
        if (!string.IsNullOrEmpty(p["type"]) && !LineItemKinds.TryParse(p["type"], out kind))
        {
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.InvalidLineItemType, "type");
        }

        var currency = Currency.Of(invoice.Currency);
        if (!TryParseQuantity(p["quantity"], out var quantity))
        {
            return ThreeScaleErrors.Unprocessable(f, $"quantity '{Names.Truncate(p["quantity"] ?? "")}' is not a number of at least 0, such as 1 or 2.5", "quantity");
        }

        if (!TryParseCost(p["cost"], currency, out var cost))
        {
            return ThreeScaleErrors.Unprocessable(f, $"cost '{Names.Truncate(p["cost"] ?? "")}' is not a decimal amount in currency units, such as 10.50 or -2.5", "cost");
        }

        var metric = Blank(p["metric_id"]);
        if (metric is not null && !await db.Metrics.AnyAsync(m => m.Name == metric, ct))
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var plan = Blank(p["plan_id"]);
        if (plan is not null && !await db.Plans.AnyAsync(x => x.Name == plan, ct))
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var contractId = Blank(p["contract_id"]);
        string? contractType = null;
        if (contractId is not null)
        {
            var subscriptionPlan = await db.PlanSubscriptions.AsNoTracking()
                .Where(s => s.TenantId == invoice.TenantId && s.Id == contractId).Select(s => s.Plan).SingleOrDefaultAsync(ct);
            if (subscriptionPlan is not null)
            {
                contractType = "PlanSubscription";
                plan ??= subscriptionPlan;
            }
            else if (await db.AddOnSubscriptions.AnyAsync(s => s.TenantId == invoice.TenantId && s.Id == contractId, ct))
            {
                contractType = "AddOnSubscription";
            }
            else
            {
                return ThreeScaleErrors.NotFound(f);
            }
        }

        LineItem line;
        try
        {
            // The source key needs the line's id, which AddLineAsync takes: a placeholder, replaced before saving.
            line = new LineItem(kind, p["name"] ?? "", p["description"], quantity, cost, invoice.PeriodStart, invoice.PeriodEnd, "manual:new", metric);
        }
        catch (DomainValidationException e)
        {
            return ThreeScaleErrors.Unprocessable(f, e.Message, e.Field);
        }

        var row = await InvoiceStore.AddLineAsync(db, invoice, line, plan, contractId, contractType, now, ct);
        row.SourceKey = SourceKeys.Manual(row.Id.ToString(CultureInfo.InvariantCulture));
        await InvoiceStore.RecomputeTotalsAsync(db, invoice, ct);
        invoice.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await locked.CommitAsync(ct);
        return ThreeScaleErrors.Body(f, ThreeScaleXml.LineItem(row, invoice.Currency), ThreeScaleJson.LineItem(row, invoice.Currency, BaseUrl(request)),
            StatusCodes.Status201Created);
    }

    // ---- 11. DELETE /api/invoices/{invoice_id}/line_items/{id} ----

    public static async Task<IResult> DeleteLineItemAsync(
        [FromRoute(Name = "invoice_id")] string invoiceId, string id, string format, TallyDatabase database, TimeProvider clock, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        await using var locked = await LockedInvoice.OpenAsync(database, ParseId(invoiceId), ct);
        var db = locked.Db;
        var invoice = locked.Invoice;
        var lineId = ParseId(id);
        var line = invoice is null || lineId is null
            ? null
            : await db.InvoiceLineItems.SingleOrDefaultAsync(l => l.TenantId == invoice.TenantId && l.InvoiceId == invoice.Id && l.Id == lineId, ct);
        if (invoice is null || line is null)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        if (!InvoiceStore.StateOf(invoice).IsEditable())
        {
            // 3scale's responder answers a refused DELETE with 403 and the errors body.
            return ThreeScaleErrors.Unprocessable(f, ThreeScaleErrors.InvalidInvoiceState, status: StatusCodes.Status403Forbidden);
        }

        db.InvoiceLineItems.Remove(line);
        await InvoiceStore.RecomputeTotalsAsync(db, invoice, ct);
        invoice.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await locked.CommitAsync(ct);
        return TypedResults.Ok();
    }

    // ---- 12. GET /api/invoices/{invoice_id}/payment_transactions ----

    public static async Task<IResult> ListPaymentTransactionsAsync(
        [FromRoute(Name = "invoice_id")] string invoiceId, string format, TallyDatabase database, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        await using var db = database.CreateContext();
        var invoice = await FindAsync(db, invoiceId, null, ct);
        if (invoice is null)
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var transactions = await InvoiceStore.TransactionsAsync(db, invoice.TenantId, invoice.Id, ct);
        return ThreeScaleErrors.Body(f, ThreeScaleXml.PaymentTransactions(transactions), ThreeScaleJson.PaymentTransactions(transactions));
    }

    // ---- shared ----

    private static async Task<IResult> ListAsync(
        string format, string? account, HttpRequest request, TallyDatabase database, BillingOptions options, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        var query = request.Query;
        InvoiceState? state = null;
        if (Blank(query["state"]) is { } stateText)
        {
            if (!InvoiceStates.TryParse(stateText, out var parsed))
            {
                return ThreeScaleErrors.Unprocessable(f,
                    $"state '{Names.Truncate(stateText)}' is not one of {string.Join(", ", InvoiceStates.All.Select(s => s.ToWire()))}", "state");
            }

            state = parsed;
        }

        var month = Blank(query["month"]);
        if (month is not null && ParseMonth(month) is null)
        {
            return ThreeScaleErrors.Unprocessable(f, $"month '{Names.Truncate(month)}' is not a month of the form YYYY-MM", "month");
        }

        // page × per_page must stay inside int for the offset.
        if (!TryParsePositive(query["page"], 1, int.MaxValue / MaxPerPage, out var page))
        {
            return ThreeScaleErrors.Unprocessable(f, $"page must be a whole number from 1 to {int.MaxValue / MaxPerPage}", "page");
        }

        if (!TryParsePositive(query["per_page"], DefaultPerPage, MaxPerPage, out var perPage))
        {
            return ThreeScaleErrors.Unprocessable(f, $"per_page must be a whole number from 1 to {MaxPerPage}", "per_page");
        }

        await using var db = database.CreateContext();
        if (account is not null && !await db.Tenants.AnyAsync(t => t.TenantId == account, ct))
        {
            return ThreeScaleErrors.NotFound(f);
        }

        var (rows, total) = await InvoiceStore.ListAsync(db, new InvoiceFilter(account, state, month, page, perPage), ct);
        var views = await ThreeScaleViews.LoadAsync(db, rows, options.Operator, ct);
        var pagination = new Pagination(page, perPage, total);
        return ThreeScaleErrors.Body(f, ThreeScaleXml.Invoices(views, pagination), ThreeScaleJson.Invoices(views, pagination, BaseUrl(request)));
    }

    private static async Task<IResult> ReadAsync(
        string id, string? account, string format, TallyDatabase database, BillingOptions options, InvoicePdfs pdfs, HttpRequest request, CancellationToken ct)
    {
        if (ThreeScaleErrors.ParseFormat(format, allowPdf: account is null) is not { } f)
        {
            return ThreeScaleErrors.NotAcceptable();
        }

        await using var db = database.CreateContext();
        var invoice = await FindAsync(db, id, account, ct);
        if (invoice is null)
        {
            return ThreeScaleErrors.NotFound(f == ThreeScaleFormat.Pdf ? ThreeScaleFormat.Xml : f);
        }

        if (f != ThreeScaleFormat.Pdf)
        {
            return await RespondAsync(db, invoice, f, options, request, StatusCodes.Status200OK, ct);
        }

        // Tally answers the stored PDF itself (3scale redirects to a presigned URL). Open and finalized invoices have none.
        var notIssued = $"Invoice {invoice.Id} is {invoice.State}: its PDF exists once it is issued (state pending or later)";
        if (InvoiceStore.StateOf(invoice).IsEditable())
        {
            return ThreeScaleErrors.Unprocessable(ThreeScaleFormat.Xml, notIssued, status: StatusCodes.Status409Conflict);
        }

        byte[] pdf;
        try
        {
            pdf = await pdfs.EnsureAsync(invoice.TenantId, invoice.Id, ct);
        }
        catch (InvalidOperationException)
        {
            return ThreeScaleErrors.Unprocessable(ThreeScaleFormat.Xml, notIssued, status: StatusCodes.Status409Conflict);
        }

        return TypedResults.Bytes(pdf, "application/pdf", $"{invoice.FriendlyId}.pdf");
    }

    private static async Task<IResult> RespondAsync(
        TallyDbContext db, InvoiceRow invoice, ThreeScaleFormat format, BillingOptions options, HttpRequest request, int status, CancellationToken ct)
    {
        var view = await ThreeScaleViews.LoadAsync(db, invoice, options.Operator, ct);
        return ThreeScaleErrors.Body(format, ThreeScaleXml.Invoice(view), ThreeScaleJson.Invoice(view, BaseUrl(request)), status);
    }

    /// <summary>The invoice with 3scale id <paramref name="id"/> (of <paramref name="account"/> when given), untracked, or null.</summary>
    private static async Task<InvoiceRow?> FindAsync(TallyDbContext db, string id, string? account, CancellationToken ct) =>
        ParseId(id) is { } invoiceId
            ? await db.Invoices.AsNoTracking().SingleOrDefaultAsync(i => i.Id == invoiceId && (account == null || i.TenantId == account), ct)
            : null;

    /// <summary>
    /// An invoice read under its tenant's lock, with the context and the transaction that hold the lock; disposing ends
    /// both. <see cref="Invoice"/> is tracked, or null (and no transaction is open) when it does not exist.
    /// </summary>
    private sealed class LockedInvoice(TallyDbContext db, IDbContextTransaction? tx, InvoiceRow? invoice) : IAsyncDisposable
    {
        public TallyDbContext Db => db;

        public InvoiceRow? Invoice => invoice;

        public static async Task<LockedInvoice> OpenAsync(TallyDatabase database, long? id, CancellationToken ct)
        {
            var db = database.CreateContext();
            IDbContextTransaction? tx = null;
            try
            {
                if (id is not { } invoiceId
                    || await db.Invoices.AsNoTracking().Where(i => i.Id == invoiceId).Select(i => i.TenantId).SingleOrDefaultAsync(ct) is not { } tenant)
                {
                    return new LockedInvoice(db, null, null);
                }

                tx = await db.Database.BeginTransactionAsync(ct);
                await db.LockTenantAsync(tenant, ct);
                return new LockedInvoice(db, tx, await InvoiceStore.FindAsync(db, invoiceId, tenant, ct));
            }
            catch
            {
                await new LockedInvoice(db, tx, null).DisposeAsync();
                throw;
            }
        }

        /// <summary>Commits the transaction; only valid when <see cref="Invoice"/> was found.</summary>
        public Task CommitAsync(CancellationToken ct) =>
            (tx ?? throw new InvalidOperationException("No invoice, no transaction.")).CommitAsync(ct);

        public async ValueTask DisposeAsync()
        {
            if (tx is not null)
            {
                await tx.DisposeAsync();
            }

            await db.DisposeAsync();
        }
    }

    /// <summary>
    /// The billing period named by <paramref name="text"/> (null or blank: the current month in the tenant's zone):
    /// <c>YYYY-MM</c>, from the tenant's creation month to 12 months from now. Else a 422 naming <c>period</c>.
    /// </summary>
    private static (BillingPeriod? Period, IResult? Problem) ResolvePeriod(ThreeScaleFormat format, string? text, TenantRow tenant, DateTimeOffset now)
    {
        var zone = TimeZones.Require(tenant.TimeZone);
        var current = BillingPeriod.Containing(now, zone);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (current, null);
        }

        if (ParseMonth(text) is not var (year, month))
        {
            return (null, ThreeScaleErrors.Unprocessable(format, ThreeScaleErrors.PeriodFormat, "period"));
        }

        var first = BillingPeriod.Containing(tenant.CreatedAt, zone);
        var index = (year * 12) + month;
        if (index < (first.Year * 12) + first.Month || index > (current.Year * 12) + current.Month + 12)
        {
            return (null, ThreeScaleErrors.Unprocessable(format,
                $"Billing period must be between the account creation month ({first.Year:D4}-{first.Month:D2}) and 12 months from now", "period"));
        }

        return (BillingPeriod.Of(year, month, zone), null);
    }

    /// <summary>(year, month) of an exact <c>YYYY-MM</c> with month 01-12, or null.</summary>
    private static (int Year, int Month)? ParseMonth(string text)
    {
        if (!MonthForm().IsMatch(text))
        {
            return null;
        }

        var year = int.Parse(text.AsSpan(0, 4), NumberStyles.None, CultureInfo.InvariantCulture);
        var month = int.Parse(text.AsSpan(5, 2), NumberStyles.None, CultureInfo.InvariantCulture);
        return month is < 1 or > 12 ? null : (year, month);
    }

    private static long? ParseId(string text) =>
        text.Length is > 0 and <= 18 && text.All(char.IsAsciiDigit) && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : null;

    private static bool TryParsePositive(string? text, int fallback, int max, out int value)
    {
        value = fallback;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        return text.Length <= 10 && text.All(char.IsAsciiDigit)
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= 1 && value <= max;
    }

    /// <summary>Absent or blank: 1. Else a plain decimal ≥ 0 (digits, at most one '.').</summary>
    private static bool TryParseQuantity(string? text, out decimal quantity)
    {
        quantity = 1m;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        return DecimalForm().IsMatch(text) && text[0] != '-'
            && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out quantity) && quantity <= MaxCost;
    }

    /// <summary>
    /// Absent or blank: 0 (3scale's default). Else a plain decimal in currency units, optionally negative (credits),
    /// rounded once, half away from zero, to minor units. Anything else (e.g. "$5.50") is refused, never read as 0.
    /// </summary>
    private static bool TryParseCost(string? text, Currency currency, out Money cost)
    {
        cost = Domain.Money.Zero(currency);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!DecimalForm().IsMatch(text)
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var units)
            || Math.Abs(units) > MaxCost)
        {
            return false;
        }

        cost = Domain.Money.Round(units, currency);
        return true;
    }

    private static IResult FriendlyIdTaken(ThreeScaleFormat format) =>
        ThreeScaleErrors.Unprocessable(format, "friendly_id has already been taken by another invoice", "friendly_id");


    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static string? Blank(Microsoft.Extensions.Primitives.StringValues values) => Blank(values.ToString());

    private static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}";

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MonthForm();

    [GeneratedRegex(@"^-?[0-9]{1,16}(\.[0-9]{1,12})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalForm();
}
