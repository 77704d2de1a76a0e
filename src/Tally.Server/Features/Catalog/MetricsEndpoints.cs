using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Domain;
using Tally.Server.Auth;
using Tally.Server.Errors;

namespace Tally.Server.Features.Catalog;

/// <summary>Operator API: the metrics of the catalog (<c>/api/admin/metrics</c>).</summary>
public static class MetricsEndpoints
{
    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/admin/metrics").WithTags("Catalog").RequireOperatorToken();
        group.MapGet("/", ListAsync).WithSummary("List the metrics of the catalog.");
        group.MapGet("/{name}", GetAsync).WithSummary("Get one metric.");
        group.MapPut("/{name}", PutAsync).WithSummary("Create (201) or replace (200) a metric.");
        group.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a metric no plan or add-on prices (409 otherwise).");
        return routes;
    }

    public static async Task<Results<Ok<MetricListResponse>, ProblemHttpResult>> ListAsync(Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        var snapshot = await catalog.GetSnapshotAsync(ct);
        return TypedResults.Ok(new MetricListResponse([.. snapshot.Metrics.Values
            .OrderBy(e => e.Definition.Name, StringComparer.Ordinal)
            .Select(e => CatalogMapping.FromMetric(e.Definition, e.UpdatedAt))]));
    }

    public static async Task<Results<Ok<MetricBody>, ProblemHttpResult>> GetAsync(string name, Caller caller, CatalogService catalog, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: false) is { } denied)
        {
            return denied;
        }

        return (await catalog.GetSnapshotAsync(ct)).Metrics.TryGetValue(name, out var entry)
            ? TypedResults.Ok(CatalogMapping.FromMetric(entry.Definition, entry.UpdatedAt))
            : NotFound(name);
    }

    public static async Task<Results<Created<MetricBody>, Ok<MetricBody>, ProblemHttpResult>> PutAsync(
        string name, MetricBody body, Caller caller, CatalogStore store, TimeProvider clock, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var metric = CatalogMapping.ToMetric(name, body);
        var outcome = await store.PutMetricAsync(metric, CatalogAccess.Now(clock), ct);
        var response = CatalogMapping.FromMetric(metric, outcome.UpdatedAt);
        return outcome.Created ? TypedResults.Created($"/api/admin/metrics/{name}", response) : TypedResults.Ok(response);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string name, Caller caller, CatalogStore store, CancellationToken ct)
    {
        if (CatalogAccess.Check(caller, write: true) is { } denied)
        {
            return denied;
        }

        var outcome = await store.DeleteMetricAsync(name, ct);
        return !outcome.Found ? NotFound(name)
            : outcome.Conflict is { } conflict ? Problems.Conflict(conflict)
            : TypedResults.NoContent();
    }

    private static ProblemHttpResult NotFound(string name) => Problems.NotFound($"Metric '{Names.Truncate(name)}' does not exist.");
}

/// <summary>Who may use the operator catalog routes, and the clock they write with.</summary>
public static class CatalogAccess
{
    /// <summary>Operator tokens only (tenant tokens: 403), with the <c>catalog</c> permission; writes need a member or admin.</summary>
    public static ProblemHttpResult? Check(Caller caller, bool write) =>
        TenantScope.RequireOperator(caller.Grant, write) ?? TenantScope.RequirePermission(caller.Grant, Tally.Domain.Access.Permissions.Catalog);

    /// <summary>Now, truncated to whole microseconds (what PostgreSQL keeps), so a read returns what the write returned.</summary>
    public static DateTimeOffset Now(TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUniversalTime();
        return now.AddTicks(-(now.Ticks % 10));
    }
}
