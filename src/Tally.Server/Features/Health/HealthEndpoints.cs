using Microsoft.AspNetCore.Http.HttpResults;
using Tally.Storage;

namespace Tally.Server.Features.Health;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", Alive).WithTags("Health").WithSummary("The process is alive.");
        routes.MapGet("/readyz", ReadyAsync).WithTags("Health").WithSummary("The database answers.");
        return routes;
    }

    public static Ok<HealthResponse> Alive() => TypedResults.Ok(new HealthResponse("ok"));

    public static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> ReadyAsync(TallyDatabase database, CancellationToken ct) =>
        await database.IsReachableAsync(ct)
            ? TypedResults.Ok(new HealthResponse("ok"))
            : TypedResults.Json(new HealthResponse("database unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);

    public sealed record HealthResponse(string Status);
}
