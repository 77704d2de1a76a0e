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
        group.MapPut("/", PutAsync).WithSummary("Put the tenant on a plan of the catalog from now; its default quota becomes the base of the tenant's limits.");
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
        return await store.AssignPlanAsync(tenant, plan, CatalogAccess.Now(clock), ct) is { } assigned
            ? TypedResults.Ok(assigned)
            : TenantScope.TenantNotFound(tenant);
    }
}
