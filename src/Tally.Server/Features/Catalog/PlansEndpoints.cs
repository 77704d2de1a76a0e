using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Domain;
using Tally.Server.Auth;
using Tally.Server.Errors;

namespace Tally.Server.Features.Catalog;

/// <summary>Operator API: the plans of the catalog (<c>/api/admin/plans</c>).</summary>
public static class PlansEndpoints
{
    public static IEndpointRouteBuilder MapPlans(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/plans").WithTags("Catalog").RequireOperatorToken();
        group.MapGet("/", ListAsync).WithSummary("List the plans of the catalog.");
        group.MapGet("/{name}", GetAsync).WithSummary("Get one plan.");
        group.MapPut("/{name}", PutAsync).WithSummary("Create (201) or replace (200) a plan.");
        group.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a plan no tenant is on (409 otherwise).");
        return routes;
    }

    public static async Task<Results<Ok<PlanListResponse>, ProblemHttpResult>> ListAsync(Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        var snapshot = await catalog.GetSnapshotAsync(ct);
        return TypedResults.Ok(new PlanListResponse([.. snapshot.Plans.Values
            .OrderBy(e => e.Definition.Name, StringComparer.Ordinal)
            .Select(e => CatalogMapping.FromPlan(e.Definition, e.UpdatedAt))]));
    }

    public static async Task<Results<Ok<PlanBody>, ProblemHttpResult>> GetAsync(string name, Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        return (await catalog.GetSnapshotAsync(ct)).Plans.TryGetValue(name, out var entry)
            ? TypedResults.Ok(CatalogMapping.FromPlan(entry.Definition, entry.UpdatedAt))
            : NotFound(name);
    }

    public static async Task<Results<Created<PlanBody>, Ok<PlanBody>, ProblemHttpResult>> PutAsync(
        string name, PlanBody body, Caller caller, CatalogStore store, TimeProvider clock, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var plan = CatalogMapping.ToPlan(name, body);
        var outcome = await store.PutPlanAsync(plan, CatalogAccess.Now(clock), ct);
        if (outcome.Conflict is { } conflict)
        {
            return Problems.Conflict(conflict);
        }

        var response = CatalogMapping.FromPlan(plan, outcome.UpdatedAt);
        return outcome.Created ? TypedResults.Created($"/api/admin/plans/{name}", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, Caller caller, CatalogStore store, TimeProvider clock, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var outcome = await store.DeletePlanAsync(name, CatalogAccess.Now(clock), ct);
        return !outcome.Found ? NotFound(name)
            : outcome.Conflict is { } conflict ? Problems.Conflict(conflict)
            : TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string name) => Problems.NotFound($"Plan '{Names.Truncate(name)}' does not exist.");
}
