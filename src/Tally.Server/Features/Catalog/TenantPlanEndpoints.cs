using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Domain;
using Tally.Server.Auth;
using Tally.Server.Errors;
using Tally.Storage;

namespace Tally.Server.Features.Catalog;

/// <summary>
/// Operator API: a tenant's plan (<c>/api/admin/tenants/{tenant}/plan</c>). Assigning is operator-only; like the tenant
/// itself, a tenant token may read its own tenant's plan (another tenant's is 404).
/// </summary>
public static class TenantPlanEndpoints
{
    public static IEndpointRouteBuilder MapTenantPlan(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/tenants/{tenant}/plan").WithTags("Tenants");
        group.MapGet("/", GetAsync).WithSummary("The tenant's plan and when it took effect (404 when none is assigned).");
        group.MapPut("/", PutAsync).WithSummary("Put the tenant on a plan of the catalog from now or from effective_at (past or future); its default quota becomes the base of the tenant's limits.");
        return routes;
    }

    public static async Task<Results<Ok<TenantPlanResponse>, ProblemHttpResult>> GetAsync(
        string tenant, Caller caller, TallyDatabase database, CatalogService catalog, CancellationToken ct)
    {
        await using (var db = database.CreateContext())
        {
            var (_, problem) = await TenantScope.FindAsync(db, caller.Grant, tenant, ct);
            if (problem is not null)
            {
                return problem;
            }
        }

        return await catalog.GetTenantPlanAsync(tenant, ct) is { } assigned
            ? TypedResults.Ok(new TenantPlanResponse(tenant, assigned.Plan.Name, assigned.EffectiveAt))
            : Problems.NotFound($"Tenant '{tenant}' has no plan.");
    }

    public static async Task<Results<Ok<TenantPlanResponse>, ProblemHttpResult>> PutAsync(
        string tenant, TenantPlanRequest body, Caller caller, CatalogStore store, TimeProvider clock, CancellationToken ct)
    {
        if (!caller.Grant.CanSeeTenant(tenant))
        {
            return TenantScope.TenantNotFound(tenant);
        }

        if (TenantScope.RequireOperator(caller.Grant, write: true) is { } denied)
        {
            return denied;
        }

        var plan = Names.RequireDns1035Label(body.Plan, "plan");
        var effectiveAt = EffectiveAt(body.EffectiveAt);
        return await store.AssignPlanAsync(tenant, plan, effectiveAt, CatalogAccess.Now(clock), ct) is { } assigned
            ? TypedResults.Ok(assigned)
            : TenantScope.TenantNotFound(tenant);
    }

    /// <summary>RFC 3339 with an offset or Z, years 2000–9998; null when absent.</summary>
    private static DateTimeOffset? EffectiveAt(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return text.Length >= 20 && (text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-')
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var instant)
            && instant.Year is >= 2000 and <= 9998
            ? instant
            : throw new RequestValidationException("effective_at", $"effective_at '{Names.Truncate(text)}' is not an RFC 3339 date-time between 2000 and 9998 such as 2026-01-01T00:00:00Z.");
    }
}
