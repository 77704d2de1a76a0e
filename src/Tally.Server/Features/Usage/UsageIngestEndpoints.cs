namespace Tally.Server.Features.Usage;

/// <summary>Operator API: usage ingestion (scope <c>usage:write</c>).</summary>
public static class UsageIngestEndpoints
{
    /// <summary>Registers this feature's services (called once by the host).</summary>
    public static IServiceCollection AddUsageIngestion(this IServiceCollection services)
    {
        return services;
    }

    public static IEndpointRouteBuilder MapUsageIngestion(this IEndpointRouteBuilder routes)
    {
        return routes;
    }
}
