using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Invoicing;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Invoices;

/// <summary>
/// What Tally needs to know about the operator to issue an invoice: the seller block (3scale <c>provider</c>).
/// Address lines print as given; <see cref="Fields"/> are 3scale's block fields (address, city, state, country, phone, zip).
/// </summary>
public sealed record OperatorParty(string Name, IReadOnlyList<string> AddressLines, string? VatCode)
{
    public static OperatorParty Default { get; } = new("Tally", [], null);
}

/// <summary>
/// A party block frozen on an invoice at issue (<c>from_address_json</c> / <c>to_address_json</c>): the name, 3scale's
/// address fields and the printed lines.
/// </summary>
public sealed record InvoicePartyBlock(
    string Name, string Address, string City, string State, string Country, string Phone, string Zip, string? VatCode, IReadOnlyList<string> Lines)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The tenant's block from its display name, flat address object and VAT code (keys: line1/address1/address, line2/address2, city, state, country, phone, zip/zip_code).</summary>
    public static InvoicePartyBlock ForTenant(TenantRow tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var fields = tenant.AddressJson is null
            ? new Dictionary<string, string>()
            : JsonSerializer.Deserialize<Dictionary<string, string>>(tenant.AddressJson) ?? [];
        string Get(params string[] keys) => keys.Select(k => fields.GetValueOrDefault(k)).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? "";
        var line1 = Get("line1", "address1", "address", "street");
        var line2 = Get("line2", "address2");
        var address = string.IsNullOrEmpty(line2) ? line1 : $"{line1}\n{line2}";
        var city = Get("city");
        var state = Get("state", "region");
        var zip = Get("zip", "zip_code", "postal_code");
        var country = Get("country");
        var lines = new List<string>();
        lines.AddRange(new[] { line1, line2 }.Where(l => l.Length > 0));
        var cityLine = string.Join(" ", new[] { zip, city, state }.Where(l => l.Length > 0));
        if (cityLine.Length > 0)
        {
            lines.Add(cityLine);
        }

        if (country.Length > 0)
        {
            lines.Add(country);
        }

        return new InvoicePartyBlock(tenant.DisplayName, address, city, state, country, Get("phone"), zip, tenant.VatCode, lines);
    }

    /// <summary>The operator's block.</summary>
    public static InvoicePartyBlock ForOperator(OperatorParty party)
    {
        ArgumentNullException.ThrowIfNull(party);
        return new InvoicePartyBlock(party.Name, string.Join("\n", party.AddressLines), "", "", "", "", "", party.VatCode, party.AddressLines);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a block frozen by <see cref="ToJson"/>.</summary>
    public static InvoicePartyBlock FromJson(string json) =>
        JsonSerializer.Deserialize<InvoicePartyBlock>(json, Json) ?? throw new InvalidDataException("An invoice party block is null.");
}

/// <summary>Filters of an invoice list (3scale's <c>state</c>, <c>month</c>, pagination; <c>tenant</c> = <c>account_id</c>).</summary>
public sealed record InvoiceFilter(string? Tenant, InvoiceState? State, string? Month, int Page, int PerPage);

/// <summary>
/// Reads and writes invoices, their line items and payment transactions. Every query names the tenant, except the
/// lookups by 3scale id (<see cref="FindAsync"/> with a null tenant), which are for operator callers. Writers hold a
/// transaction and the tenant's lock (<see cref="TenantLock"/>) and save the context themselves.
/// </summary>
public static class InvoiceStore
{
    /// <summary>The invoice with 3scale id <paramref name="id"/>, of <paramref name="tenant"/> (null: of any tenant); tracked.</summary>
    public static Task<InvoiceRow?> FindAsync(TallyDbContext db, long id, string? tenant, CancellationToken ct) =>
        tenant is null
            ? db.Invoices.SingleOrDefaultAsync(i => i.Id == id, ct)
            : db.Invoices.SingleOrDefaultAsync(i => i.TenantId == tenant && i.Id == id, ct);

