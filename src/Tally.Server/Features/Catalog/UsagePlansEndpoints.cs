using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Tally.Domain;
using Tally.Domain.Access;
using Tally.Domain.Catalog;
using Tally.Domain.Tenants;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Server.Features.Quotas;
using Tally.Storage;
using Tally.Storage.Entities;

namespace Tally.Server.Features.Catalog;

/// <summary>
/// The F5 usage plan API (ves.io.schema.usage.plan.CustomAPI) for tenant tokens: the tenant's plan and the plans it
/// may move to, localized by <c>Accept-Language</c>. The plans shown are the tenant's own plan (<c>current: true</c>)
/// and every plan that is not hidden and is priced in the tenant's currency (<c>current: false</c>), cheapest first.
/// </summary>
public static class UsagePlansEndpoints
{
    public const string GetCurrentPlanOperation = "ves.io.schema.usage.plan.CustomAPI.GetCurrentPlan";
    public const string ListUsagePlansOperation = "ves.io.schema.usage.plan.CustomAPI.ListUsagePlans";

    /// <summary>F5 <c>planPlanState</c> of every plan Tally shows (plan transitions are not pending in Tally's model).</summary>
    public const string ReadyState = "STATE_READY";

    public static IEndpointRouteBuilder MapUsagePlans(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/web/namespaces").WithTags("F5 usage plans");
        group.MapGet("/system/usage_plans/current", (HttpContext http, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct) =>
                CurrentAsync(NamespaceRow.System, http, caller, database, catalog, ct))
            .WithF5Operation(GetCurrentPlanOperation)
            .WithSummary("The tenant's plan (current: true) and the plans it may move to, in the Accept-Language locale (en, ja, zh-TW, de, ko; default en).");
        group.MapGet("/system/usage_plans/custom_list", (HttpContext http, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct) =>
                ListAsync(NamespaceRow.System, http, caller, database, catalog, ct))
            .WithF5Operation(ListUsagePlansOperation)
            .WithSummary("The same plans once per supported locale, the Accept-Language locale first.");

        // F5 serves these operations in namespace system only; any other namespace is 404 (routed here only to say so clearly).
        group.MapGet("/{namespace}/usage_plans/current", CurrentAsync).ExcludeFromDescription();
        group.MapGet("/{namespace}/usage_plans/custom_list", ListAsync).ExcludeFromDescription();
        return routes;
    }

    public static async Task<Results<Ok<F5LocalizedPlan>, ProblemHttpResult>> CurrentAsync(
        [FromRoute(Name = "namespace")] string ns, HttpContext http, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct)
    {
        var (view, problem) = await LoadAsync(ns, caller, database, catalog, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (view!.Current is null)
        {
            return Problems.NotFound("The tenant has no plan yet.");
        }

        var locale = CatalogLocales.Negotiate(http.Request);
        http.Response.Headers.ContentLanguage = locale;
        http.Response.Headers.Vary = "Accept-Language";
        return TypedResults.Ok(Localize(view, locale));
    }

    public static async Task<Results<Ok<F5ListUsagePlansRsp>, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "namespace")] string ns, HttpContext http, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct)
    {
        var (view, problem) = await LoadAsync(ns, caller, database, catalog, ct);
        if (problem is not null)
        {
            return problem;
        }

        var preferred = CatalogLocales.Negotiate(http.Request);
        http.Response.Headers.Vary = "Accept-Language";
        var locales = Locales.Supported.OrderBy(l => l == preferred ? 0 : 1);
        return TypedResults.Ok(new F5ListUsagePlansRsp([.. locales.Select(l => Localize(view!, l))]));
    }

    /// <summary>The plans a tenant sees: its own (may be null) and the offered ones, in display order.</summary>
    private sealed record PlanView(string? Current, IReadOnlyList<PlanDefinition> Plans, CatalogSnapshot Catalog);

    private static async Task<(PlanView? View, ProblemHttpResult? Problem)> LoadAsync(
        string ns, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct)
    {
        var grant = caller.Grant;
        if (grant.TenantId is not { } tenantId)
        {
            return (null, TenantScope.TenantTokenRequired());
        }

        if (ns != NamespaceRow.System || !grant.CanAccessNamespace(NamespaceRow.System))
        {
            return (null, Problems.NotFound($"Usage plans exist only in namespace 'system', not '{Names.Truncate(ns)}'."));
        }

        if (TenantScope.RequirePermission(grant, Permissions.Billing) is { } denied)
        {
            return (null, denied);
        }

        await using var db = database.CreateContext();
        var currency = await db.Tenants.AsNoTracking().Where(t => t.TenantId == tenantId).Select(t => t.Currency).SingleOrDefaultAsync(ct);
        if (currency is null)
        {
            return (null, TenantScope.TenantNotFound(tenantId));
        }

        var tenantPlan = (await catalog.GetTenantPlanAsync(tenantId, ct))?.Plan.Name;

        var snapshot = await catalog.GetSnapshotAsync(ct);
        var plans = snapshot.Plans.Values.Select(e => e.Definition)
            .Where(p => p.Name == tenantPlan || (!p.Hidden && p.Currency.Code == currency))
            .OrderBy(p => p.FlatPrice.Minor).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToList();
        var current = tenantPlan is not null && snapshot.Plans.ContainsKey(tenantPlan) ? tenantPlan : null;
        return (new PlanView(current, plans, snapshot), null);
    }

    private static F5LocalizedPlan Localize(PlanView view, string locale) =>
        new(CatalogLocales.ToF5(locale), [.. view.Plans.Select(p => ToF5(p, p.Name == view.Current, locale, view.Catalog))]);

    public static F5PlanInternal ToF5(PlanDefinition plan, bool current, string locale, CatalogSnapshot catalog) => new(
        plan.Name,
        plan.TitleFor(locale),
        plan.SubtitleFor(locale),
        plan.DescriptionFor(locale),
        checked((int)plan.FlatPrice.ToHundredths()),
        plan.BillingDisabled,
        current,
        ReadyState,
        plan.TenantType.ToWire(),
        plan.UsagePlanType.ToWire(),
        plan.RenewalPeriodUnit.ToWire(),
        plan.TrialPeriod,
        plan.TrialPeriodUnit.ToWire(),
        new F5UsagePlanTransitionFlow(
            plan.TransitionFlow.Method.ToWire(),
            [.. plan.TransitionFlow.RequiredFields.Select(f => f.ToWire())],
            plan.TransitionFlow.RequiresManualApproval),
        CatalogMapping.ToF5(plan.DefaultQuota),
        [.. plan.IncludedAddOns.Select(a => AddOn(a, locale, catalog))],
        [.. plan.AllowedAddOns.Select(a => AddOn(a, locale, catalog))]);

    private static F5AddonServiceDetails AddOn(string name, string locale, CatalogSnapshot catalog) =>
        new(name, catalog.AddOns.TryGetValue(name, out var entry) ? entry.Definition.DisplayNameFor(locale) : name);
}
