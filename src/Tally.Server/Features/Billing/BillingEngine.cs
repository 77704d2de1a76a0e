using Tally.Storage;

namespace Tally.Server.Features.Billing;

/// <summary>One invoice a run made or would make (dry run): its 3scale id (0 in a dry run), friendly id, period and total.</summary>
public sealed record BilledInvoice(long Id, string FriendlyId, string Period, string State, long TotalMinor, string Currency, int Lines);

/// <summary>What billing one tenant did: invoices issued (or, in a dry run, that would be), charge attempts made.</summary>
public sealed record TenantBillingResult(string Tenant, IReadOnlyList<BilledInvoice> Invoices, int ChargesMade);

/// <summary>
/// Bills one tenant as of an instant: opens invoices for the periods due, adds their lines, finalizes and issues them,
/// then charges what is due. Idempotent and crash-safe (see <c>docs/decisions.md</c>, "Billing runs").
/// </summary>
public sealed class BillingEngine(TallyDatabase database, InvoiceCharger charger, TimeProvider clock, BillingOptions options)
{
    /// <summary>
    /// Bills <paramref name="tenant"/> as of <paramref name="asOf"/> (≤ now). In a dry run nothing is written and no
    /// charge is made: the result lists the invoices that would be issued. Throws <see cref="InvalidOperationException"/>
    /// for a tenant that does not exist.
    /// </summary>
    public Task<TenantBillingResult> BillTenantAsync(string tenant, DateTimeOffset asOf, bool dryRun, CancellationToken ct) =>
        throw new NotImplementedException($"{database}{charger}{clock}{options}{tenant}{asOf}{dryRun}{ct}");

    /// <summary>The instant a run dated <paramref name="date"/> bills as of: the date at <see cref="BillingOptions.RunHour"/> UTC, but never after <paramref name="now"/>.</summary>
    public static DateTimeOffset AsOf(DateOnly date, int runHour, DateTimeOffset now)
    {
        var at = new DateTimeOffset(date.ToDateTime(new TimeOnly(runHour, 0), DateTimeKind.Utc));
        return at < now ? at : now;
    }
}
