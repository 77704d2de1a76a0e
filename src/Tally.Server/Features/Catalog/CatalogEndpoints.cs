namespace Tally.Server.Features.Catalog;

/// <summary>Operator API: the catalog of metrics, plans and add-ons, and plan assignment.</summary>
public static class CatalogEndpoints
{
    /// <summary>Registers this feature's services (called once by the host).</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        return services;
    }

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        return routes;
    }
}
