using System.Text.Json.Serialization;
using Tally.Server.Features.Quotas;

namespace Tally.Server.Features.Catalog;

// Operator API shapes of the catalog (snake_case JSON). The same records are the PUT bodies, the GET responses, the
// entries of a catalog file and the stored form (definition_json): a GET response can be PUT back unchanged.
// Decimals and money are JSON strings in currency units; integer counts of F5 origin (trial_period) are JSON numbers.

/// <summary>A metric. <c>updated_at</c> is read-only: filled in responses, ignored in requests.</summary>
public sealed record MetricBody(
    string? Name = null,
    string? DisplayName = null,
    Dictionary<string, string>? DisplayNames = null,
    string? UnitName = null,
    string? BillableUnitName = null,
    string? Divisor = null,
    string? Aggregation = null,
    string? Service = null,
    string? Sku = null,
    DateTimeOffset? UpdatedAt = null);

/// <summary>One tier of a graduated or volume price. <c>up_to</c> null (or absent) only on the last tier.</summary>
public sealed record TierBody(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? UpTo = null,
    string? UnitPrice = null);

/// <summary>A per-metric price: <c>included</c> free billable units, then the <c>model</c>'s fields.</summary>
public sealed record PriceBody(
    string? Metric = null,
    string? Model = null,
    string? Included = null,
    string? UnitPrice = null,
    string? PackageSize = null,
    string? PackagePrice = null,
    List<TierBody>? Tiers = null);

/// <summary>F5's <c>planUsagePlanTransitionFlow</c> with enum names as strings.</summary>
public sealed record TransitionFlowBody(string? Method = null, List<string>? RequiredFields = null, bool? RequiresManualApproval = null);

/// <summary>An add-on. <c>updated_at</c> is read-only.</summary>
public sealed record AddOnBody(
    string? Name = null,
    string? DisplayName = null,
    Dictionary<string, string>? DisplayNames = null,
    string? Currency = null,
    string? MonthlyPrice = null,
    List<PriceBody>? Prices = null,
    DateTimeOffset? UpdatedAt = null);

/// <summary>
/// A plan: the fields of F5's <c>planPlanInternal</c> (but <c>current</c> and <c>state</c>, which depend on the tenant),
/// translations, billing fields and prices. Add-on lists hold add-on names. <c>updated_at</c> is read-only.
/// </summary>
public sealed record PlanBody(
    string? Name = null,
    string? Title = null,
    string? Subtitle = null,
    string? Description = null,
    Dictionary<string, string>? Titles = null,
    Dictionary<string, string>? Subtitles = null,
    Dictionary<string, string>? Descriptions = null,
    string? Currency = null,
    string? FlatPrice = null,
    string? SetupFee = null,
    string? BillingMode = null,
    bool? BillingDisabled = null,
    string? UsagePlanType = null,
    string? TenantType = null,
    string? RenewalPeriodUnit = null,
    int? TrialPeriod = null,
    string? TrialPeriodUnit = null,
    TransitionFlowBody? TransitionFlow = null,
    F5QuotaSpec? DefaultQuota = null,
    List<string>? IncludedAddonServices = null,
    List<string>? AllowedAddonServices = null,
    List<PriceBody>? Prices = null,
    bool? Hidden = null,
    DateTimeOffset? UpdatedAt = null);

/// <summary>A catalog file (<c>tally serve --catalog FILE</c>): entries keyed by name; <c>description</c> is free text for the reader.</summary>
public sealed record CatalogDocument(
    string? Description = null,
    Dictionary<string, MetricBody>? Metrics = null,
    Dictionary<string, AddOnBody>? Addons = null,
    Dictionary<string, PlanBody>? Plans = null);

public sealed record MetricListResponse(IReadOnlyList<MetricBody> Items);

public sealed record AddOnListResponse(IReadOnlyList<AddOnBody> Items);

public sealed record PlanListResponse(IReadOnlyList<PlanBody> Items);

/// <summary><c>PUT /api/admin/tenants/{tenant}/plan</c> body.</summary>
/// <param name="EffectiveAt">RFC 3339; null = now. May lie in the past (back to the end of the last invoiced period) or the future.</param>
public sealed record TenantPlanRequest(string? Plan, string? EffectiveAt = null);

/// <summary>A tenant's plan assignment.</summary>
public sealed record TenantPlanResponse(string Tenant, string Plan, DateTimeOffset EffectiveAt);