    /// <summary>The invoice with friendly id <paramref name="friendlyId"/> of <paramref name="tenant"/>, untracked.</summary>
    public static Task<InvoiceRow?> FindByFriendlyIdAsync(TallyDbContext db, string tenant, string friendlyId, CancellationToken ct) =>
        db.Invoices.AsNoTracking().SingleOrDefaultAsync(i => i.TenantId == tenant && i.FriendlyId == friendlyId, ct);

    /// <summary>An invoice's lines, by id (3scale's order), untracked.</summary>
    public static Task<List<InvoiceLineItemRow>> LinesAsync(TallyDbContext db, string tenant, long invoiceId, CancellationToken ct) =>
        db.InvoiceLineItems.AsNoTracking().Where(l => l.TenantId == tenant && l.InvoiceId == invoiceId).OrderBy(l => l.Id).ToListAsync(ct);

    /// <summary>An invoice's payment transactions, by id, untracked.</summary>
    public static Task<List<PaymentTransactionRow>> TransactionsAsync(TallyDbContext db, string tenant, long invoiceId, CancellationToken ct) =>
        db.PaymentTransactions.AsNoTracking().Where(t => t.TenantId == tenant && t.InvoiceId == invoiceId).OrderBy(t => t.Id).ToListAsync(ct);

    /// <summary>A page of invoices matching <paramref name="filter"/>, ascending id (3scale's order), and the total count.</summary>
    public static async Task<(List<InvoiceRow> Page, int Total)> ListAsync(TallyDbContext db, InvoiceFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var query = db.Invoices.AsNoTracking();
        if (filter.Tenant is not null)
        {
            query = query.Where(i => i.TenantId == filter.Tenant);
        }

        if (filter.State is { } state)
        {
            var wire = state.ToWire();
            query = query.Where(i => i.State == wire);
        }

        if (filter.Month is not null)
        {
            query = query.Where(i => i.Period == filter.Month);
        }

        var total = await query.CountAsync(ct);
        var page = await query.OrderBy(i => i.Id).Skip((filter.Page - 1) * filter.PerPage).Take(filter.PerPage).ToListAsync(ct);
        return (page, total);
    }

    /// <summary>
    /// A new open invoice of <paramref name="tenant"/> for <paramref name="period"/> (its friendly id and 3scale id taken
    /// now), added to the context. The tenant's currency, VAT rate and code and locale are copied; they follow the
    /// tenant until issue (<see cref="RefreshFromTenant"/>).
    /// </summary>
    public static async Task<InvoiceRow> CreateAsync(
        TallyDbContext db, TenantRow tenant, BillingPeriod period, string creationType, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(period);
        var id = (await BillingIds.NextAsync(db, BillingIds.Invoices, 1, ct))[0];
        var friendly = await TakeFriendlyIdsAsync(db, period.Year, period.Month, 1, ct);
        var row = NewRow(tenant, period, creationType, id, friendly[0], now);
        db.Invoices.Add(row);
        return row;
    }

