using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Domain;
using Tally.Server.Auth;
using Tally.Server.Errors;

namespace Tally.Server.Features.Catalog;

/// <summary>Operator API: the add-ons of the catalog (<c>/api/admin/addons</c>).</summary>
public static class AddOnsEndpoints
{
    public static IEndpointRouteBuilder MapAddOns(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/addons").WithTags("Catalog").RequireOperatorToken();
        group.MapGet("/", ListAsync).WithSummary("List the add-ons of the catalog.");
        group.MapGet("/{name}", GetAsync).WithSummary("Get one add-on.");
        group.MapPut("/{name}", PutAsync).WithSummary("Create (201) or replace (200) an add-on.");
        group.MapDelete("/{name}", DeleteAsync).WithSummary("Delete an add-on no plan lists (409 otherwise).");
        return routes;
    }

    public static async Task<Results<Ok<AddOnListResponse>, ProblemHttpResult>> ListAsync(Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        var snapshot = await catalog.GetSnapshotAsync(ct);
        return TypedResults.Ok(new AddOnListResponse([.. snapshot.AddOns.Values
            .OrderBy(e => e.Definition.Name, StringComparer.Ordinal)
            .Select(e => CatalogMapping.FromAddOn(e.Definition, e.UpdatedAt))]));
    }

    public static async Task<Results<Ok<AddOnBody>, ProblemHttpResult>> GetAsync(string name, Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        return (await catalog.GetSnapshotAsync(ct)).AddOns.TryGetValue(name, out var entry)
            ? TypedResults.Ok(CatalogMapping.FromAddOn(entry.Definition, entry.UpdatedAt))
            : NotFound(name);
    }

    public static async Task<Results<Created<AddOnBody>, Ok<AddOnBody>, ProblemHttpResult>> PutAsync(
        string name, AddOnBody body, Caller caller, CatalogStore store, TimeProvider clock, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var addOn = CatalogMapping.ToAddOn(name, body);
        var outcome = await store.PutAddOnAsync(addOn, CatalogAccess.Now(clock), ct);
        var response = CatalogMapping.FromAddOn(addOn, outcome.UpdatedAt);
        return outcome.Created ? TypedResults.Created($"/api/admin/addons/{name}", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, Caller caller, CatalogStore store, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var outcome = await store.DeleteAddOnAsync(name, ct);
        return !outcome.Found ? NotFound(name)
            : outcome.Conflict is { } conflict ? Problems.Conflict(conflict)
            : TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string name) => Problems.NotFound($"Add-on '{Names.Truncate(name)}' does not exist.");
}
