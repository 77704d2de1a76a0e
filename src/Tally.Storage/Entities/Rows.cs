namespace Tally.Storage.Entities;

/// <summary>A customer of the operator. Key: <see cref="TenantId"/> (the tenant's DNS-1035 name, immutable).</summary>
public sealed class TenantRow
{
    public required string TenantId { get; set; }

    public required string DisplayName { get; set; }

    /// <summary>ISO 4217 code.</summary>
    public required string Currency { get; set; }

    /// <summary>IANA id.</summary>
    public required string TimeZone { get; set; }

    public required string Locale { get; set; }

    /// <summary>"prepaid" or "postpaid".</summary>
    public required string BillingMode { get; set; }

    /// <summary>VAT rate in percent, as a decimal string ("10.0").</summary>
    public required string VatRate { get; set; }

    public string? VatCode { get; set; }

    /// <summary>JSON object of address lines, as given.</summary>
    public string? AddressJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// End (UTC, exclusive) of the last billing period a billing run made an invoice for; null before the first. Runs
    /// bill the periods after it. Changed only under the tenant lock.
    /// </summary>
    public DateTimeOffset? BilledThrough { get; set; }
}

/// <summary>A tenant's namespace. Key: (tenant, name). <c>system</c> always exists.</summary>
public sealed class NamespaceRow
{
    public const string System = "system";

    public required string TenantId { get; set; }

    public required string Name { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An API token. Key: (tenant, id); operator tokens have <see cref="TenantId"/> = "" (<see cref="OperatorTenant"/>).</summary>
public sealed class ApiTokenRow
{
    public const string OperatorTenant = "";

    public required string TenantId { get; set; }

    public required string Id { get; set; }

    /// <summary>Hex SHA-256 of the secret; the secret itself is never stored.</summary>
    public required string SecretHash { get; set; }

    public required string Name { get; set; }

    public required string Role { get; set; }

    /// <summary>Space-separated lists.</summary>
    public string Permissions { get; set; } = "";

    public string Scopes { get; set; } = "";

    public string Namespaces { get; set; } = "";

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Id of the token that created this one, or "bootstrap"/"cli".</summary>
    public required string CreatedBy { get; set; }
}

/// <summary>An F5 quota object (<c>ves.io.schema.quota</c>). Key: (tenant, namespace, name).</summary>
public sealed class QuotaObjectRow
{
    public required string TenantId { get; set; }

    public required string Namespace { get; set; }

    public required string Name { get; set; }

    public required string Uid { get; set; }

    public string Description { get; set; } = "";

    public bool Disabled { get; set; }

    /// <summary>JSON objects string→string.</summary>
    public string LabelsJson { get; set; } = "{}";

    public string AnnotationsJson { get; set; } = "{}";

    /// <summary>The quota spec as F5 JSON (<c>object_limits</c>, <c>resource_limits</c>, <c>api_limits</c>).</summary>
    public string SpecJson { get; set; } = "{}";

    public required string CreatorId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }
}

/// <summary>Admission counter. Key: (tenant, namespace, kind, key). <see cref="CurrentMicros"/> in millionths of a unit.</summary>
public sealed class QuotaCountRow
{
    public required string TenantId { get; set; }

    public required string Namespace { get; set; }

    /// <summary>"objects" or "resources".</summary>
    public required string Kind { get; set; }

    public required string Key { get; set; }

    public long CurrentMicros { get; set; }
}

/// <summary>
/// A metric of the catalog (<c>metrics</c> table). Catalog tables (metrics, plans, addons) are operator-wide reference
/// data keyed by name alone (on Citus: reference tables). <c>DefinitionJson</c> holds the whole definition as the
/// operator API's JSON.
/// </summary>
public sealed class MetricRow
{
    public required string Name { get; set; }

