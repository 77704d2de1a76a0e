namespace Tally.Server.Features.Quotas;

/// <summary>The F5 quota API (ves.io.schema.quota): seven operations for tenant tokens.</summary>
public static class F5QuotaEndpoints
{
    public static IEndpointRouteBuilder MapF5Quotas(this IEndpointRouteBuilder routes) => routes;
}