    /// <summary>A new open invoice row (not added to a context) with the ids given; see <see cref="CreateAsync"/>.</summary>
    public static InvoiceRow NewRow(TenantRow tenant, BillingPeriod period, string creationType, long id, FriendlyId friendlyId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(period);
        ArgumentNullException.ThrowIfNull(friendlyId);
        return new InvoiceRow
        {
            TenantId = tenant.TenantId,
            Id = id,
            FriendlyId = friendlyId.ToString(),
            CreationType = creationType,
            State = InvoiceState.Open.ToWire(),
            Period = SourceKeys.Month(period),
            PeriodStart = period.Start,
            PeriodEnd = period.End,
            Currency = tenant.Currency,
            VatRate = tenant.VatRate,
            VatCode = tenant.VatCode,
            Locale = tenant.Locale,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// Takes the next <paramref name="count"/> friendly ids of month <paramref name="year"/>-<paramref name="month"/>
    /// (operator-wide counter, incremented in the caller's transaction: gap-free as long as every id taken is used by an
    /// invoice saved in the same transaction).
    /// </summary>
    public static async Task<FriendlyId[]> TakeFriendlyIdsAsync(TallyDbContext db, int year, int month, int count, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{year:D4}-{month:D2}");
        var last = (await db.Database.SqlQuery<int>($"""
            INSERT INTO invoice_counters (prefix, last_sequence) VALUES ({prefix}, {count})
            ON CONFLICT (prefix) DO UPDATE SET last_sequence = invoice_counters.last_sequence + {count}
            RETURNING last_sequence AS "Value"
            """).ToListAsync(ct))[0];
        if (last > FriendlyId.MaxSequence)
        {
            throw new InvalidOperationException($"The friendly ids of {prefix} are used up.");
        }

        var result = new FriendlyId[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = new FriendlyId(year, month, last - count + 1 + i);
        }

        return result;
    }

    /// <summary>Raises the counter of <paramref name="id"/>'s month to at least its sequence (3scale's <c>update_counter</c> after a manual friendly id).</summary>
    public static Task RaiseCounterAsync(TallyDbContext db, FriendlyId id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(id);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{id.Year:D4}-{id.Month:D2}");
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO invoice_counters (prefix, last_sequence) VALUES ({prefix}, {id.Sequence})
            ON CONFLICT (prefix) DO UPDATE SET last_sequence = CASE WHEN invoice_counters.last_sequence < {id.Sequence} THEN {id.Sequence} ELSE invoice_counters.last_sequence END
            """, ct);
    }

    /// <summary>
    /// A line row for <paramref name="line"/> on <paramref name="invoice"/>, added to the context. Its id is taken now.
    /// <paramref name="plan"/>, <paramref name="contractId"/> and <paramref name="contractType"/> fill 3scale's fields.
    /// Throws <see cref="InvalidOperationException"/> when the invoice is not editable or the currencies differ.
    /// </summary>
    public static async Task<InvoiceLineItemRow> AddLineAsync(
        TallyDbContext db, InvoiceRow invoice, LineItem line, string? plan, string? contractId, string? contractType, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(line);
        RequireEditable(invoice);
        if (line.Amount.Currency.Code != invoice.Currency)
        {
            throw new InvalidOperationException($"A line in {line.Amount.Currency.Code} cannot go on an invoice in {invoice.Currency}.");
        }

        var id = (await BillingIds.NextAsync(db, BillingIds.LineItems, 1, ct))[0];
        var row = ToRow(invoice, line, id, plan, contractId, contractType, now);
        db.InvoiceLineItems.Add(row);
        return row;
    }

    /// <summary>The row for <paramref name="line"/> with id <paramref name="id"/> on <paramref name="invoice"/> (not added).</summary>
    public static InvoiceLineItemRow ToRow(
        InvoiceRow invoice, LineItem line, long id, string? plan, string? contractId, string? contractType, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(line);
        return new InvoiceLineItemRow
        {
            TenantId = invoice.TenantId,
            Id = id,
            InvoiceId = invoice.Id,
            SourceKey = line.SourceKey,
            Type = line.Kind.ToWire(),
            Name = line.Name,
            Description = line.Description,
            Quantity = line.Quantity.ToString(CultureInfo.InvariantCulture),
            AmountMinor = line.Amount.Minor,
            PeriodStart = line.PeriodStart,
            PeriodEnd = line.PeriodEnd,
            Metric = line.Metric,
            Plan = plan,
            ContractId = contractId,
            ContractType = contractType,
            CreatedAt = now,
        };
    }

    /// <summary>
    /// Sets the invoice's totals from its lines (saved ones plus those added to the context and not yet saved, minus
    /// those removed) and its VAT rate, per <see cref="InvoiceTotals.Compute"/>.
    /// </summary>
    public static async Task RecomputeTotalsAsync(TallyDbContext db, InvoiceRow invoice, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var saved = await db.InvoiceLineItems.AsNoTracking()
            .Where(l => l.TenantId == invoice.TenantId && l.InvoiceId == invoice.Id).Select(l => new { l.Id, l.AmountMinor }).ToListAsync(ct);
        var tracked = db.ChangeTracker.Entries<InvoiceLineItemRow>()
            .Where(e => e.Entity.TenantId == invoice.TenantId && e.Entity.InvoiceId == invoice.Id).ToList();
        var removed = tracked.Where(e => e.State == EntityState.Deleted).Select(e => e.Entity.Id).ToHashSet();
        var added = tracked.Where(e => e.State == EntityState.Added).Select(e => e.Entity.AmountMinor);
        var amounts = saved.Where(s => !removed.Contains(s.Id)).Select(s => s.AmountMinor).Concat(added);
        SetTotals(invoice, amounts);
    }

    /// <summary>Sets the invoice's totals from <paramref name="lineAmounts"/> (minor units) and its VAT rate.</summary>
    public static void SetTotals(InvoiceRow invoice, IEnumerable<long> lineAmounts)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var currency = Currency.Of(invoice.Currency);
        var totals = InvoiceTotals.Compute(currency, lineAmounts.Select(a => new Money(a, currency)), VatRate(invoice));
        invoice.SubtotalMinor = totals.Subtotal.Minor;
        invoice.VatMinor = totals.Vat.Minor;
        invoice.TotalMinor = totals.Total.Minor;
    }

    /// <summary>The invoice's VAT rate in percent.</summary>
    public static decimal VatRate(InvoiceRow invoice) => decimal.Parse(invoice.VatRate, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>
    /// Copies the tenant's currency, VAT rate and code and locale onto an invoice not yet issued (3scale keeps open and
    /// finalized invoices in sync with the buyer). No effect on issued invoices.
    /// </summary>
    public static void RefreshFromTenant(InvoiceRow invoice, TenantRow tenant)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!StateOf(invoice).IsEditable())
        {
            return;
        }

        invoice.Currency = tenant.Currency;
        invoice.VatRate = tenant.VatRate;
        invoice.VatCode = tenant.VatCode;
        invoice.Locale = tenant.Locale;
    }

    /// <summary>The invoice's state. Throws <see cref="InvalidDataException"/> for a stored name Tally does not know.</summary>
    public static InvoiceState StateOf(InvoiceRow invoice) =>
        InvoiceStates.TryParse(invoice.State, out var state) ? state : throw new InvalidDataException($"Invoice {invoice.Id} has an unknown state '{invoice.State}'.");

    /// <summary>
    /// Moves the invoice by <paramref name="event"/> and applies the event's side effects: finalize sets
    /// <c>finalized_at</c>; issue (open or finalized → pending) freezes the tenant's VAT, currency, locale and both party
    /// blocks, recomputes the totals one last time from <paramref name="lineAmounts"/> and sets <c>issued_at</c> and
    /// <c>due_at</c> per <paramref name="policy"/>; pay sets <c>paid_at</c>. Throws <see cref="InvalidOperationException"/>
    /// when the event is not allowed in the current state.
    /// </summary>
    public static void Fire(
        InvoiceRow invoice, InvoiceEvent @event, DateTimeOffset now, TenantRow? tenant = null, OperatorParty? seller = null,
        ChargePolicy? policy = null, IEnumerable<long>? lineAmounts = null)
    {
        ArgumentNullException.ThrowIfNull(invoice);
        var to = InvoiceStates.Fire(StateOf(invoice), @event);
        switch (@event)
        {
            case InvoiceEvent.Finalize:
                invoice.FinalizedAt = now;
                break;
            case InvoiceEvent.Issue:
                ArgumentNullException.ThrowIfNull(tenant);
                ArgumentNullException.ThrowIfNull(lineAmounts);
                RefreshFromTenant(invoice, tenant);
                SetTotals(invoice, lineAmounts);
                invoice.FromAddressJson = InvoicePartyBlock.ForOperator(seller ?? OperatorParty.Default).ToJson();
                invoice.ToAddressJson = InvoicePartyBlock.ForTenant(tenant).ToJson();
                invoice.IssuedAt = now;
                invoice.DueAt = (policy ?? ChargePolicy.Default).DueAt(now);
                break;
            case InvoiceEvent.Pay:
                invoice.PaidAt = now;
                break;
        }

        invoice.State = to.ToWire();
        invoice.UpdatedAt = now;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> ("Invalid invoice state") unless the invoice is open or finalized.</summary>
    public static void RequireEditable(InvoiceRow invoice)
    {
        if (!StateOf(invoice).IsEditable())
        {
            throw new InvalidOperationException("Invalid invoice state");
        }
    }
}
