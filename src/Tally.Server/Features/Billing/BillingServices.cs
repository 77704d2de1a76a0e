using Tally.Server.Features.Invoices;
using Tally.Server.Hosting;

namespace Tally.Server.Features.Billing;

public static class BillingServices
{
    /// <summary>Registers the billing engine, the charger, invoice PDFs, billing runs (registry, runner, background queue, daily scheduler) and <see cref="BillingOptions"/> (from <see cref="TallyOptions"/>).</summary>
    public static IServiceCollection AddBilling(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<TallyOptions>().Billing);
        services.AddSingleton<InvoiceCharger>();
        services.AddSingleton<BillingEngine>();
        services.AddSingleton<InvoicePdfs>();
        services.AddSingleton<BillingRuns>();
        services.AddSingleton<BillingRunner>();
        services.AddSingleton<BillingRunQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<BillingRunQueue>());
        services.AddHostedService<BillingScheduler>();
        return services;
    }
}
