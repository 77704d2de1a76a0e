using Tally.Server.Features.Quotas;

namespace Tally.Server.Features.Catalog;

// F5 wire types for ves.io.schema.usage.plan (../shared/specs/f5xc/official/*usage.plan*.json). Field names are exact;
// enums are their names; flat_price is int32 cents.

/// <summary><c>planAddonServiceDetails</c>.</summary>
public sealed record F5AddonServiceDetails(string Name, string DisplayName);

/// <summary><c>planUsagePlanTransitionFlow</c>.</summary>
public sealed record F5UsagePlanTransitionFlow(string Method, IReadOnlyList<string> RequiredFields, bool RequiresManualApproval);

/// <summary><c>planPlanInternal</c>; <c>default_quota</c> is a <c>schemaquotaGlobalSpecType</c> (Tally fills its three limit maps).</summary>
public sealed record F5PlanInternal(
    string Name,
    string Title,
    string Subtitle,
    string Description,
    int FlatPrice,
    bool BillingDisabled,
    bool Current,
    string State,
    string TenantType,
    string UsagePlanType,
    string RenewalPeriodUnit,
    int TrialPeriod,
    string TrialPeriodUnit,
    F5UsagePlanTransitionFlow TransitionFlow,
    F5QuotaSpec DefaultQuota,
    IReadOnlyList<F5AddonServiceDetails> IncludedAddonServices,
    IReadOnlyList<F5AddonServiceDetails> AllowedAddonServices);

/// <summary><c>planLocalizedPlan</c>: <c>locale</c> in F5's dashed lower-case form ("en-us").</summary>
public sealed record F5LocalizedPlan(string Locale, IReadOnlyList<F5PlanInternal> Plans);

/// <summary><c>planListUsagePlansRsp</c>.</summary>
public sealed record F5ListUsagePlansRsp(IReadOnlyList<F5LocalizedPlan> UsagePlans);
