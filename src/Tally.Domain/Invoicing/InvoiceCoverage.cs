using Tally.Domain.Tenants;

namespace Tally.Domain.Invoicing;

/// <summary>
/// What the monthly invoice made by a billing run covers: the invoice's own period (<see cref="Invoice"/>, the month
/// of its friendly id), the month whose fixed fees it carries (<see cref="FixedFees"/>) and the month whose usage it
/// carries (<see cref="Usage"/>). All months of the tenant's zone.
/// </summary>
public sealed record InvoiceCoverage(BillingPeriod Invoice, BillingPeriod FixedFees, BillingPeriod Usage)
{
    /// <summary>
    /// The coverage of the invoice made for a run at <paramref name="runAt"/>, in month M of <paramref name="zone"/>
    /// (3scale's definitions): postpaid bills fixed fees and usage of M−1 on an invoice of M−1; prepaid bills the fixed
    /// fees of M in advance and the usage of M−1 on an invoice of M. Mid-month changes of a prepaid tenant (a new plan
    /// or add-on) go on an invoice of M too. Throws <see cref="DomainValidationException"/> (field "billing_mode") for
    /// another mode.
    /// </summary>
    public static InvoiceCoverage At(string billingMode, DateTimeOffset runAt, TimeZoneInfo zone)
    {
        BillingMode.Require(billingMode);
        var month = BillingPeriod.Containing(runAt, zone);
        var previous = month.Previous();
        return billingMode == BillingMode.Prepaid
            ? new InvoiceCoverage(month, month, previous)
            : new InvoiceCoverage(previous, previous, previous);
    }
}
