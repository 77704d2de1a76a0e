namespace Tally.Server.Features.Catalog;

/// <summary>
/// The catalog feature: operator API for metrics, plans and add-ons and plan assignment, the F5 usage plan API for
/// tenants, and the read service (<see cref="CatalogService"/>) other features code against.
/// </summary>
public static class CatalogEndpoints
{
    /// <summary>Registers this feature's services (called once by the host).</summary>
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddSingleton<CatalogService>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<CatalogLoader>();
        return services;
    }

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        routes.MapMetrics();
        routes.MapAddOns();
        routes.MapPlans();
        routes.MapTenantPlan();
        routes.MapUsagePlans();
        return routes;
    }
}