    public required string DefinitionJson { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A plan of the catalog (<c>plans</c> table).</summary>
public sealed class PlanRow
{
    public required string Name { get; set; }

    public required string DefinitionJson { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An add-on of the catalog (<c>addons</c> table).</summary>
public sealed class AddOnRow
{
    public required string Name { get; set; }

    public required string DefinitionJson { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A raw usage event. Key: (tenant, event id): the id is the idempotency key. Written only by the ingest SQL in
/// <c>UsageIngestStore</c>, in the same transaction as its roll-ups (<see cref="UsageHourlyRow"/>,
/// <see cref="UsageMetricHourlyRow"/>, <see cref="UsageDailyRow"/>). Instants are unix microseconds (UTC) so hot-path
/// SQL is the same on both engines.
/// </summary>
public sealed class UsageEventRow
{
    public required string TenantId { get; set; }

    public required string EventId { get; set; }

    public required string Namespace { get; set; }

    public required string Metric { get; set; }

    /// <summary>"" when the event names no object.</summary>
    public string ObjectName { get; set; } = "";

    /// <summary>Quantity in millionths of the metric's unit.</summary>
    public long QuantityMicros { get; set; }

    /// <summary>Event time, unix microseconds UTC.</summary>
    public long OccurredAtUs { get; set; }

    /// <summary>JSON object string→string, or null.</summary>
    public string? LabelsJson { get; set; }

    /// <summary>When Tally committed the event, unix microseconds UTC.</summary>
    public long ReceivedAtUs { get; set; }
}

/// <summary>
/// Hourly roll-up of usage events. Key: (tenant, namespace, metric, object, hour). <see cref="HourStart"/> is the
/// UTC hour's start in unix seconds. Sums and maxima in millionths of the metric's unit.
/// </summary>
public sealed class UsageHourlyRow
{
    public required string TenantId { get; set; }

    public required string Namespace { get; set; }

    public required string Metric { get; set; }

    public string ObjectName { get; set; } = "";

    public long HourStart { get; set; }

    public long SumMicros { get; set; }

    public long MaxMicros { get; set; }

    public long EventCount { get; set; }
}

/// <summary>
/// Hourly roll-up of usage events without the object dimension, kept by <c>UsageIngestStore</c> in the same transaction
/// as the events and their <see cref="UsageHourlyRow"/>s: for every (tenant, namespace, metric, UTC hour) it holds the
/// sum of the hour's per-object sums, the maximum of their maxima and the sum of their counts. Key: (tenant, hour,
/// namespace, metric), so a tenant's hours form one range (as <see cref="UsageDailyRow"/>'s days do); the usage queries
/// read it for the hours around whole UTC days. <see cref="HourStart"/> is the UTC hour's start in unix seconds.
/// </summary>
public sealed class UsageMetricHourlyRow
{
    public required string TenantId { get; set; }

    public long HourStart { get; set; }

    public required string Namespace { get; set; }

    public required string Metric { get; set; }

    public long SumMicros { get; set; }

    public long MaxMicros { get; set; }

    public long EventCount { get; set; }
}

/// <summary>
/// Daily roll-up of usage events without the object dimension, kept by <c>UsageIngestStore</c> in the same transaction
/// as the events and their <see cref="UsageHourlyRow"/>s and <see cref="UsageMetricHourlyRow"/>s: for every (tenant,
/// namespace, metric, UTC day) it holds the sum of the day's hourly sums, the maximum of their maxima and the sum of
/// their counts. Key: (tenant, day, namespace, metric), so a tenant's days form one range. <see cref="DayStart"/> is the
/// UTC day's start in unix seconds.
/// </summary>
public sealed class UsageDailyRow
{
    public required string TenantId { get; set; }

    public long DayStart { get; set; }

    public required string Namespace { get; set; }

    public required string Metric { get; set; }

    public long SumMicros { get; set; }

    public long MaxMicros { get; set; }

    public long EventCount { get; set; }
}

/// <summary>
/// A tenant's time on one plan (<c>plan_subscriptions</c>). Key: (tenant, id). Half-open <c>[StartsAt, EndsAt)</c>;
/// <see cref="EndsAt"/> null = open-ended. A tenant's plan subscriptions never overlap: at any instant at most one is
/// in effect, and a scheduled change is a row whose <see cref="StartsAt"/> lies in the future.
/// </summary>
public sealed class PlanSubscriptionRow
{
    public required string TenantId { get; set; }

    /// <summary>F5 <c>name</c>: "sub-" + a UUID.</summary>
    public required string Id { get; set; }

    /// <summary>Name of the plan (a row of <c>plans</c>).</summary>
    public required string Plan { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    /// <summary>Exclusive end, or null while the subscription runs on.</summary>
    public DateTimeOffset? EndsAt { get; set; }

    /// <summary>End of the trial (exclusive), or null when the subscription has no trial.</summary>
    public DateTimeOffset? TrialEndsAt { get; set; }

    /// <summary>When the end was decided (F5 <c>cancellation_date</c>), or null while open-ended.</summary>
    public DateTimeOffset? CancelledAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A tenant's time on one add-on (<c>addon_subscriptions</c>). Key: (tenant, id). Half-open <c>[StartsAt, EndsAt)</c>,
/// so billing can prorate it. Only add-ons the tenant subscribed to have rows: those a plan includes come with its
/// plan subscription. At most one open row per (tenant, add-on).
/// </summary>
public sealed class AddOnSubscriptionRow
{
    public required string TenantId { get; set; }

    public required string Id { get; set; }

    /// <summary>Name of the add-on (a row of <c>addons</c>).</summary>
    public required string AddOn { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    public DateTimeOffset? EndsAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A tenant's payment method (<c>payment_methods</c>). Key: (tenant, name). Holds only what a receipt may show and the
/// gateway's reference: never a card number or CVC. At most one <c>primary</c> and one <c>secondary</c> per tenant
/// (unique filtered indexes back the rule the service enforces under a tenant lock).
/// </summary>
public sealed class PaymentMethodRow
{
    public const string Primary = "primary";

    public const string Secondary = "secondary";

    public const string Normal = "normal";

    public required string TenantId { get; set; }

    /// <summary>F5 <c>name</c>, e.g. "payment-method-3f2a9c1d".</summary>
    public required string Name { get; set; }

    /// <summary><see cref="Primary"/>, <see cref="Secondary"/> or <see cref="Normal"/>.</summary>
    public required string Role { get; set; }

    /// <summary>"visa", "mastercard", "amex", ... as the gateway reports it.</summary>
    public required string Brand { get; set; }

    public required string Last4 { get; set; }

    public int ExpMonth { get; set; }

    public int ExpYear { get; set; }

    /// <summary>F5 <c>contactGlobalSpecType</c> JSON, or null.</summary>
    public string? ContactJson { get; set; }

    /// <summary>Name of the gateway that holds the method ("test", ...).</summary>
    public required string Gateway { get; set; }

    /// <summary>The gateway's own reference for the stored method.</summary>
    public required string GatewayReference { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A tenant's request to move to another plan (<c>plan_transitions</c>). Key: (tenant, id); <see cref="Id"/> (a UUID)
/// is also unique on its own, for the token-less state lookup. The payment token is never stored.
/// </summary>
public sealed class PlanTransitionRow
{
    public required string TenantId { get; set; }

    /// <summary>UUID, lower case with hyphens.</summary>
    public required string Id { get; set; }

    /// <summary>Plan the tenant was on when asking, or null.</summary>
    public string? FromPlan { get; set; }

    public required string NewPlan { get; set; }

    /// <summary>F5 <c>plan_transitionState</c> name, e.g. "STATE_WAITING_FOR_APPROVAL".</summary>
    public required string State { get; set; }

    /// <summary>Why the transition failed or was rejected; null otherwise.</summary>
    public string? Reason { get; set; }

    public bool RequiresManualApproval { get; set; }

    /// <summary>The request's payload as F5 JSON, with <c>payment_provider_token</c> removed.</summary>
    public string PayloadJson { get; set; } = "{}";

    /// <summary>Payment method created from the payload's token, if any.</summary>
    public string? PaymentMethod { get; set; }

    /// <summary>Id of the token that asked, and of the operator token that approved or rejected.</summary>
    public required string RequestedBy { get; set; }

    public string? DecidedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// An invoice (<c>invoices</c>). Key: (tenant, id); <see cref="Id"/> (3scale's numeric id) is also unique on its own,
/// so the 3scale API can find an invoice without its tenant. Amounts are minor units of <see cref="Currency"/>.
/// While the invoice is open or finalized, the totals follow its lines and the tenant's VAT rate; at issue the VAT
/// rate, VAT code, currency, locale and both address blocks are frozen and never change again.
/// </summary>
public sealed class InvoiceRow
{
    public const string Background = "background";

    public const string Manual = "manual";

    public required string TenantId { get; set; }

    /// <summary>3scale <c>id</c>: positive, unique across tenants.</summary>
    public long Id { get; set; }

    /// <summary><c>YYYY-MM-NNNNNNNN</c> (or <c>YYYY-NNNNNNNN</c> after an API update); unique.</summary>
    public required string FriendlyId { get; set; }

    /// <summary><see cref="Background"/> (a billing run) or <see cref="Manual"/> (the API).</summary>
    public required string CreationType { get; set; }

    /// <summary>3scale state name: open, finalized, pending, unpaid, paid, failed, cancelled, refunded.</summary>
    public required string State { get; set; }

    /// <summary>The billing period, <c>YYYY-MM</c> in the tenant's zone.</summary>
    public required string Period { get; set; }

    /// <summary>The period's bounds, UTC, half-open.</summary>
    public DateTimeOffset PeriodStart { get; set; }

    public DateTimeOffset PeriodEnd { get; set; }

    public required string Currency { get; set; }

    /// <summary>Percent as an invariant decimal string, e.g. "10.0".</summary>
    public required string VatRate { get; set; }

    public string? VatCode { get; set; }

    public long SubtotalMinor { get; set; }

    public long VatMinor { get; set; }

    public long TotalMinor { get; set; }

    /// <summary>Locale of the PDF, frozen at issue.</summary>
    public required string Locale { get; set; }

    /// <summary>The operator's block (3scale <c>provider</c>), JSON, frozen at issue; null before.</summary>
    public string? FromAddressJson { get; set; }

    /// <summary>The tenant's block (3scale <c>buyer</c>), JSON, frozen at issue; null before.</summary>
    public string? ToAddressJson { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? FinalizedAt { get; set; }

    public DateTimeOffset? IssuedAt { get; set; }

    public DateTimeOffset? DueAt { get; set; }

    public DateTimeOffset? PaidAt { get; set; }

    /// <summary>Failed automatic charge attempts so far.</summary>
    public int ChargeAttempts { get; set; }

    public DateTimeOffset? LastChargeAttemptAt { get; set; }
}

/// <summary>
/// A line of an invoice (<c>invoice_line_items</c>). Key: (tenant, id); <see cref="Id"/> is unique on its own too.
/// (tenant, <see cref="SourceKey"/>) is unique: what makes billing runs idempotent (see <c>Tally.Domain.Invoicing.LineItem</c>).
/// </summary>
public sealed class InvoiceLineItemRow
{
    public required string TenantId { get; set; }

    public long Id { get; set; }

    public long InvoiceId { get; set; }

    public required string SourceKey { get; set; }

    /// <summary>"LineItem::PlanCost" or "LineItem::VariableCost".</summary>
    public required string Type { get; set; }

    public required string Name { get; set; }

    public string Description { get; set; } = "";

    /// <summary>Invariant decimal string.</summary>
    public required string Quantity { get; set; }

    public long AmountMinor { get; set; }

    public DateTimeOffset PeriodStart { get; set; }

    public DateTimeOffset PeriodEnd { get; set; }

    /// <summary>Metric of a usage line (3scale <c>metric_id</c>), or null.</summary>
    public string? Metric { get; set; }

    /// <summary>Plan the line belongs to (3scale <c>plan_id</c>), or null.</summary>
    public string? Plan { get; set; }

    /// <summary>Subscription the line bills (3scale <c>contract_id</c>), or null.</summary>
    public string? ContractId { get; set; }

    /// <summary>"PlanSubscription", "AddOnSubscription" (3scale <c>contract_type</c>), or null.</summary>
    public string? ContractType { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// One charge attempt on an invoice (<c>payment_transactions</c>), approved or not. Key: (tenant, id); <see cref="Id"/>
/// is unique on its own too. (tenant, <see cref="IdempotencyKey"/>) is unique: an attempt is recorded once.
/// </summary>
public sealed class PaymentTransactionRow
{
    public required string TenantId { get; set; }

    public long Id { get; set; }

    public long InvoiceId { get; set; }

    /// <summary><c>invoice:{id}:attempt:{n}</c> for automatic attempts, <c>invoice:{id}:manual:{n}</c> for the API's.</summary>
    public required string IdempotencyKey { get; set; }

    /// <summary>The gateway's charge reference, or null when declined.</summary>
    public string? Reference { get; set; }

    public bool Success { get; set; }

    public long AmountMinor { get; set; }

    public required string Currency { get; set; }

    /// <summary>"purchase".</summary>
    public required string Action { get; set; }

    /// <summary>"Approved", or the decline reason.</summary>
    public required string Message { get; set; }

    /// <summary>The payment method charged (its name), or null when the tenant had none.</summary>
    public string? PaymentMethod { get; set; }

    /// <summary>Gateway that handled the attempt ("test", ...), or null.</summary>
    public string? Gateway { get; set; }

    /// <summary>Raw gateway response, JSON object.</summary>
    public string GatewayResponseJson { get; set; } = "{}";

    public bool Automatic { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// The last friendly-id sequence used per prefix (<c>invoice_counters</c>): operator-wide, like 3scale's per-provider
/// counters. Incremented in the same transaction as the invoices that take the numbers, so numbers are gap-free.
/// </summary>
public sealed class InvoiceCounterRow
{
    /// <summary><c>YYYY-MM</c>.</summary>
    public required string Prefix { get; set; }

    public int LastSequence { get; set; }
}

/// <summary>An issued invoice's PDF, rendered once at issue (<c>invoice_pdfs</c>). Key: (tenant, invoice id).</summary>
public sealed class InvoicePdfRow
{
    public required string TenantId { get; set; }

    public long InvoiceId { get; set; }

    public required byte[] Content { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>
/// A billing run (<c>billing_runs</c>): what was asked and how far it got, so any server process can report it.
/// Operator-wide (not tenant-keyed), like the catalog.
/// </summary>
public sealed class BillingRunRow
{
    /// <summary>"run-" + a UUID.</summary>
    public required string Id { get; set; }

    /// <summary>queued, running, finished, failed.</summary>
    public required string State { get; set; }

    /// <summary><c>YYYY-MM-DD</c>, UTC.</summary>
    public required string Date { get; set; }

    /// <summary>Tenants asked for, JSON array; empty = all.</summary>
    public string TenantsJson { get; set; } = "[]";

    public bool DryRun { get; set; }

    public int TenantsTotal { get; set; }

    public int TenantsDone { get; set; }

    public int InvoicesIssued { get; set; }

    public int ChargesMade { get; set; }

    /// <summary>Why the run failed, or tenants it could not bill (JSON array of {tenant, error}).</summary>
    public string? Error { get; set; }

    public required string RequestedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
